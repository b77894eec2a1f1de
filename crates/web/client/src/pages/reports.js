// The moderators' queue: open reports, oldest first, each with the reported words in context and one
// click to dismiss, remove, or remove and ban the author; resolved reports in a second tab.

import * as api from '../api.js';
import { h, intParam, replace } from '../dom.js';
import { t, tNodes } from '../i18n.js';
import { href } from '../router.js';
import { errorMessage } from '../errors.js';
import { currentUser } from '../store.js';
import { emptyState, errorBox, loading, notice, pageHeader, time } from '../components/page.js';
import { pager, rangeText } from '../components/pager.js';
import { isStaff } from '../components/report.js';
import { toast } from '../components/toast.js';
import { shownName } from '../components/user.js';

const LIMIT = 20;

/** Where the reported item is read in context. */
function contextLink(report) {
  const { kind, id } = report.target;
  const content = report.content;
  if (kind === 'comment' && content?.event_id) return `#/events/${content.event_id}`;
  if (kind === 'post') return `#/posts/${id}`;
  if (kind === 'event') return `#/events/${id}`;
  if (kind === 'user') return `#/users/${id}`;
  return null;
}

/** Whether the reader may ban the author: a moderator bans members, an admin members and moderators;
 * nobody bans an admin or themself (an author whose account is gone has nothing to ban). */
function mayBanAuthor(report) {
  const me = currentUser();
  const author = report.content?.author;
  if (!me || !author?.role || author.id === me.id) return false;
  return author.role === 'member' || (author.role === 'moderator' && me.role === 'admin');
}

export default function ReportsPage(ctx) {
  let status = ctx.query.get('status') === 'resolved' ? 'resolved' : 'open';
  let skip = intParam(ctx.query.get('skip'), 0);
  const summary = h('p', { class: 'summary', role: 'status', tabindex: '-1' });
  const results = h('div', { class: 'results' });
  const tabs = h('nav', { class: 'tabs', 'aria-label': t('reports.tabs') });
  const el = h(
    'section',
    { class: 'page page-reports' },
    pageHeader(t('reports.title')).el,
    h('p', { class: 'muted' }, t('reports.intro')),
    h('p', {}, h('a', { href: '#/staff' }, t('footer.staff')), ' · ', h('a', { href: '#/modlog' }, t('modlog.title'))),
    tabs,
    summary,
    results,
  );
  const link = (target) => href('/reports', { status: status === 'open' ? null : status, skip: target || null });

  function drawTabs() {
    replace(
      tabs,
      ...['open', 'resolved'].map((one) =>
        h('a', { href: href('/reports', { status: one === 'open' ? null : one }), class: 'tab', 'aria-current': one === status ? 'page' : null }, t(`reports.tab.${one}`))),
    );
  }

  function contentBlock(report) {
    const content = report.content;
    if (!content) return h('p', { class: 'muted' }, t('reports.gone'));
    const author = content.author.username
      ? h('a', { href: `#/users/${content.author.id}` }, shownName(content.author.username))
      : h('span', { class: 'muted' }, t('modlog.goneUser', { id: content.author.id }));
    const context = contextLink(report);
    return h(
      'blockquote',
      { class: ['reported-content', content.removed && 'is-removed'] },
      h('p', { class: 'meta' }, tNodes(`reports.by.${report.target.kind}`, { author }), content.removed ? h('span', { class: 'tag tag-removed' }, t('removed.tag')) : null),
      content.title ? h('p', { class: 'reported-title' }, h('strong', {}, report.target.kind === 'user' ? shownName(content.title) : content.title)) : null,
      content.text ? h('p', { class: 'reported-text pre-wrap' }, content.text) : null,
      context ? h('p', {}, h('a', { href: context }, t('reports.context'))) : null,
    );
  }

  function actions(report) {
    const isAccount = report.target.kind === 'user';
    const buttons = [
      ['dismiss', 'btn-secondary', t('reports.dismiss')],
      isAccount ? null : ['remove', 'btn-danger', t('reports.remove')],
      mayBanAuthor(report) ? ['ban', 'btn-danger', isAccount ? t('reports.banAccount') : t('reports.removeAndBan')] : null,
    ].filter(Boolean);
    const row = h('div', { class: 'card-actions report-actions' });
    for (const [action, kind, label] of buttons) {
      const button = h('button', { type: 'button', class: ['btn', kind], dataset: { action } }, label);
      button.addEventListener('click', async () => {
        row.querySelectorAll('button').forEach((one) => { one.disabled = true; });
        try {
          await api.reports.resolve(report.id, action);
          toast(t(`reports.done.${action === 'ban' && report.target.kind === 'user' ? 'banAccount' : action}`));
          await load();
          summary.focus();
        } catch (error) {
          toast(errorMessage(error), { kind: 'error' });
          // Resolved meanwhile by someone else: show the queue as it now is.
          if (error?.code === 'report_resolved') {
            await load();
            return;
          }
          row.querySelectorAll('button').forEach((one) => { one.disabled = false; });
        }
      });
      row.append(button);
    }
    return row;
  }

  function resolution(report) {
    const done = report.resolution;
    const moderator = done.moderator ? h('a', { href: `#/users/${done.moderator.id}` }, shownName(done.moderator.username)) : h('span', { class: 'muted' }, t('modlog.goneUser', { id: '?' }));
    const action = done.action === 'ban' && report.target.kind === 'user' ? 'banAccount' : done.action;
    return h(
      'div',
      { class: 'report-resolution' },
      h('p', {}, tNodes(`reports.resolved.${action}`, { moderator, time: time(done.resolved_at, { dateStyle: 'medium', timeStyle: 'short' }) })),
      done.note ? h('p', {}, tNodes('reports.resolutionNote', { note: done.note })) : null,
    );
  }

  function card(report) {
    return h(
      'li',
      { class: 'card report-card', dataset: { reportId: String(report.id), kind: report.target.kind } },
      h('p', { class: 'report-head' }, h('strong', {}, t(`report.reason.${report.reason}`)), ' · ', t(`reports.kind.${report.target.kind}`), ' · ', time(report.created_at, { dateStyle: 'medium', timeStyle: 'short' })),
      report.note ? h('p', { class: 'report-note' }, tNodes('reports.note', { note: report.note })) : null,
      contentBlock(report),
      report.resolution ? resolution(report) : actions(report),
    );
  }

  async function load() {
    drawTabs();
    if (!isStaff()) {
      replace(results, notice(t('reports.onlyStaff')));
      summary.textContent = '';
      return;
    }
    if (!results.firstChild) replace(results, loading());
    try {
      const { items, total } = await api.reports.list({ status, skip, limit: LIMIT }, { signal: ctx.signal });
      summary.textContent = total > 0 ? rangeText({ skip, count: items.length, total }) : '';
      if (items.length === 0) {
        replace(results, emptyState(total > 0 ? t('pager.pastEnd') : t(`reports.empty.${status}`), total > 0 ? h('a', { href: link(0) }, t('pager.first')) : null));
        return;
      }
      replace(
        results,
        h('ol', { class: 'report-list', 'aria-label': t('reports.title') }, items.map(card)),
        pager({ skip, limit: LIMIT, total, link, label: t('reports.pages') }),
      );
    } catch (error) {
      if (error?.name === 'AbortError') return;
      replace(results, errorBox(error, {}, load));
    }
  }

  return {
    el,
    title: t('reports.title'),
    ready: load(),
    onQuery(query) {
      status = query.get('status') === 'resolved' ? 'resolved' : 'open';
      skip = intParam(query.get('skip'), 0);
      load().then(() => summary.focus());
    },
  };
}
