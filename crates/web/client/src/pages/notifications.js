// Notifications, newest first, paged; optionally only the unread ones. Each names the account that
// sent it (looked up from sender_id) beside the free-text `sender`, so no one can pass for "Admin".
// "Mark all read" sends up_to_id = the highest id shown here, so nothing unseen is cleared.
// While the live stream is open (live.js), a new notification joins the top of the first page as it
// arrives; on later pages, or without the stream, a notice offers to show what is new instead.

import * as api from '../api.js';
import { h, intParam, replace } from '../dom.js';
import { errorMessage } from '../errors.js';
import { t, tNodes } from '../i18n.js';
import { isLive, onNotification } from '../live.js';
import { href, navigate } from '../router.js';
import { store } from '../store.js';
import { cachedUser, loadUsers } from '../users.js';
import { emptyState, errorBox, loading, pageHeader, time } from '../components/page.js';
import { pager, rangeText } from '../components/pager.js';
import { toast } from '../components/toast.js';
import { avatar, userLink } from '../components/user.js';
import { noticeText } from '../components/notice.js';

const LIMIT = 20;

/** The highest notification id this user has been shown, per user, for as long as the page is open. */
const highestShown = new Map();

export default function NotificationsPage(ctx) {
  let skip = intParam(ctx.query.get('skip'), 0);
  let unreadOnly = ctx.query.get('unread') === '1';
  let lastUnread = store.get().unread;
  const userId = () => store.get().user?.id ?? 'me';
  /** What the loaded page shows ({ ids, list, pager, total }), null while it loads or after it failed. */
  let view = null;
  /** Notifications that arrived while the page was loading: shown once it has loaded, unless it has them. */
  let early = [];

  const markAll = h('button', { type: 'button', class: 'btn btn-secondary', onClick: markAllRead }, t('notifications.markAll'));
  const { el: header } = pageHeader(t('notifications.title'), markAll);
  const filter = h('nav', { class: 'tabs', 'aria-label': t('notifications.filter') });
  const summary = h('p', { class: 'summary', role: 'status', tabindex: '-1' });
  const fresh = h('div', { class: 'fresh', role: 'status' });
  const results = h('div', { class: 'results' }, loading());
  const el = h('section', { class: 'page page-notifications' }, header, filter, fresh, summary, results);

  const link = (target, onlyUnread = unreadOnly) => href('/notifications', { unread: onlyUnread ? 1 : null, skip: target || null });

  function drawFilter() {
    const tab = (label, active, target) => h('a', { class: 'tab', href: target, 'aria-current': active ? 'page' : null }, label);
    replace(filter, tab(t('notifications.all'), !unreadOnly, link(0, false)), tab(t('notifications.unread'), unreadOnly, link(0, true)));
  }

  function seen(items) {
    const top = Math.max(0, ...items.map((item) => item.id));
    highestShown.set(userId(), Math.max(highestShown.get(userId()) ?? 0, top));
  }

  function drawSummary() {
    const count = view.list?.children.length ?? 0;
    summary.textContent = view.total > 0 ? `${rangeText({ skip, count, total: view.total })} · ${t('notifications.unreadCount', { count: store.get().unread })}` : '';
  }

  const newList = (items) => h('ul', { class: 'notification-list', 'aria-label': t('notifications.listLabel') }, items.map(item));

  async function load() {
    drawFilter();
    replace(fresh);
    view = null;
    early = [];
    try {
      const { items, total, unread } = await api.notifications.list({ skip, limit: LIMIT, unreadOnly }, { signal: ctx.signal });
      if (unread !== null) {
        lastUnread = unread;
        store.set({ unread });
      }
      markAll.disabled = (unread ?? 0) === 0;
      await loadUsers(items.map((item) => item.sender_id), { signal: ctx.signal });
      seen(items);
      view = { ids: new Set(items.map((notification) => notification.id)), list: null, pager: null, total };
      if (items.length === 0) {
        replace(results, total > 0 ? emptyState(t('pager.pastEnd'), h('a', { href: link(0) }, t('pager.first'))) : emptyState(unreadOnly ? t('notifications.emptyUnread') : t('notifications.empty')));
      } else {
        view.list = newList(items);
        view.pager = pager({ skip, limit: LIMIT, total, link, label: t('notifications.pages') });
        replace(results, view.list, view.pager);
      }
      drawSummary();
      for (const notification of early.splice(0)) show(notification);
    } catch (error) {
      if (error?.name === 'AbortError') return;
      early = [];
      summary.textContent = '';
      replace(results, errorBox(error, {}, load));
    }
  }

  /** A notification from the live stream: its sender's name first (for the row), then the row. */
  async function arrived(notification) {
    if (skip !== 0) return;
    try {
      await loadUsers([notification.sender_id], { signal: ctx.signal });
    } catch (error) {
      if (error?.name === 'AbortError') return;
      // the row names the account by its id instead
    }
    if (ctx.signal.aborted) return;
    if (view) show(notification);
    else early.push(notification);
  }

  /** Puts a new notification in its place by id (newest first), once; the page keeps LIMIT rows. */
  function show(notification) {
    if (skip !== 0 || view.ids.has(notification.id) || (unreadOnly && notification.read)) return;
    view.ids.add(notification.id);
    if (!view.list) {
      view.list = newList([]);
      replace(results, view.list);
    }
    const row = item(notification);
    const next = [...view.list.children].find((other) => Number(other.dataset.id) < notification.id);
    view.list.insertBefore(row, next ?? null);
    view.total += 1;
    // The oldest row moves on to the next page, as a reload would show it.
    while (view.list.children.length > LIMIT) {
      view.ids.delete(Number(view.list.lastElementChild.dataset.id));
      view.list.lastElementChild.remove();
    }
    seen([notification]);
    const nextPager = pager({ skip, limit: LIMIT, total: view.total, link, label: t('notifications.pages') });
    view.pager?.remove();
    view.pager = nextPager;
    if (nextPager) results.append(nextPager);
    drawSummary();
  }

  /** Following a notification to what it announces reads it: marked read on the way, without waiting. */
  function openedNotification(notification) {
    if (notification.read) return;
    notification.read = true;
    const before = store.get().unread;
    api.notifications
      .markRead(notification.id)
      .then(() => {
        if (store.get().unread === before) store.set({ unread: Math.max(0, before - 1) });
      })
      .catch(() => {
        notification.read = false; // still unread; the list says so when it is next shown
      });
  }

  function item(notification) {
    const account = cachedUser(notification.sender_id);
    const readButton = notification.read
      ? null
      : h('button', {
        type: 'button',
        class: 'btn btn-ghost btn-small',
        onClick: async (event) => {
          const button = event.currentTarget;
          button.disabled = true;
          const before = store.get().unread;
          try {
            await api.notifications.markRead(notification.id);
            const row = button.closest('li');
            row.classList.remove('is-unread');
            row.querySelector('.unread-dot')?.remove();
            const next = row.querySelector('.notification-status');
            if (next) next.textContent = t('notifications.read');
            button.remove();
            // The live stream (or a poll) may have brought the new count already; subtracting again would
            // count this one twice.
            if (store.get().unread === before) store.set({ unread: Math.max(0, before - 1) });
            markAll.disabled = store.get().unread === 0;
            row.querySelector('.notification-message')?.focus();
          } catch (error) {
            button.disabled = false;
            toast(errorMessage(error), { kind: 'error' });
          }
        },
      }, t('notifications.markRead'));
    return h(
      'li',
      { class: ['notification', !notification.read && 'is-unread'], dataset: { id: String(notification.id) } },
      h('div', { class: 'notification-avatar' }, avatar(account, 'md')),
      h(
        'div',
        { class: 'notification-body' },
        h('p', { class: 'notification-message', tabindex: '-1' }, !notification.read ? h('span', { class: 'unread-dot', 'aria-hidden': 'true' }) : null, noticeText(notification, account)),
        h(
          'p',
          { class: 'notification-from' },
          tNodes('notifications.from', {
            sender: h('strong', { class: 'notification-sender' }, account?.deleted ? t('user.deleted') : notification.sender),
            account: userLink(notification.sender_id, { user: account }),
          }),
        ),
        h(
          'p',
          { class: 'meta' },
          time(notification.created_at),
          h('span', { class: 'meta-sep', 'aria-hidden': 'true' }, ' · '),
          h('span', { class: 'notification-status' }, notification.read ? t('notifications.read') : t('notifications.unreadOne')),
          notification.event_id !== null ? [h('span', { class: 'meta-sep', 'aria-hidden': 'true' }, ' · '), h('a', { href: href(`/events/${notification.event_id}`, { comment_at: notification.created_at }), onClick: () => openedNotification(notification) }, t('notifications.viewEvent'))] : null,
        ),
      ),
      h('div', { class: 'notification-actions' }, readButton),
    );
  }

  async function markAllRead() {
    const upTo = highestShown.get(userId()) ?? 0;
    if (upTo === 0) return;
    markAll.disabled = true;
    try {
      const { updated } = await api.notifications.markAllRead(upTo);
      toast(t('notifications.markedAll', { count: updated }));
      await load();
      summary.focus();
    } catch (error) {
      markAll.disabled = false;
      toast(errorMessage(error), { kind: 'error' });
    }
  }

  // New notifications arrived while this page is open (the count rose): offer them, unless the stream
  // brings them onto this very page.
  const unsubscribe = store.subscribe((state, previous, changed) => {
    if (!changed.includes('unread')) return;
    if (state.unread > lastUnread && !(skip === 0 && isLive())) {
      replace(fresh, h('div', { class: 'alert alert-info' }, h('span', {}, t('notifications.fresh')), ' ', h('button', { type: 'button', class: 'btn btn-small btn-secondary', onClick: () => navigate(link(0).slice(1)) }, t('notifications.showFresh'))));
    }
    lastUnread = state.unread;
    markAll.disabled = state.unread === 0;
    if (view) drawSummary();
  });
  const unlisten = onNotification(arrived);

  return {
    el,
    title: t('notifications.title'),
    ready: load(),
    onQuery(query) {
      skip = intParam(query.get('skip'), 0);
      unreadOnly = query.get('unread') === '1';
      load().then(() => summary.focus());
    },
    destroy() {
      unsubscribe();
      unlisten();
    },
  };
}
