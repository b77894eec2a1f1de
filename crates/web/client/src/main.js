// Boot: language first (every string depends on it), then the session, the page frame, the routes.

import { configureApi, forgetEarlyReads } from './api.js';
import * as api from './api.js';
import { h, replace } from './dom.js';
import { initI18n, t } from './i18n.js';
import { currentTarget, navigate, preloadCurrentPage, refresh, route, setSiteName, start, location } from './router.js';
import { endSession, followOtherTabs, isSignedIn, restoreSession, store } from './store.js';
import { remember } from './users.js';
import { rememberBan } from './ban-notice.js';
import { initUnreadPolling, isPaused } from './unread.js';
import { initLive } from './live.js';
import { applyTheme } from './theme.js';
import { restoreDrafts, saveDrafts } from './drafts.js';
import { keepSessionAlive, renewSession } from './session.js';
import { createHeader } from './components/header.js';
import { createVerifyBanner } from './components/verify-email.js';
import { clearStaleToasts, toast, toastRegion } from './components/toast.js';

const pages = {
  events: () => import('./pages/events.js'),
  event: () => import('./pages/event.js'),
  eventForm: () => import('./pages/event-form.js'),
  posts: () => import('./pages/posts.js'),
  post: () => import('./pages/post.js'),
  people: () => import('./pages/people.js'),
  staff: () => import('./pages/staff.js'),
  modlog: () => import('./pages/modlog.js'),
  reports: () => import('./pages/reports.js'),
  profile: () => import('./pages/profile.js'),
  settings: () => import('./pages/settings.js'),
  notifications: () => import('./pages/notifications.js'),
  tickets: () => import('./pages/tickets.js'),
  checkIn: () => import('./pages/check-in.js'),
  attendees: () => import('./pages/attendees.js'),
  login: () => import('./pages/login.js'),
  register: () => import('./pages/register.js'),
  forgotPassword: () => import('./pages/forgot-password.js'),
  resetPassword: () => import('./pages/reset-password.js'),
  verifyEmail: () => import('./pages/verify-email.js'),
  unsubscribe: () => import('./pages/unsubscribe.js'),
  notFound: () => import('./pages/not-found.js'),
  banned: () => import('./pages/banned.js'),
};

route('/', pages.events);
route('/events', pages.events);
route('/events/new', pages.eventForm, { auth: true });
route('/events/:id', pages.event);
route('/events/:id/edit', pages.eventForm, { auth: true });
route('/events/:id/check-in', pages.checkIn, { auth: true });
route('/events/:id/attendees', pages.attendees, { auth: true });
route('/posts', pages.posts);
route('/posts/:id', pages.post);
route('/users', pages.people);
route('/staff', pages.staff);
route('/modlog', pages.modlog);
route('/reports', pages.reports, { auth: true });
route('/users/:id', pages.profile);
route('/settings', pages.settings, { auth: true });
route('/notifications', pages.notifications, { auth: true });
route('/tickets', pages.tickets, { auth: true });
route('/login', pages.login, { guestOnly: true });
route('/register', pages.register, { guestOnly: true });
// Not for guests only: a link from a mail may be opened in a browser still signed in (a reset signs it out).
route('/forgot-password', pages.forgotPassword);
route('/reset-password', pages.resetPassword);
// Links from mails too, which work signed out (or signed in as anyone).
route('/verify-email', pages.verifyEmail);
route('/unsubscribe', pages.unsubscribe);
route('/404', pages.notFound);
route('/banned', pages.banned);

/** Who is logged in: GET /users/me for the stored token. A 401 here ends the session like anywhere else. */
async function loadCurrentUser() {
  try {
    const user = await api.users.me();
    remember(user);
    if (store.get().token) store.set({ user });
  } catch {
    // 401: sessionEnded ran; a network error leaves the header without a name until the next load
  }
}

/** A stored token was refused and its session could not be renewed (ended on another device, by a
 * password change, or past its lifetime): back to the login page. */
function sessionEnded() {
  if (!isSignedIn() || isPaused()) return;
  const { path } = location();
  // Pages about a forgotten password, and those a mailed link opens, need no session: the reader stays.
  if (['/forgot-password', '/reset-password', '/verify-email', '/unsubscribe'].includes(path)) {
    endSession();
    return;
  }
  const next = path === '/login' || path === '/register' ? null : currentTarget();
  // What the reader was writing waits for them, and their name is filled in on the login page.
  if (next) saveDrafts(next, document.getElementById('main'));
  const username = store.get().user?.username;
  endSession();
  const query = new URLSearchParams({ reason: 'expired' });
  if (next) query.set('next', next);
  if (username) query.set('username', username);
  navigate(`/login?${query}`, { replace: true, force: true });
}

/** The account is banned (any call answered 403 account_banned): signed out here and on the server (a
 * banned account may still log out), and told why and until when. What the server said is handed to the
 * page in this tab's storage, never in the address, which anyone could write a ban into. */
function accountBanned(error) {
  const ban = error?.body?.ban ?? {};
  const { token } = store.get();
  if (isSignedIn()) endSession();
  if (token) api.auth.logout(token).catch(() => {});
  rememberBan({ reason: ban.reason, until: ban.until });
  navigate('/banned', { replace: true, force: true });
}

function logout() {
  // Forgotten here first (the live stream closes at once), then ended on the server; its answer is not
  // waited for.
  const { token } = store.get();
  endSession();
  if (token) api.auth.logout(token).catch(() => {});
  toast(t('auth.loggedOut'), { kind: 'info' });
  navigate('/events', { force: true });
}

function footer() {
  const el = h('footer', { class: 'site-footer' });
  const draw = () =>
    replace(
      el,
      h('p', {}, t('footer.tagline')),
      h('p', {}, h('a', { href: '#/staff' }, t('footer.staff')), ' · ', h('a', { href: '#/modlog' }, t('footer.modlog')), ' · ', h('a', { href: '/docs' }, t('footer.apiDocs'))),
    );
  draw();
  store.subscribe((state, previous, changed) => {
    if (changed.includes('locale')) draw();
  });
  return el;
}

/** A polite live region that says so when new notifications arrive (the badge itself is not announced:
 * it is redrawn, and a screen reader would read it out of context or not at all). */
function unreadAnnouncer() {
  const el = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
  store.subscribe((state, previous, changed) => {
    if (!changed.includes('unread') || !isSignedIn()) return;
    const before = previous.unread ?? 0;
    if (state.unread > before) el.textContent = t('nav.notificationsUnread', { count: state.unread });
  });
  return el;
}

async function boot() {
  applyTheme();
  preloadCurrentPage();
  await initI18n();
  setSiteName(t('app.name'));
  const restored = restoreSession();
  configureApi({ getToken: () => store.get().token, onUnauthorized: sessionEnded, onBanned: accountBanned, renew: renewSession });
  keepSessionAlive();

  const header = createHeader({ onLogout: logout });
  const verifyBanner = createVerifyBanner();
  const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  document.getElementById('app').replaceChildren(header.el, verifyBanner.el, main, footer(), toastRegion(), unreadAnnouncer());
  await header.init();

  store.subscribe((state, previous, changed) => {
    if (changed.includes('locale')) {
      setSiteName(t('app.name'));
      refresh();
    }
  });

  followOtherTabs((change) => {
    if (change === 'in') loadCurrentUser();
    navigate(change === 'in' ? currentTarget() : '/events', { replace: true, force: true });
  });

  initUnreadPolling();
  initLive();
  if (restored) loadCurrentUser();

  await start(main, {
    guard(target) {
      if (target.options.auth && !isSignedIn()) {
        return `/login?${new URLSearchParams({ next: currentTarget() })}`;
      }
      if (target.options.guestOnly && isSignedIn()) return '/events';
      return null;
    },
    afterReady() {
      forgetEarlyReads();
      if (restoreDrafts(currentTarget(), document.getElementById('main')) > 0) toast(t('drafts.restored'), { kind: 'info' });
    },
    afterRender(target, loc) {
      header.markCurrent(loc.path);
      verifyBanner.markCurrent(loc.path);
      clearStaleToasts();
    },
  });
}

boot().catch((error) => {
  // Nothing can be shown without the page frame; say so plainly rather than leave a blank page.
  const app = document.getElementById('app');
  app.replaceChildren(h('p', { class: 'boot-error', role: 'alert' }, 'Plaza could not start. Please reload the page.'));
  throw error;
});
