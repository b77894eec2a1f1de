// Notifications, newest first, paged; optionally only the unread ones. Each names the account that
// sent it (looked up from sender_id) beside the free-text `sender`, so no one can pass for "Admin".
// "Mark all read" sends up_to_id = the highest id shown here, so nothing unseen is cleared.

import * as api from '../api.js';
import { h, intParam, replace } from '../dom.js';
import { errorMessage } from '../errors.js';
import { t, tNodes } from '../i18n.js';
import { href, navigate } from '../router.js';
import { store } from '../store.js';
import { cachedUser, loadUsers } from '../users.js';
import { emptyState, errorBox, loading, pageHeader, time } from '../components/page.js';
import { pager, rangeText } from '../components/pager.js';
import { toast } from '../components/toast.js';
import { avatar, userLink } from '../components/user.js';

const LIMIT = 20;

/** The highest notification id this user has been shown, per user, for as long as the page is open. */
const highestShown = new Map();

export default function NotificationsPage(ctx) {
  let skip = intParam(ctx.query.get('skip'), 0);
  let unreadOnly = ctx.query.get('unread') === '1';
  let lastUnread = store.get().unread;
  const userId = () => store.get().user?.id ?? 'me';

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

  async function load() {
    drawFilter();
    replace(fresh);
    try {
      const { items, total, unread } = await api.notifications.list({ skip, limit: LIMIT, unreadOnly }, { signal: ctx.signal });
      if (unread !== null) {
        lastUnread = unread;
        store.set({ unread });
      }
      markAll.disabled = (unread ?? 0) === 0;
      await loadUsers(items.map((item) => item.sender_id), { signal: ctx.signal });
      seen(items);
      summary.textContent = total > 0 ? `${rangeText({ skip, count: items.length, total })} · ${t('notifications.unreadCount', { count: unread ?? 0 })}` : '';
      if (items.length === 0) {
        replace(results, total > 0 ? emptyState(t('pager.pastEnd'), h('a', { href: link(0) }, t('pager.first'))) : emptyState(unreadOnly ? t('notifications.emptyUnread') : t('notifications.empty')));
        return;
      }
      replace(
        results,
        h('ul', { class: 'notification-list', 'aria-label': t('notifications.listLabel') }, items.map(item)),
        pager({ skip, limit: LIMIT, total, link, label: t('notifications.pages') }),
      );
    } catch (error) {
      if (error?.name === 'AbortError') return;
      summary.textContent = '';
      replace(results, errorBox(error));
    }
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
          try {
            await api.notifications.markRead(notification.id);
            const row = button.closest('li');
            row.classList.remove('is-unread');
            row.querySelector('.unread-dot')?.remove();
            const next = row.querySelector('.notification-status');
            if (next) next.textContent = t('notifications.read');
            button.remove();
            store.set({ unread: Math.max(0, store.get().unread - 1) });
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
      { class: ['notification', !notification.read && 'is-unread'] },
      h('div', { class: 'notification-avatar' }, avatar(account, 'md')),
      h(
        'div',
        { class: 'notification-body' },
        h('p', { class: 'notification-message', tabindex: '-1' }, !notification.read ? h('span', { class: 'unread-dot', 'aria-hidden': 'true' }) : null, notification.message),
        h(
          'p',
          { class: 'notification-from' },
          tNodes('notifications.from', {
            sender: h('strong', { class: 'notification-sender' }, notification.sender),
            account: userLink(notification.sender_id, { user: account }),
          }),
        ),
        h(
          'p',
          { class: 'meta' },
          time(notification.created_at),
          h('span', { class: 'meta-sep', 'aria-hidden': 'true' }, ' · '),
          h('span', { class: 'notification-status' }, notification.read ? t('notifications.read') : t('notifications.unreadOne')),
          notification.event_id !== null ? [h('span', { class: 'meta-sep', 'aria-hidden': 'true' }, ' · '), h('a', { href: `#/events/${notification.event_id}` }, t('notifications.viewEvent'))] : null,
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

  // New notifications arrived while this page is open (the header's poll saw the count rise): offer them.
  const unsubscribe = store.subscribe((state, previous, changed) => {
    if (!changed.includes('unread')) return;
    if (state.unread > lastUnread) {
      replace(fresh, h('div', { class: 'alert alert-info' }, h('span', {}, t('notifications.fresh')), ' ', h('button', { type: 'button', class: 'btn btn-small btn-secondary', onClick: () => navigate(link(0).slice(1)) }, t('notifications.showFresh'))));
    }
    lastUnread = state.unread;
    markAll.disabled = state.unread === 0;
  });

  return {
    el,
    title: t('notifications.title'),
    ready: load(),
    onQuery(query) {
      skip = intParam(query.get('skip'), 0);
      unreadOnly = query.get('unread') === '1';
      load().then(() => summary.focus());
    },
    destroy: unsubscribe,
  };
}
