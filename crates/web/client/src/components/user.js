// How a user appears: an avatar (the picture, or an initial on a colour of their own) and a link to
// the profile. Names are text nodes, whatever they contain.

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { cachedUser } from '../users.js';

/** An avatar for `user`; decorative (alt="") since the name is always beside it. size: 'sm' | 'md' | 'lg'. */
export function avatar(user, size = 'sm') {
  if (user?.avatar_url) {
    return h('img', { class: ['avatar', `avatar-${size}`], src: user.avatar_url, alt: '', loading: 'lazy', decoding: 'async' });
  }
  const name = user?.full_name?.trim() || user?.username || '?';
  const initial = [...name][0]?.toUpperCase() ?? '?';
  const el = h('span', { class: ['avatar', `avatar-${size}`, 'avatar-initial'], 'aria-hidden': 'true' }, initial);
  el.style.setProperty('--avatar-hue', String(((user?.id ?? 0) * 47) % 360));
  return el;
}

/** A link to the profile of user `id` (from the cache filled by loadUsers), with avatar if asked. */
export function userLink(id, { withAvatar = false, user = cachedUser(id) } = {}) {
  const name = user ? user.username : t('user.unknown', { id });
  return h('a', { class: 'user-link', href: `#/users/${id}` }, withAvatar ? avatar(user, 'sm') : null, h('span', { class: 'user-link-name' }, name));
}
