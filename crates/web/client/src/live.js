// Live notifications: while someone is logged in, one EventSource on /notifications/stream brings every
// change of the unread count and each new notification as it happens. Polling (unread.js) covers any time
// the stream is not open, so the badge stays right behind a proxy that refuses streams.
//
// An EventSource cannot send the bearer token, so each connection opens with a single-use ticket. The
// browser's own reconnect would reuse the spent ticket and only be refused: on any error we close the
// source ourselves, wait (1 s, 2 s, 4 s … 30 s), take a new ticket and ask for what came after the highest
// id we saw, so nothing created while we were away is missed.

import * as api from './api.js';
import { store } from './store.js';
import { isPaused, pollUnread, setStreamOpen } from './unread.js';

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;
/** A stream that stayed open this long worked: the next trouble starts the back-off afresh. */
const STABLE_MS = 30_000;

const listeners = new Set();
let source = null;
let timer = null;
let attempt = 0;
let open = false;
let openedAt = 0;
/** The highest notification id this session knows of (null until asked): a new stream resumes after it. */
let lastId = null;
/** Changes whenever the stream is stopped, so an answer that belongs to an older session is dropped. */
let generation = 0;

/** True while the stream is open, i.e. new notifications arrive by themselves. */
export const isLive = () => open;

/** Calls `listener(notification)` for each new notification (an item as GET /notifications/ lists it); returns the unsubscribe function. */
export function onNotification(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function setOpen(value) {
  open = value;
  setStreamOpen(value);
}

function closeSource() {
  source?.close();
  source = null;
  setOpen(false);
}

function stop() {
  generation += 1;
  clearTimeout(timer);
  timer = null;
  attempt = 0;
  closeSource();
}

/** Tries again later; `atLeastMs` is a wait the server asked for (Retry-After). */
function retry(atLeastMs = 0) {
  // Not reset as soon as a stream opens: one that is accepted and then dropped at once (a proxy's doing)
  // must still back off.
  if (open && Date.now() - openedAt >= STABLE_MS) attempt = 0;
  closeSource();
  const ceiling = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** attempt);
  attempt += 1;
  // Between half and all of the step: after a restart, every client should not come back in the same second.
  const delay = Math.max(atLeastMs, ceiling / 2 + (Math.random() * ceiling) / 2);
  schedule(delay);
}

function schedule(delay) {
  clearTimeout(timer);
  const mine = generation;
  timer = setTimeout(() => {
    timer = null;
    if (mine === generation) connect();
  }, delay);
}

function parse(data) {
  try {
    return JSON.parse(data);
  } catch {
    return null;
  }
}

async function connect() {
  const mine = generation;
  if (!store.get().token) return;
  // A password change is under way: the token is about to be replaced, and a ticket asked for now would be refused.
  if (isPaused()) {
    schedule(FIRST_RETRY_MS);
    return;
  }
  let ticket;
  try {
    if (lastId === null) {
      // Where "after" starts: what exists now is on the notifications page already, anything later must
      // come. The poll that starts with the session asks the same, so this usually costs no request.
      const newest = await pollUnread();
      if (mine !== generation) return;
      if (newest === null) {
        retry();
        return;
      }
      lastId = newest;
    }
    ({ ticket } = await api.notifications.streamTicket());
  } catch (error) {
    if (mine !== generation) return;
    // A refused token has ended the session (api.js), or a password change will bring a new one: either way a
    // change of token decides what comes next, not another try with this one.
    if (error?.status === 401) return;
    retry((error?.retryAfter ?? 0) * 1000);
    return;
  }
  if (mine !== generation) return;

  const es = new EventSource(`/notifications/stream?${new URLSearchParams({ ticket, after: String(lastId) })}`);
  source = es;
  const current = () => source === es && mine === generation;

  es.addEventListener('open', () => {
    if (!current()) return;
    openedAt = Date.now();
    setOpen(true);
  });
  es.addEventListener('unread', (event) => {
    const unread = parse(event.data)?.unread;
    if (current() && Number.isInteger(unread) && unread >= 0) store.set({ unread });
  });
  es.addEventListener('notification', (event) => {
    const notification = parse(event.data);
    if (!current() || !Number.isInteger(notification?.id) || notification.id <= lastId) return;
    lastId = notification.id;
    for (const listener of [...listeners]) listener(notification);
  });
  es.addEventListener('end', (event) => {
    if (!current()) return;
    const reason = parse(event.data)?.reason;
    if (reason === 'token_expired' || reason === 'signed_out') {
      // This token is over: a poll's 401 ends the session (api.js). An expired token is asked about at once.
      // After a password change the next regular poll is soon enough, and waiting gives the tab that made
      // the change time to log in again and hand over its new token (which starts a new stream) before
      // this one declares the session ended.
      closeSource();
      if (reason === 'token_expired') pollUnread();
      return;
    }
    if (reason === 'account_banned') {
      // Asked at once: the answer (403 account_banned) takes the reader to why and until when (api.js).
      closeSource();
      pollUnread();
      return;
    }
    // shutting_down (or a reason this client does not know): another instance, or this one later, will answer.
    retry();
  });
  es.addEventListener('error', () => {
    if (current()) retry();
  });
}

export function initLive() {
  // Without EventSource (a very old browser) polling alone keeps the count.
  if (typeof window.EventSource !== 'function') return;
  store.subscribe((state, previous) => {
    if (state.token === previous.token) return;
    stop();
    // The next account may be someone else: learn its latest id afresh.
    lastId = null;
    if (state.token) connect();
  });
  // Back online: no need to sit out the rest of a long back-off.
  window.addEventListener('online', () => {
    if (timer === null) return;
    attempt = 0;
    schedule(0);
  });
  if (store.get().token) connect();
}
