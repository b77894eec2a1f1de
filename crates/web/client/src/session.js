// Sessions that last: the access token is renewed with the refresh token before it expires (and at once
// when the server refuses it), so a page left open keeps working. Each refresh token can be used once —
// a second use ends the session on the server — so the tabs take turns (Web Locks) and a tab that finds
// a fresh token saved by another adopts it instead of renewing again.

import * as api from './api.js';
import { adoptSaved, readSaved, startSession, store } from './store.js';

/** Renew this long before the access token expires (or a fifth of what is left, for short-lived tokens). */
const AHEAD_MS = 60_000;
/** After a renewal failed for a reason other than the session ending (network, server busy). */
const RETRY_MS = 30_000;

let inFlight = null;
let timer = null;

/**
 * Renews the session whose token is `token` (the one just refused, or about to expire). Resolves to
 * 'renewed' (the store holds a new token), 'ended' (the server refused the refresh token: the session is
 * over), or 'failed' (not now: network, server busy — the session may still hold).
 */
export function renewSession(token = store.get().token) {
  if (!inFlight) {
    inFlight = withLock(() => renewOnce(token)).finally(() => {
      inFlight = null;
    });
  }
  return inFlight;
}

function withLock(work) {
  return navigator.locks?.request ? navigator.locks.request('plaza.session.renew', work) : work();
}

async function renewOnce(token) {
  const saved = readSaved();
  if (!saved) return 'ended';
  // Another tab renewed while we waited for the lock: its token is ours too.
  if (saved.token !== token && saved.expiresAt > Date.now()) {
    adoptSaved(saved);
    return 'renewed';
  }
  if (typeof saved.refreshToken !== 'string') return 'ended';
  try {
    const answer = await api.auth.refresh(saved.refreshToken);
    startSession(answer, { remember: saved.remember === true });
    return 'renewed';
  } catch (error) {
    if (error?.status === 401 || error?.status === 400) return 'ended';
    return 'failed';
  }
}

function schedule() {
  clearTimeout(timer);
  timer = null;
  const { token, expiresAt } = store.get();
  if (!token || !expiresAt) return;
  const left = expiresAt - Date.now();
  const wait = Math.max(0, left - Math.min(AHEAD_MS, left / 5));
  timer = setTimeout(async () => {
    if (store.get().token !== token) return;
    const outcome = await renewSession(token);
    // 'ended' is left to the next request's 401, which keeps the page's unsent text (main.js).
    if (outcome === 'failed') timer = setTimeout(schedule, RETRY_MS);
  }, Math.min(wait, 2 ** 31 - 1));
}

/** Keeps the session renewed while the page is open: before each expiry, and when the page comes back
 * into view (timers of background tabs are slowed down). */
export function keepSessionAlive() {
  store.subscribe((state, previous, changed) => {
    if (changed.includes('token') || changed.includes('expiresAt')) schedule();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') schedule();
  });
  schedule();
}
