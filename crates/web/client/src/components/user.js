// How a user appears: an avatar (the picture, or an initial on a colour of their own) and a link to
// the profile. Names are text nodes, whatever they contain.

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { cachedUser } from '../users.js';

/** An avatar for `user`; decorative (alt="") since the name is always beside it. size: 'sm' | 'md' | 'lg'. */
export function avatar(user, size = 'sm') {
  if (user?.deleted) user = null;
  if (user?.avatar_url) {
    return h('img', { class: ['avatar', `avatar-${size}`], src: user.avatar_url, alt: '', loading: 'lazy', decoding: 'async' });
  }
  const name = user?.full_name?.trim() || user?.username || '?';
  const initial = [...name][0]?.toUpperCase() ?? '?';
  const el = h('span', { class: ['avatar', `avatar-${size}`, 'avatar-initial'], 'aria-hidden': 'true' }, initial);
  el.style.setProperty('--avatar-hue', String(((user?.id ?? 0) * 47) % 360));
  return el;
}

/** What the server calls a deleted account wherever a user name would be (no user name has a space). */
const DELETED_NAME = 'deleted user';

/** Whether a user name the server sent is a deleted account's. */
export const isDeletedName = (username) => username === DELETED_NAME;

/** A user name as shown: a deleted account's, in the reader's language. */
export const shownName = (username) => (isDeletedName(username) ? t('user.deleted') : username);

/** `user` as everyone sees it once its owner deleted it (what `GET /users/{id}` then answers). */
export const asDeleted = (user) => ({ id: user.id, username: DELETED_NAME, full_name: null, avatar_url: null, role: 'member', created_at: user.created_at, deleted: true });

/** A person, the same way everywhere: the full name with the user name after it (`Gus Guest @gus`), or
 * the user name alone when there is no full name. */
export function displayName(user) {
  if (user?.deleted) return t('user.deleted');
  const full = user?.full_name?.trim();
  return full ? `${full} @${user.username}` : user?.username ?? '';
}

/** A link to the profile of user `id` (from the cache filled by loadUsers), with avatar if asked: the full
 * name with the user name after it (see displayName). */
export function userLink(id, { withAvatar = false, user = cachedUser(id) } = {}) {
  if (user?.deleted) {
    return h('span', { class: 'user-link user-deleted' }, withAvatar ? avatar(null, 'sm') : null, h('span', { class: 'user-link-name' }, t('user.deleted')));
  }
  const full = user?.full_name?.trim();
  const name = user ? (full || user.username) : t('user.unknown', { id });
  return h(
    'a',
    { class: 'user-link', href: `#/users/${id}` },
    withAvatar ? avatar(user, 'sm') : null,
    h('span', { class: 'user-link-name' }, name),
    full ? h('span', { class: 'user-link-handle' }, `@${user.username}`) : null,
  );
}

/** "Moderator" or "Admin" beside a name; nothing for a member. */
export function roleBadge(user) {
  if (!user?.role || user.role === 'member') return null;
  return h('span', { class: ['tag', 'role-badge', `role-${user.role}`] }, t(`role.${user.role}`));
}
