// The public moderation log: who changed whose role, removed what, banned whom and lifted a ban, when and why,
// newest first.

import * as api from '../api.js';
import { h, intParam, replace } from '../dom.js';
import { t, tNodes } from '../i18n.js';
import { href } from '../router.js';
import { emptyState, errorBox, loading, pageHeader, time } from '../components/page.js';
import { pager, rangeText } from '../components/pager.js';
import { shownName } from '../components/user.js';

const LIMIT = 20;

/** A link to the user an entry names, or words for one that is gone. */
function person(ref) {
  if (!ref?.username) return h('span', { class: 'muted' }, t('modlog.goneUser', { id: ref?.id ?? '?' }));
  return h('a', { href: `#/users/${ref.id}` }, shownName(ref.username));
}

function entryText(entry) {
  const target = person(entry.target);
  const moderator = person(entry.moderator);
  if (entry.action === 'ban') {
    return entry.until
      ? tNodes('modlog.banUntil', { moderator, target, time: time(entry.until, { dateStyle: 'medium', timeStyle: 'short' }) })
      : tNodes('modlog.banForGood', { moderator, target });
  }
  if (entry.action === 'unban') return tNodes('modlog.unban', { moderator, target });
  // A removed item's text is never in the log: its kind and number say what it was.
  if (entry.action === 'remove') return tNodes(`modlog.remove.${entry.target.kind}`, { moderator, id: String(entry.target.id) });
  const role = h('strong', {}, t(`role.${entry.role}`));
  if (entry.moderator) return tNodes('modlog.setRole', { moderator, target, role });
  return tNodes('modlog.setRoleConsole', { target, role });
}

export default function ModLogPage(ctx) {
  let skip = intParam(ctx.query.get('skip'), 0);
  const summary = h('p', { class: 'summary', role: 'status', tabindex: '-1' });
  const results = h('div', { class: 'results' }, loading());
  const el = h('section', { class: 'page page-modlog' }, pageHeader(t('modlog.title')).el, h('p', { class: 'muted' }, t('modlog.intro')), summary, results);
  const link = (target) => href('/modlog', { skip: target || null });

  async function load() {
    try {
      const { items, total } = await api.modlog.list({ skip, limit: LIMIT }, { signal: ctx.signal });
      summary.textContent = total > 0 ? rangeText({ skip, count: items.length, total }) : '';
      if (items.length === 0) {
        replace(results, emptyState(total > 0 ? t('pager.pastEnd') : t('modlog.empty'), total > 0 ? h('a', { href: link(0) }, t('pager.first')) : null));
        return;
      }
      replace(
        results,
        h(
          'ol',
          { class: 'modlog-list', 'aria-label': t('modlog.title') },
          items.map((entry) =>
            h(
              'li',
              { class: 'card modlog-entry', dataset: { action: entry.action } },
              h('p', {}, entryText(entry)),
              entry.reason ? h('p', { class: 'modlog-reason' }, tNodes('modlog.reason', { reason: entry.reason })) : null,
              h('p', { class: 'muted small' }, time(entry.created_at, { dateStyle: 'medium', timeStyle: 'short' })),
            )),
        ),
        pager({ skip, limit: LIMIT, total, link, label: t('modlog.pages') }),
      );
    } catch (error) {
      if (error?.name === 'AbortError') return;
      replace(results, errorBox(error, {}, load));
    }
  }

  return {
    el,
    title: t('modlog.title'),
    ready: load(),
    onQuery(query) {
      skip = intParam(query.get('skip'), 0);
      load().then(() => summary.focus());
    },
  };
}
