// Asking for a link to choose a new password (POST /password-reset). The server answers alike whether or
// not an account has the address, and so does this page: it never tells who has an account.

import * as api from '../api.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { checks, createForm, field } from '../components/form.js';
import { pageHeader } from '../components/page.js';

export default function ForgotPasswordPage(ctx) {
  const email = field({ name: 'email', label: t('auth.email'), type: 'email', required: true, autocomplete: 'email', autocapitalize: 'none', spellcheck: 'false', maxlength: 254 });
  const form = createForm({
    fields: [email],
    submitLabel: t('reset.send'),
    validate: (values) => ({ email: checks.required(values.email) }),
    onSubmit: async (values) => {
      await api.auth.requestPasswordReset(values.email.trim());
      if (!ctx.signal.aborted) showSent();
    },
  });
  const intro = h('p', { class: 'muted' }, t('reset.requestIntro'));
  const body = h('div', { class: 'reset-body' }, intro, form.el);

  /** The same words whatever the server found: the address may or may not have an account. */
  function showSent() {
    const sent = h('div', { class: 'alert alert-success', role: 'status', tabindex: '-1' }, h('p', { class: 'alert-text' }, t('reset.sent')));
    const again = h('button', { type: 'button', class: 'btn btn-secondary want-more', onClick: showForm }, t('reset.again'));
    replace(body, sent, h('p', { class: 'muted' }, t('reset.noMail')), h('p', {}, again));
    sent.focus();
  }

  function showForm() {
    replace(body, intro, form.el);
    email.input.focus();
  }

  const el = h(
    'section',
    { class: 'page page-auth narrow' },
    h('div', { class: 'panel auth-panel' }, pageHeader(t('reset.requestTitle')).el, body, h('p', { class: 'auth-switch' }, h('a', { href: '#/login' }, t('reset.backToLogin')))),
  );
  return { el, title: t('reset.requestTitle') };
}
