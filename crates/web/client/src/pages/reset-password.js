// Choosing a new password from the link a mail brought (`#/reset-password?token=…`). The token is taken
// out of the address as soon as the page reads it (the address becomes `#/reset-password`, and the history
// keeps no entry with the token) and kept in this tab, so a reload still works (link-token.js); it is
// forgotten once the password is changed or the link refused, and never logged. After the change every
// session of the account has ended, this browser's too: it is signed out here and sent to the login page.

import * as api from '../api.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { navigate } from '../router.js';
import { endSession, isSignedIn } from '../store.js';
import { forgetLinkToken, takeLinkToken } from '../link-token.js';
import { checks, createForm, field } from '../components/form.js';
import { pageHeader } from '../components/page.js';
import { announcePasswordReset } from './login.js';

/** Whether an answer says the link does not work (used, expired, unknown or mangled). */
const linkRefused = (error) =>
  error?.name === 'ApiError' &&
  (error.code === 'invalid_token' || (error.code === 'validation_failed' && error.errors.some((item) => item.field === 'token')));

/** Where this tab keeps the link's token while the page needs it. */
const TOKEN_KEY = 'plaza.reset-token';

export default function ResetPasswordPage(ctx) {
  const token = takeLinkToken(ctx, TOKEN_KEY);
  const password = field({ name: 'password', label: t('settings.newPassword'), type: 'password', required: true, autocomplete: 'new-password', hint: t('auth.passwordHint') });
  const confirm = field({ name: 'confirm', label: t('auth.confirmPassword'), type: 'password', required: true, autocomplete: 'new-password' });
  const form = createForm({
    fields: [password, confirm],
    submitLabel: t('reset.submit'),
    validate: (values) => ({
      password: checks.required(values.password) ?? checks.password(values.password),
      confirm: checks.required(values.confirm) ?? (values.confirm !== values.password ? t('auth.passwordsDiffer') : null),
    }),
    onSubmit: async (values) => {
      try {
        await api.auth.resetPassword(token, values.password);
      } catch (error) {
        if (!linkRefused(error)) throw error;
        forgetLinkToken(TOKEN_KEY);
        // The form is gone: focus goes to what replaced it, not to the page's top.
        if (!ctx.signal.aborted) showRefused().focus();
        return;
      }
      forgetLinkToken(TOKEN_KEY);
      // The server ended every session of the account: whatever this browser holds no longer works.
      if (isSignedIn()) endSession();
      announcePasswordReset();
      // Replaces this entry, so that Back does not return to a spent link.
      if (!ctx.signal.aborted) navigate('/login', { replace: true, force: true });
    },
  });
  const body = h('div', { class: 'reset-body' }, form.el);

  /** The link does not work: say why it may be, and where to ask for a new one. */
  function showRefused() {
    const alert = h(
      'div',
      { class: 'alert alert-error', role: 'alert', tabindex: '-1' },
      h('p', { class: 'alert-text' }, t('reset.linkInvalid')),
    );
    replace(body, alert, h('p', {}, h('a', { class: 'btn btn-primary want-more', href: '#/forgot-password' }, t('reset.askAgain'))));
    return alert;
  }

  // A link without its token cannot work: said at once, without a form to fill in first.
  if (!token) showRefused();
  const el = h(
    'section',
    { class: 'page page-auth narrow' },
    h('div', { class: 'panel auth-panel' }, pageHeader(t('reset.title')).el, body, h('p', { class: 'auth-switch' }, h('a', { href: '#/login' }, t('reset.backToLogin')))),
  );
  return { el, title: t('reset.title') };
}
