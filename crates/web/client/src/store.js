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
  /** The signed-in user (GET /users/me), null while unknown or signed out. */
  user: null,
  unread: 0,
  locale: 'en',
});

function readSaved() {
  try {
    const saved = JSON.parse(window.localStorage.getItem(SESSION_KEY) ?? 'null');
    if (saved && typeof saved.token === 'string' && typeof saved.expiresAt === 'number') return saved;
  } catch {
    // an unreadable entry is no session
  }
  return null;
}

/** The saved session, if it has not expired yet (a token past its expiry is dropped quietly). */
export function restoreSession() {
  const saved = readSaved();
  if (saved && saved.expiresAt > Date.now()) {
    store.set({ token: saved.token, expiresAt: saved.expiresAt });
    return true;
  }
  window.localStorage.removeItem(SESSION_KEY);
  return false;
}

export function startSession({ token, expiresIn, user = null }) {
  const expiresAt = Date.now() + Math.max(0, Number(expiresIn) || 0) * 1000;
  window.localStorage.setItem(SESSION_KEY, JSON.stringify({ token, expiresAt }));
  store.set({ token, expiresAt, user, unread: 0 });
}

export function endSession() {
  window.localStorage.removeItem(SESSION_KEY);
  store.set({ token: null, expiresAt: null, user: null, unread: 0 });
}

export const isSignedIn = () => store.get().token !== null;
export const currentUser = () => store.get().user;

/** Another tab logged in or out: follow it. Calls back with 'in' or 'out'. */
export function followOtherTabs(onChange) {
  window.addEventListener('storage', (event) => {
    if (event.key !== SESSION_KEY) return;
    const saved = readSaved();
    if (!saved && isSignedIn()) {
      store.set({ token: null, expiresAt: null, user: null, unread: 0 });
      onChange('out');
    } else if (saved && saved.token !== store.get().token) {
      store.set({ token: saved.token, expiresAt: saved.expiresAt, user: null });
      onChange('in');
    }
  });
}
