// Confirming one's e-mail address: the reminder under the header for a signed-in account whose address is
// not confirmed (User.email_verified false), the button that mails the link again (POST
// /users/me/email-verification), and what a form shows when the server refuses to create something
// until the address is confirmed (403 email_unverified, on a server run with REQUIRE_VERIFIED_EMAIL).

import * as api from '../api.js';
import { h, replace } from '../dom.js';
import { errorMessage } from '../errors.js';
import { formatSeconds, t, tNodes } from '../i18n.js';
import { isSignedIn, store } from '../store.js';
import { remember } from '../users.js';
import { toast } from './toast.js';

/** Reads the signed-in account again (GET /users/me) and hands it to the store, so everything that shows
 * whether the address is confirmed follows. Resolves to the User, or null (signed out, or it failed). */
export async function refreshUser() {
  if (!isSignedIn()) return null;
  try {
    const user = await api.users.me();
    remember(user);
    const held = store.get().user;
    // Unless the tab signed out, or into another account, meanwhile.
    if (isSignedIn() && (held === null || held.id === user.id)) store.set({ user });
    return user;
  } catch {
    // 401: the session ended (main.js); a network failure changes nothing shown
    return null;
  }
}

/**
 * Asks for a new link to `email` (the account's address, for the words only). Resolves to { kind, text }:
 * 'sent'; 'limited' (three links in the last hour: when to try again); 'verified' (confirmed meanwhile, in
 * another tab or by an older link: the account is read again, so the reminders go); 'error'.
 */
export async function sendVerificationLink(email) {
  try {
    await api.users.sendVerification();
    return { kind: 'sent', text: email ? t('verify.sent', { email }) : t('verify.sentPlain') };
  } catch (error) {
    if (error?.name === 'ApiError' && error.code === 'already_verified') {
      await refreshUser();
      return { kind: 'verified', text: t('verify.alreadyConfirmed') };
    }
    if (error?.name === 'ApiError' && error.code === 'rate_limited') {
      const text = error.retryAfter !== null ? t('verify.tooManyIn', { time: formatSeconds(error.retryAfter) }) : t('verify.tooMany');
      return { kind: 'limited', text };
    }
    return { kind: 'error', text: errorMessage(error) };
  }
}

/** What a form's alert holds for a 403 email_unverified: why, and a button that sends the link again,
 * whose outcome is said in the alert too. */
export function unverifiedNotice() {
  const outcome = h('p', { class: 'alert-text verify-outcome', hidden: true });
  const send = h('button', { type: 'button', class: 'btn btn-secondary btn-small want-more alert-action' }, t('verify.resend'));
  send.addEventListener('click', async () => {
    send.disabled = true;
    const result = await sendVerificationLink(store.get().user?.email ?? null);
    send.disabled = false;
    outcome.textContent = result.kind === 'verified' ? t('verify.confirmedTryAgain') : result.text;
    outcome.hidden = false;
    if (result.kind === 'verified') send.hidden = true;
  });
  return [h('p', { class: 'alert-text' }, t('error.email_unverified')), send, outcome];
}

/**
 * The reminder under the header: "Please confirm your e-mail address …" with a button that sends the link
 * again and one that hides it until the page is loaded again (for that account and address: a new address
 * brings it back). Shown only to a signed-in account the server says is unconfirmed, and not on the page
 * that is confirming it. Returns { el, markCurrent(path) }.
 */
export function createVerifyBanner() {
  const el = h('section', { class: 'verify-banner', hidden: true });
  // In the page from the start (while the reminder shows), so what the button brought is announced.
  const status = h('p', { class: 'verify-banner-status', role: 'status' });
  let path = '/';
  let dismissed = null;
  let drawn = null;
  let checkedAt = 0;
  const keyOf = (user) => `${user.id} ${user.email}`;

  const wanted = () => {
    const { user } = store.get();
    return isSignedIn() && user?.email_verified === false && dismissed !== keyOf(user) && path !== '/verify-email';
  };

  function draw() {
    const show = wanted();
    const { user, locale } = store.get();
    const signature = show ? `${keyOf(user)}|${locale}` : null;
    if (signature === drawn) return;
    // Another account or address: what the button said is about the one before.
    if (!show || drawn?.split('|')[0] !== signature.split('|')[0]) status.textContent = '';
    drawn = signature;
    el.hidden = !show;
    if (!show) return;
    el.setAttribute('aria-label', t('verify.bannerLabel'));
    const send = h('button', { type: 'button', class: 'btn btn-secondary btn-small want-more' }, t('verify.resend'));
    send.addEventListener('click', async () => {
      send.disabled = true;
      const result = await sendVerificationLink(user.email);
      send.disabled = false;
      // Confirmed already: the reminder goes with the account read again; a toast says why.
      if (result.kind === 'verified') toast(result.text, { kind: 'info' });
      else status.textContent = result.text;
    });
    const close = h(
      'button',
      { type: 'button', class: 'verify-banner-close', onClick: dismiss },
      h('span', { class: 'visually-hidden' }, t('action.dismiss')),
      h('span', { 'aria-hidden': 'true' }, '×'),
    );
    replace(
      el,
      h(
        'div',
        { class: 'verify-banner-inner' },
        h('div', { class: 'verify-banner-body' }, h('p', { class: 'verify-banner-text' }, tNodes('verify.bannerText', { email: h('strong', {}, user.email) })), status),
        h('div', { class: 'verify-banner-actions' }, send, close),
      ),
    );
  }

  function dismiss() {
    const { user } = store.get();
    if (user) dismissed = keyOf(user);
    draw();
    // The button is gone: the page's content takes focus rather than the document.
    document.getElementById('main')?.focus();
  }

  store.subscribe((state, previous, changed) => {
    if (changed.some((key) => ['user', 'token', 'locale'].includes(key))) draw();
  });
  // The link is usually opened in another tab: coming back, the account is read again (at most every
  // 30 s), and the reminder goes once the address is confirmed.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'visible' || el.hidden || Date.now() - checkedAt < 30_000) return;
    checkedAt = Date.now();
    refreshUser();
  });

  return {
    el,
    markCurrent(current) {
      path = current;
      draw();
    },
  };
}
