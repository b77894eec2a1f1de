// Confirming an e-mail address from the link a mail brought (`#/verify-email?token=…`). The page sends the
// token once, as it opens (POST /email-verification/confirm, which needs no session), after taking it out
// of the address (link-token.js). What the server answered is kept in this tab, so a reload, or the page
// drawn again in another language, shows it again instead of sending a spent token. When the browser is
// signed in, the account is read again after the answer, so the reminder under the header goes.

import * as api from '../api.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { isSignedIn, store } from '../store.js';
import { forgetLinkToken, takeLinkToken } from '../link-token.js';
import { errorBox, loading, notice, pageHeader } from '../components/page.js';
import { refreshUser, sendVerificationLink } from '../components/verify-email.js';

const TOKEN_KEY = 'plaza.verify-email-token';
const OUTCOME_KEY = 'plaza.verify-email-outcome';

/** The answer for a token being sent: a page drawn again meanwhile waits for it instead of sending the
 * token a second time (which the server would refuse as used). */
let sending = null;

function keptOutcome() {
  try {
    const value = window.sessionStorage.getItem(OUTCOME_KEY);
    return value === 'confirmed' || value === 'invalid' ? value : null;
  } catch {
    return null;
  }
}

function keepOutcome(value) {
  try {
    if (value) window.sessionStorage.setItem(OUTCOME_KEY, value);
    else window.sessionStorage.removeItem(OUTCOME_KEY);
  } catch {
    // storage refused: a reload shows the link as incomplete
  }
}

/** Whether an answer says the link does not work (used, expired, for another address, or mangled). */
const linkRefused = (error) =>
  error?.name === 'ApiError' &&
  (error.code === 'invalid_token' || (error.code === 'validation_failed' && error.errors.some((item) => item.field === 'token')));

/** 'confirmed' or 'invalid' for `token`; rejects with the ApiError of any other failure (network, busy). */
function confirm(token) {
  if (sending?.token !== token) {
    const promise = api.auth.confirmEmail(token).then(
      () => 'confirmed',
      (error) => {
        if (linkRefused(error)) return 'invalid';
        throw error;
      },
    );
    sending = { token, promise };
    promise.then(
      (outcome) => {
        forgetLinkToken(TOKEN_KEY);
        keepOutcome(outcome);
      },
      () => {},
    ).finally(() => {
      if (sending?.promise === promise) sending = null;
    });
  }
  return sending.promise;
}

export default function VerifyEmailPage(ctx) {
  const fromAddress = ctx.query.has('token');
  const token = takeLinkToken(ctx, TOKEN_KEY);
  // A new link: what an earlier one brought in this tab is not its answer.
  if (fromAddress) keepOutcome(null);
  const el = h('section', { class: 'page page-auth narrow' });

  function show(title, ...content) {
    ctx.setTitle(title);
    replace(el, h('div', { class: 'panel auth-panel verify-panel' }, pageHeader(title).el, content));
  }

  async function run() {
    show(t('verify.title'), loading(t('verify.checking')));
    let outcome = token ? null : keptOutcome();
    if (token) {
      try {
        outcome = await confirm(token);
      } catch (error) {
        if (ctx.signal.aborted) return;
        show(t('verify.title'), errorBox(error, {}, run));
        return;
      }
    }
    // The account as the server now has it: the reminder goes, and what is shown below is about it.
    const user = isSignedIn() ? ((await refreshUser()) ?? store.get().user) : null;
    if (ctx.signal.aborted) return;
    if (outcome === 'confirmed') showConfirmed();
    else if (user?.email_verified === true) showConfirmed(user, { used: outcome === 'invalid' });
    else showRefused(user);
  }

  /** Done; `user` when the link did not confirm anything but the account's address is confirmed anyway
   * (`used`: the link was refused, most likely opened a second time). */
  function showConfirmed(user = null, { used = false } = {}) {
    const next = isSignedIn()
      ? [h('a', { class: 'btn btn-primary want-more', href: '#/settings' }, t('verify.toSettings')), h('a', { class: 'btn btn-ghost', href: '#/events' }, t('verify.toEvents'))]
      : [h('a', { class: 'btn btn-primary', href: '#/login' }, t('auth.loginLink'))];
    show(
      t('verify.confirmedTitle'),
      notice(user ? (used ? t('verify.usedButConfirmed', { email: user.email }) : t('verify.alreadyConfirmed')) : t('verify.confirmedText'), 'success'),
      h('div', { class: 'form-actions' }, next),
    );
  }

  /** The link does not work: why it may be, and how to get another (signed in: at once). */
  function showRefused(user) {
    const outcome = h('p', { class: 'muted', role: 'status' });
    let action;
    if (user) {
      action = h('button', { type: 'button', class: 'btn btn-primary want-more' }, t('verify.askNew'));
      action.addEventListener('click', async () => {
        action.disabled = true;
        const result = await sendVerificationLink(user.email);
        action.disabled = false;
        if (ctx.signal.aborted) return;
        if (result.kind === 'verified') {
          showConfirmed(store.get().user ?? user);
          return;
        }
        outcome.textContent = result.text;
      });
    } else {
      action = h('a', { class: 'btn btn-primary want-more', href: `#/login?${new URLSearchParams({ next: '/verify-email' })}` }, t('verify.loginToAsk'));
    }
    show(
      t('verify.invalidTitle'),
      h('div', { class: 'alert alert-error', role: 'alert' }, h('p', { class: 'alert-text' }, token || keptOutcome() ? t('verify.invalidText') : t('verify.incomplete'))),
      h('div', { class: 'form-actions' }, action),
      outcome,
    );
  }

  return { el, title: t('verify.title'), ready: run() };
}
