// Who runs the community: its admins and moderators. Admins change roles here (and on any profile);
// everyone else sees who to turn to.

import * as api from '../api.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { currentUser, store } from '../store.js';
import { remember } from '../users.js';
import { emptyState, errorBox, loading, notice, pageHeader } from '../components/page.js';
import { roleForm } from '../components/role.js';
import { avatar, roleBadge } from '../components/user.js';

// Staff lists are short; a community with more than this many moderators pages through People instead.
const LIMIT = 100;

export default function StaffPage(ctx) {
  const lists = h('div', { class: 'results' }, loading());
  const el = h('section', { class: 'page page-staff' }, pageHeader(t('staff.title')).el, h('div', { class: 'staff-intro' }), lists);

  function intro() {
    const admin = currentUser()?.role === 'admin';
    replace(el.querySelector('.staff-intro'), notice(admin ? t('staff.adminHint') : t('staff.hint')));
  }

  function member(user) {
    const admin = currentUser()?.role === 'admin';
    return h(
      'li',
      { class: 'card person staff-member' },
      avatar(user, 'md'),
      h('div', { class: 'person-body' }, h('a', { class: 'person-name', href: `#/users/${user.id}` }, user.username), roleBadge(user)),
      admin ? roleForm(user, (updated, { self }) => {
        // Stepping down redraws through the store's subscription; anyone else's change here.
        if (!self) load().then(() => el.querySelector('h1')?.focus());
      }) : null,
    );
  }

  async function section(role) {
    const { items, total } = await api.users.list({ role, limit: LIMIT }, { signal: ctx.signal });
    items.forEach(remember);
    const heading = h('h2', {}, t(`staff.${role}s`, { count: total }));
    return h(
      'section',
      { class: 'staff-section' },
      heading,
      items.length ? h('ul', { class: 'staff-list' }, items.map(member)) : emptyState(t(`staff.no.${role}`)),
    );
  }

  async function load() {
    intro();
    try {
      const [admins, moderators] = await Promise.all([section('admin'), section('moderator')]);
      replace(lists, admins, moderators, h('p', {}, h('a', { href: '#/modlog' }, t('modlog.title'))));
    } catch (error) {
      if (error?.name === 'AbortError') return;
      replace(lists, errorBox(error, {}, load));
    }
  }

  const unsubscribe = store.subscribe((state, previous, changed) => {
    if (changed.includes('user')) load();
  });

  return { el, title: t('staff.title'), ready: load(), destroy: unsubscribe };
}
