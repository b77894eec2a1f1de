// Keeps the unread count current while someone is logged in: GET /notifications/?limit=1 every 10 s,
// reading X-Unread-Count, and at once when the tab comes back into view or regains focus.

import * as api from './api.js';
import { isSignedIn, store } from './store.js';

const INTERVAL_MS = 10_000;
let timer = null;
let inFlight = null;
let paused = 0;

export async function pollUnread() {
  if (!isSignedIn() || paused > 0) return;
  if (inFlight) return inFlight;
  const token = store.get().token;
  inFlight = api.notifications
    .list({ limit: 1 })
    .then(({ unread }) => {
      if (store.get().token === token && unread !== null) store.set({ unread });
    })
    .catch(() => {
      // a 401 has ended the session already (api.js); network trouble waits for the next round
    })
    .finally(() => {
      inFlight = null;
    });
  return inFlight;
}

/** True while whilePaused runs: a 401 then is expected, not a session that ended. */
export const isPaused = () => paused > 0;

function start() {
  stop();
  timer = setInterval(pollUnread, INTERVAL_MS);
  pollUnread();
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
