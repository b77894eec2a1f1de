// A small observable store: the session (token and current user), the unread count and the locale.
// Components subscribe and redraw what they show; nothing else keeps a copy of this state.

export function createStore(initial) {
  let state = { ...initial };
  const listeners = new Set();
  return {
    get: () => state,
    set(patch) {
      const previous = state;
      state = { ...state, ...patch };
      const changed = Object.keys(patch).filter((key) => previous[key] !== state[key]);
      if (changed.length === 0) return;
      for (const listener of [...listeners]) listener(state, previous, changed);
    },
    /** Calls `listener(state, previous, changedKeys)` after each change; returns the unsubscribe function. */
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

const SESSION_KEY = 'plaza.session';

export const store = createStore({
  token: null,
  /** When the token expires (ms since the epoch), from the server's expires_in. */
  expiresAt: null,
  /** The session the token belongs to (POST /token's session_id): renewals keep it, a new login changes it. */
  sessionId: null,
  /** The signed-in user (GET /users/me), null while unknown or signed out. */
  user: null,
  unread: 0,
  locale: 'en',
});

// Saved in localStorage, shared by the tabs: { token, expiresAt, refreshToken, refreshExpiresAt, sessionId,
// remember }. The refresh token renews the session (session.js); it is spent at each renewal, so the tabs
// take turns renewing and adopt what another tab saved.
export function readSaved() {
  try {
    const saved = JSON.parse(window.localStorage.getItem(SESSION_KEY) ?? 'null');
    if (saved && typeof saved.token === 'string' && typeof saved.expiresAt === 'number') return saved;
  } catch {
    // an unreadable entry is no session
  }
  return null;
}

/** Whether a saved session can still be used: its token has not expired, or it can be renewed. */
const usable = (saved) =>
  saved && (saved.expiresAt > Date.now() || (typeof saved.refreshToken === 'string' && (saved.refreshExpiresAt ?? 0) > Date.now()));

/** The saved session, if it can still be used (one past every expiry is dropped quietly). An expired token
 * with a live refresh token is kept: the first renewal (session.js) replaces it. */
export function restoreSession() {
  const saved = readSaved();
  if (usable(saved)) {
    store.set({ token: saved.token, expiresAt: saved.expiresAt, sessionId: saved.sessionId ?? null });
    return true;
  }
  window.localStorage.removeItem(SESSION_KEY);
  return false;
}

/** A login's or a renewal's answer (POST /token, POST /token/refresh) becomes the session of every tab. */
export function startSession(answer, { user = store.get().user, remember = false } = {}) {
  const now = Date.now();
  const saved = {
    token: answer.access_token,
    expiresAt: now + Math.max(0, Number(answer.expires_in) || 0) * 1000,
    refreshToken: answer.refresh_token ?? null,
    refreshExpiresAt: now + Math.max(0, Number(answer.refresh_expires_in) || 0) * 1000,
    sessionId: answer.session_id ?? null,
    remember,
  };
  window.localStorage.setItem(SESSION_KEY, JSON.stringify(saved));
  const sameSession = saved.sessionId !== null && saved.sessionId === store.get().sessionId;
  store.set({ token: saved.token, expiresAt: saved.expiresAt, sessionId: saved.sessionId, user, ...(sameSession ? {} : { unread: 0 }) });
}

/** Takes over what another tab saved for the same session (it renewed first). */
export function adoptSaved(saved) {
  store.set({ token: saved.token, expiresAt: saved.expiresAt, sessionId: saved.sessionId ?? null });
}

export function endSession() {
  window.localStorage.removeItem(SESSION_KEY);
  store.set({ token: null, expiresAt: null, sessionId: null, user: null, unread: 0 });
}

export const isSignedIn = () => store.get().token !== null;
export const currentUser = () => store.get().user;

/** Another tab logged in or out: follow it. Calls back with 'in' or 'out'. */
export function followOtherTabs(onChange) {
  window.addEventListener('storage', (event) => {
    if (event.key !== SESSION_KEY) return;
    const saved = readSaved();
    if (!saved && isSignedIn()) {
      store.set({ token: null, expiresAt: null, sessionId: null, user: null, unread: 0 });
      onChange('out');
    } else if (saved && saved.token !== store.get().token) {
      // A renewal of the session this tab holds: take the new token, and nothing else changes.
      if (saved.sessionId != null && saved.sessionId === store.get().sessionId) {
        adoptSaved(saved);
        return;
      }
      store.set({ token: saved.token, expiresAt: saved.expiresAt, sessionId: saved.sessionId ?? null, user: null });
      onChange('in');
    }
  });
}
