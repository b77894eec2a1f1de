// Turning notification mail off from the link in a mail's footer (`#/unsubscribe?token=…`), signed in or
// not. Opening the page changes nothing — programs that check links open them too — the button does
// (POST /unsubscribe?token=…). The token leaves the address as the page reads it and stays in this tab
// until it is used or refused (link-token.js).

import * as api from '../api.js';
import { h, replace } from '../dom.js';
import { errorMessage } from '../errors.js';
import { t } from '../i18n.js';
import { forgetLinkToken, takeLinkToken } from '../link-token.js';
import { pageHeader } from '../components/page.js';

const TOKEN_KEY = 'plaza.unsubscribe-token';

/** Whether an answer says the link does not work (unknown, or mangled). */
const linkRefused = (error) =>
  error?.name === 'ApiError' &&
  (error.code === 'invalid_token' || (error.code === 'validation_failed' && error.errors.some((item) => item.field === 'token')));

export default function UnsubscribePage(ctx) {
  const token = takeLinkToken(ctx, TOKEN_KEY);
  const problem = h('div', { class: 'alert alert-error', role: 'alert', hidden: true });
  const stop = h('button', { type: 'button', class: 'btn btn-primary want-more' }, t('unsubscribe.confirm'));
  const body = h('div', { class: 'unsubscribe-body' }, problem, h('p', {}, t('unsubscribe.intro')), h('div', { class: 'form-actions' }, stop));

  stop.addEventListener('click', async () => {
    stop.disabled = true;
    problem.hidden = true;
    try {
      await api.notifications.unsubscribe(token);
    } catch (error) {
      if (ctx.signal.aborted) return;
      if (linkRefused(error)) {
        forgetLinkToken(TOKEN_KEY);
        showRefused().focus();
        return;
      }
      // Not about the link (network, busy server): the button stays, to try again.
      problem.textContent = errorMessage(error);
      problem.hidden = false;
      stop.disabled = false;
      return;
    }
    forgetLinkToken(TOKEN_KEY);
    if (!ctx.signal.aborted) showDone().focus();
  });

  /** Off: said where the button was, which takes focus. */
  function showDone() {
    const done = h(
      'div',
      { class: 'alert alert-success', role: 'status', tabindex: '-1' },
      h('p', { class: 'alert-text' }, h('strong', {}, t('unsubscribe.done'))),
      h('p', { class: 'alert-text' }, t('unsubscribe.doneText')),
    );
    replace(body, done, h('p', {}, h('a', { href: '#/settings' }, t('unsubscribe.toSettings'))));
    return done;
  }

  /** The link does not work: say so, and where mail is turned off instead. */
  function showRefused() {
    const alert = h(
      'div',
      { class: 'alert alert-error', role: 'alert', tabindex: '-1' },
      h('p', { class: 'alert-text' }, h('strong', {}, t('unsubscribe.invalid'))),
      h('p', { class: 'alert-text' }, t('unsubscribe.invalidText')),
    );
    replace(body, alert, h('p', {}, h('a', { href: '#/settings' }, t('unsubscribe.toSettings'))));
    return alert;
  }

  // A link without its token cannot work: said at once, without a button that could not help.
  if (!token) showRefused();
  const el = h('section', { class: 'page page-auth narrow' }, h('div', { class: 'panel auth-panel' }, pageHeader(t('unsubscribe.title')).el, body));
  return { el, title: t('unsubscribe.title') };
}
