// Keeps the unread count current while someone is logged in: GET /notifications/?limit=1 every 10 s,
// reading X-Unread-Count, and at once when the tab comes back into view or regains focus. While the live
// stream (live.js) is open it brings the count itself, and polling only slows down: a stream can go quiet
// without closing (a proxy that buffers it), and the count must not then stay wrong for long.

import * as api from './api.js';
import { isSignedIn, store } from './store.js';

const INTERVAL_MS = 10_000;
const LIVE_INTERVAL_MS = 60_000;
let timer = null;
let streamOpen = false;
let inFlight = null;
let inFlightToken = null;
let paused = 0;

/**
 * Asks for the count now. Resolves to the newest notification's id (0 for none), or null when the answer
 * could not be had or belongs to a token no longer in use (live.js starts its stream after that id).
 */
export async function pollUnread() {
  if (!isSignedIn() || paused > 0) return null;
  const token = store.get().token;
  // A poll still out for an older token says nothing about this one.
  if (inFlight && inFlightToken === token) return inFlight;
  const poll = api.notifications
    .list({ limit: 1 })
    .then(({ items, unread }) => {
      if (store.get().token !== token) return null;
      if (unread !== null) store.set({ unread });
      return items[0]?.id ?? 0;
    })
    .catch(() => {
      // a 401 has ended the session already (api.js); network trouble waits for the next round
      return null;
    })
    .finally(() => {
      if (inFlight === poll) inFlight = null;
    });
  inFlight = poll;
  inFlightToken = token;
  return poll;
}

/** True while whilePaused runs: a 401 then is expected, not a session that ended. */
export const isPaused = () => paused > 0;

function start() {
  stop();
  timer = setInterval(pollUnread, streamOpen ? LIVE_INTERVAL_MS : INTERVAL_MS);
  pollUnread();
}

/** The live stream opened or closed: poll slowly while it is open, at the usual pace while it is not. */
export function setStreamOpen(open) {
  if (streamOpen === open) return;
  streamOpen = open;
  if (timer === null) return;
  clearInterval(timer);
  timer = setInterval(pollUnread, open ? LIVE_INTERVAL_MS : INTERVAL_MS);
}

function stop() {
  if (timer !== null) clearInterval(timer);
  timer = null;
}

/**
 * Holds polling while something makes the token briefly invalid (a password change revokes it until we
 * log in again); a refusal that arrives meanwhile is not the end of the session (see isPaused).
 */
export async function whilePaused(work) {
  paused += 1;
  try {
    await inFlight;
    return await work();
  } finally {
    paused -= 1;
  }
}

export function initUnreadPolling() {
  store.subscribe((state, previous) => {
    if (state.token === previous.token) return;
    if (state.token) start();
    else stop();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') pollUnread();
  });
  window.addEventListener('focus', () => pollUnread());
  if (isSignedIn()) start();
}
