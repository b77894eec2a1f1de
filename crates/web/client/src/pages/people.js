// Everyone on Plaza, by id, paged.

import * as api from '../api.js';
import { h, intParam, replace } from '../dom.js';
import { t, tNodes } from '../i18n.js';
import { href } from '../router.js';
import { remember } from '../users.js';
import { emptyState, errorBox, loading, pageHeader, time } from '../components/page.js';
import { pager, rangeText } from '../components/pager.js';
import { avatar, shownName } from '../components/user.js';

const LIMIT = 20;

export default function PeoplePage(ctx) {
  let skip = intParam(ctx.query.get('skip'), 0);
  const summary = h('p', { class: 'summary', role: 'status', tabindex: '-1' });
  const results = h('div', { class: 'results' }, loading());
  const el = h('section', { class: 'page page-people' }, pageHeader(t('people.title')).el, summary, results);
  const link = (target) => href('/users', { skip: target || null });

  async function load() {
    try {
      const { items, total } = await api.users.list({ skip, limit: LIMIT }, { signal: ctx.signal });
      items.forEach(remember);
      summary.textContent = total > 0 ? rangeText({ skip, count: items.length, total }) : '';
      if (items.length === 0) {
        replace(results, emptyState(total > 0 ? t('pager.pastEnd') : t('people.empty'), total > 0 ? h('a', { href: link(0) }, t('pager.first')) : null));
        return;
      }
      replace(
        results,
        h(
          'ul',
          { class: 'people-list', 'aria-label': t('people.listLabel') },
          items.map((user) =>
            h(
              'li',
              { class: 'card person' },
              avatar(user, 'md'),
              h(
                'div',
                { class: 'person-body' },
                h('a', { class: 'person-name', href: `#/users/${user.id}` }, shownName(user.username)),
                user.full_name ? h('span', { class: 'person-full-name' }, user.full_name) : null,
                h('span', { class: 'muted small' }, tNodes('profile.joined', { date: time(user.created_at, { dateStyle: 'medium' }) })),
              ),
            )),
        ),
        pager({ skip, limit: LIMIT, total, link, label: t('people.pages') }),
      );
    } catch (error) {
      if (error?.name === 'AbortError') return;
      replace(results, errorBox(error, {}, load));
    }
  }

  return {
    el,
    title: t('people.title'),
    ready: load(),
    onQuery(query) {
      skip = intParam(query.get('skip'), 0);
      load().then(() => summary.focus());
    },
  };
}
