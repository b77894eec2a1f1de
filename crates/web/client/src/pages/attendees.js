// The organiser's attendee list: every ticket of the event in the order it was sold, with its holder and
// whether it was let in (and when), not yet, or cancelled; paged, with the whole list as a CSV file to
// download. Made to read on a phone too: each row becomes a small card there.

import * as api from '../api.js';
import { h, intParam, replace } from '../dom.js';
import { errorMessage } from '../errors.js';
import { t, tNodes } from '../i18n.js';
import { href } from '../router.js';
import { currentUser } from '../store.js';
import { emptyState, errorBox, isId, loading, pageHeader, time } from '../components/page.js';
import { pager, rangeText } from '../components/pager.js';
import { toast } from '../components/toast.js';
import { isDeletedName, userLink } from '../components/user.js';

const LIMIT = 50;

/** Whether two instants fall on the same day where the reader is. */
const sameDay = (a, b) => new Date(a).toDateString() === new Date(b).toDateString();

export default function AttendeesPage(ctx) {
  const { id } = ctx.params;
  let skip = intParam(ctx.query.get('skip'), 0);
  let event = null;
  let controller = null;
  // The CSV files' blob: addresses, let go of once the browser has had time to take them, or when the
  // page is left.
  let files = [];
  ctx.signal.addEventListener('abort', () => controller?.abort());

  const el = h('section', { class: 'page page-attendees' }, pageHeader(t('attendees.title')).el, loading());
  const summary = h('p', { class: 'summary', role: 'status', tabindex: '-1' });
  const results = h('div', { class: 'results' }, loading());
  const download = h('button', { type: 'button', class: 'btn btn-secondary', onClick: downloadCsv }, t('attendees.download'));

  const link = (target) => href(`/events/${id}/attendees`, { skip: target || null });

  function notOwner() {
    replace(el, pageHeader(t('attendees.title')).el, emptyState(t('attendees.notOwner'), h('a', { href: href(`/events/${event.id}`) }, event.name)));
  }

  /** The ticket's state at the door, in words and colour: "Checked in at 18:02", "Not checked in", "Cancelled". */
  function state(attendee) {
    if (attendee.status === 'checked_in' && attendee.checked_in_at) {
      // The time alone when it was the event's day; the date too otherwise.
      const options = sameDay(attendee.checked_in_at, event.event_time) ? { timeStyle: 'short' } : { dateStyle: 'medium', timeStyle: 'short' };
      // One inner span: a tag lays out as flex, which would drop the space before the time.
      return h('span', { class: 'tag tag-checked_in' }, h('span', {}, tNodes('attendees.checkedInAt', { time: time(attendee.checked_in_at, options) })));
    }
    if (attendee.status === 'cancelled') return h('span', { class: 'tag tag-cancelled' }, t('attendees.cancelled'));
    return h('span', { class: 'tag tag-active' }, t('attendees.notCheckedIn'));
  }

  function row(attendee) {
    const holder = { id: attendee.holder_id, username: attendee.username, full_name: attendee.full_name, deleted: isDeletedName(attendee.username) };
    return h(
      'tr',
      { class: `attendee attendee-${attendee.status}`, role: 'row', dataset: { ticketId: String(attendee.id) } },
      h('th', { scope: 'row', role: 'rowheader', 'data-label': t('attendees.holder') }, userLink(attendee.holder_id, { user: holder })),
      h('td', { role: 'cell', 'data-label': t('attendees.state') }, state(attendee)),
      h('td', { role: 'cell', 'data-label': t('attendees.sold') }, time(attendee.created_at, { dateStyle: 'medium', timeStyle: 'short' })),
    );
  }

  /** A table; on a phone its rows are laid out as cards, so its roles are written out (a browser may drop
   * a table's semantics once its parts are not displayed as one). */
  function table(items) {
    return h(
      'table',
      { class: 'attendee-table', role: 'table' },
      h('caption', { class: 'visually-hidden' }, t('attendees.caption', { name: event.name })),
      h('thead', { role: 'rowgroup' }, h('tr', { role: 'row' }, [t('attendees.holder'), t('attendees.state'), t('attendees.sold')].map((label) => h('th', { scope: 'col', role: 'columnheader' }, label)))),
      h('tbody', { role: 'rowgroup' }, items.map(row)),
    );
  }

  async function loadList() {
    controller?.abort();
    controller = new AbortController();
    const { signal } = controller;
    results.setAttribute('aria-busy', 'true');
    try {
      const { items, total } = await api.events.attendees(event.id, { skip, limit: LIMIT }, { signal });
      const checkedIn = items.filter((attendee) => attendee.status === 'checked_in').length;
      summary.textContent = total > 0 ? `${rangeText({ skip, count: items.length, total })} · ${t('attendees.checkedInHere', { count: checkedIn })}` : '';
      if (items.length === 0) {
        replace(results, total > 0 ? emptyState(t('pager.pastEnd'), h('a', { href: link(0) }, t('pager.first'))) : emptyState(t('attendees.empty')));
        return;
      }
      replace(results, table(items), pager({ skip, limit: LIMIT, total, link, label: t('attendees.pages') }));
    } catch (error) {
      if (error?.name === 'AbortError') return;
      if (error?.code === 'forbidden') return notOwner();
      summary.textContent = '';
      replace(results, errorBox(error, {}, loadList));
    } finally {
      if (!signal.aborted) results.removeAttribute('aria-busy');
    }
  }

  /** The whole list as CSV, fetched with the session's token and saved from a blob: URL. */
  async function downloadCsv() {
    download.disabled = true;
    download.setAttribute('aria-busy', 'true');
    try {
      const blob = await api.events.attendeesCsv(event.id, { signal: ctx.signal });
      const url = URL.createObjectURL(blob);
      files.push(url);
      const name = `event-${event.id}-attendees.csv`;
      const save = h('a', { href: url, download: name, hidden: true });
      document.body.append(save);
      save.click();
      save.remove();
      setTimeout(() => {
        URL.revokeObjectURL(url);
        files = files.filter((other) => other !== url);
      }, 60_000);
      toast(t('attendees.downloading', { file: name }), { kind: 'info' });
    } catch (error) {
      if (error?.name === 'AbortError') return;
      toast(errorMessage(error), { kind: 'error' });
    } finally {
      download.disabled = false;
      download.removeAttribute('aria-busy');
    }
  }

  function draw() {
    const door = h('a', { class: 'btn btn-secondary', href: href(`/events/${event.id}/check-in`) }, t('checkIn.open'));
    replace(
      el,
      h('p', { class: 'breadcrumb' }, h('a', { href: href(`/events/${event.id}`) }, event.name)),
      pageHeader(t('attendees.title'), door, download).el,
      summary,
      results,
    );
  }

  async function load() {
    if (!isId(id)) return replace(el, pageHeader(t('event.missing')).el, emptyState(t('event.missingText')));
    try {
      event = await api.events.get(id, { signal: ctx.signal });
    } catch (error) {
      if (error?.name === 'AbortError') return;
      if (error?.code === 'not_found') return replace(el, pageHeader(t('event.missing')).el, emptyState(t('event.missingText'), h('a', { href: '#/events' }, t('event.backToList'))));
      replace(el, pageHeader(t('attendees.title')).el, errorBox(error, {}, load));
      return;
    }
    if (currentUser()?.id !== undefined && currentUser().id !== event.owner_id) return notOwner();
    ctx.setTitle(`${t('attendees.title')} · ${event.name}`);
    draw();
    await loadList();
  }

  return {
    el,
    title: t('attendees.title'),
    ready: load(),
    onQuery(query) {
      skip = intParam(query.get('skip'), 0);
      if (!event) return;
      loadList().then(() => summary.focus());
    },
    destroy() {
      files.forEach((url) => URL.revokeObjectURL(url));
      files = [];
    },
  };
}
