// The token a mailed link brings (`#/reset-password?token=…`, `#/verify-email?token=…`,
// `#/unsubscribe?token=…`). It is read from the address once and taken out of it at once (replaceState),
// so that it is left neither in the history nor in an address bar someone may look at or share; it is
// kept in this tab's sessionStorage instead, so that a reload (or the page drawn again in another
// language) still has it, until the page forgets it. It is never logged.

import { replaceQuery } from './router.js';

function read(key) {
  try {
    return window.sessionStorage.getItem(key) ?? '';
  } catch {
    return '';
  }
}

function write(key, value) {
  try {
    if (value) window.sessionStorage.setItem(key, value);
    else window.sessionStorage.removeItem(key);
  } catch {
    // storage refused (private mode): the token lasts for this page only
  }
}

/** The link's token: the one in the address (which then leaves it), else the one this tab kept under
 * `key`; '' when there is none. A link with an empty `token=` forgets the kept one. */
export function takeLinkToken(ctx, key) {
  if (!ctx.query.has('token')) return read(key);
  const given = (ctx.query.get('token') ?? '').trim();
  write(key, given);
  // The bare route (`#/reset-password`), without a history entry and without drawing the page again.
  replaceQuery({});
  return given;
}

/** The token was spent or refused: a reload no longer finds it. */
export function forgetLinkToken(key) {
  write(key, '');
}
