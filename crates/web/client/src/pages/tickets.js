// My tickets: what the reader holds, upcoming first then past, each with its code (as text and as a QR
// code for the door) and a way to give it back while the event has not started; above them, the
// waitlists the reader is on, each with their place in line and a way to leave it.

import * as api from '../api.js';
import { h, intParam, replace, uid } from '../dom.js';
import { errorMessage } from '../errors.js';
import { t } from '../i18n.js';
import { href } from '../router.js';
import { confirmDialog } from '../components/dialog.js';
import { emptyState, errorBox, loading, pageHeader, time } from '../components/page.js';
import { pager, rangeText } from '../components/pager.js';
import { hasStarted, pastTag } from '../components/place.js';
import { toast } from '../components/toast.js';

const LIMIT = 20;
/** Waitlist entries shown at once: one page, as a reader waits for few events at a time. */
const WAITLIST_LIMIT = 100;
const STATUSES = ['active', 'checked_in', 'cancelled'];

export default function TicketsPage(ctx) {
  let skip = intParam(ctx.query.get('skip'), 0);
  let status = STATUSES.includes(ctx.query.get('status')) ? ctx.query.get('status') : null;
  let controller = null;
  // The QR codes' blob: addresses, let go of when the page redraws or is left.
  let pictures = [];
  ctx.signal.addEventListener('abort', () => controller?.abort());

  const { el: header } = pageHeader(t('myTickets.title'));
  const filter = h('nav', { class: 'tabs', 'aria-label': t('myTickets.filter') });
  const summary = h('p', { class: 'summary', role: 'status', tabindex: '-1' });
  const results = h('div', { class: 'results' }, loading());
  const waitlistHeadingId = uid('waitlist-heading');
  const waitlist = h('section', { class: 'ticket-group waitlist-group', 'aria-labelledby': waitlistHeadingId, hidden: true });
  let waitlistController = null;
  ctx.signal.addEventListener('abort', () => waitlistController?.abort());
  const el = h('section', { class: 'page page-tickets' }, header, waitlist, filter, summary, results);

  const link = (target, only = status) => href('/tickets', { status: only, skip: target || null });

  function drawFilter() {
    const tab = (label, value) => h('a', { class: 'tab', href: link(0, value), 'aria-current': status === value ? 'page' : null }, label);
    replace(filter, tab(t('myTickets.all'), null), ...STATUSES.map((value) => tab(t(`myTickets.status.${value}`), value)));
  }

  function forgetPictures() {
    pictures.forEach((url) => URL.revokeObjectURL(url));
    pictures = [];
  }

  /** The ticket's QR code, fetched with the session's token (an <img> cannot send it). */
  function qrCode(ticket) {
    const box = h('div', { class: 'ticket-qr', 'aria-busy': 'true' });
    api.tickets
      .qrCode(ticket.id, { signal: controller.signal })
      .then((blob) => {
        const url = URL.createObjectURL(blob);
        pictures.push(url);
        replace(box, h('img', { src: url, alt: t('myTickets.qrAlt', { name: ticket.event.name }), width: 160, height: 160 }));
      })
      .catch((error) => {
        if (error?.name !== 'AbortError') replace(box, h('p', { class: 'muted small' }, t('myTickets.qrFailed')));
      })
      .finally(() => box.removeAttribute('aria-busy'));
    return box;
  }

  async function cancel(ticket) {
    const ok = await confirmDialog({
      title: t('myTickets.cancelTitle'),
      message: t('myTickets.cancelText', { name: ticket.event.name }),
      confirmLabel: t('myTickets.cancelConfirm'),
    });
    if (!ok) return;
    try {
      await api.tickets.cancel(ticket.id);
      toast(t('myTickets.cancelled', { name: ticket.event.name }));
      await Promise.all([load(), loadWaitlist()]);
      summary.focus();
    } catch (error) {
      toast(errorMessage(error), { kind: 'error' });
    }
  }

  function ticketCard(ticket) {
    const started = hasStarted(ticket.event);
    const canCancel = ticket.status === 'active' && !started;
    const statusLabel = t(`myTickets.status.${ticket.status}`);
    return h(
      'li',
      { class: `card ticket-card ticket-${ticket.status}`, dataset: { ticketId: String(ticket.id) } },
      ticket.status === 'active' ? qrCode(ticket) : null,
      h(
        'div',
        { class: 'ticket-body' },
        h('h3', { class: 'card-title' }, h('a', { href: href(`/events/${ticket.event.id}`) }, ticket.event.name)),
        h('p', { class: 'meta' }, time(ticket.event.event_time, { dateStyle: 'medium', timeStyle: 'short' }), ' ', pastTag(ticket.event)),
        h('p', {}, h('span', { class: `tag tag-status tag-${ticket.status}` }, statusLabel)),
        h('p', { class: 'ticket-code' }, h('span', { class: 'muted small' }, t('myTickets.code')), ' ', h('code', { translate: 'no' }, ticket.code)),
        canCancel
          ? h('button', { type: 'button', class: 'btn btn-secondary btn-small', onClick: () => cancel(ticket), 'aria-label': t('myTickets.cancelFor', { name: ticket.event.name }) }, t('myTickets.cancel'))
          : null,
      ),
    );
  }

  /** The reader's places in line; the section stays hidden while there are none. */
  async function loadWaitlist() {
    waitlistController?.abort();
    waitlistController = new AbortController();
    const { signal } = waitlistController;
    try {
      const { items, total } = await api.waitlist.mine({ limit: WAITLIST_LIMIT }, { signal });
      waitlist.hidden = items.length === 0;
      replace(
        waitlist,
        h('h2', { id: waitlistHeadingId }, t('waitlist.title')),
        total > items.length ? h('p', { class: 'muted small' }, rangeText({ skip: 0, count: items.length, total })) : null,
        items.length ? h('ul', { class: 'card-list waitlist-list' }, items.map(waitlistCard)) : null,
      );
    } catch (error) {
      if (error?.name === 'AbortError') return;
      waitlist.hidden = false;
      replace(waitlist, h('h2', { id: waitlistHeadingId }, t('waitlist.title')), errorBox(error, {}, loadWaitlist));
    }
  }

  function waitlistCard(entry) {
    const { event } = entry;
    return h(
      'li',
      { class: 'card waitlist-card', dataset: { eventId: String(event.id) } },
      h('h3', { class: 'card-title' }, h('a', { href: href(`/events/${event.id}`) }, event.name)),
      h('p', { class: 'meta' }, time(event.event_time, { dateStyle: 'medium', timeStyle: 'short' }), ' ', pastTag(event)),
      h('p', { class: 'waitlist-place' }, t('waitlist.entry', { position: entry.position, quantity: entry.quantity, count: entry.quantity })),
      h('button', { type: 'button', class: 'btn btn-secondary btn-small', onClick: () => leave(entry), 'aria-label': t('waitlist.leaveFor', { name: event.name }) }, t('waitlist.leave')),
    );
  }

  async function leave(entry) {
    const { name } = entry.event;
    const ok = await confirmDialog({ title: t('waitlist.leaveTitle'), message: t('waitlist.leaveText', { name }), confirmLabel: t('waitlist.leaveConfirm') });
    if (!ok) return;
    try {
      await api.waitlist.leave(entry.event.id);
      toast(t('waitlist.left', { name }));
    } catch (error) {
      if (error?.status !== 404) {
        toast(errorMessage(error), { kind: 'error' });
        return;
      }
      // Gone already (the tickets came through, or another tab left): the lists say how things are now.
      toast(t('waitlist.notWaiting'), { kind: 'info' });
    }
    await Promise.all([load(), loadWaitlist()]);
    summary.focus();
  }

  function section(titleKey, tickets) {
    if (tickets.length === 0) return null;
    return h('section', { class: 'ticket-group' }, h('h2', {}, t(titleKey)), h('ul', { class: 'card-list ticket-list' }, tickets.map(ticketCard)));
  }

  async function load() {
    drawFilter();
    controller?.abort();
    controller = new AbortController();
    const { signal } = controller;
    try {
      const { items, total } = await api.tickets.mine({ skip, limit: LIMIT, status }, { signal });
      forgetPictures();
      summary.textContent = total > 0 ? rangeText({ skip, count: items.length, total }) : '';
      if (items.length === 0) {
        replace(
          results,
          total > 0
            ? emptyState(t('pager.pastEnd'), h('a', { href: link(0) }, t('pager.first')))
            : emptyState(status ? t('myTickets.emptyStatus') : t('myTickets.empty'), h('a', { href: href('/events') }, t('myTickets.findEvents'))),
        );
        return;
      }
      const upcoming = items.filter((ticket) => !hasStarted(ticket.event));
      const past = items.filter((ticket) => hasStarted(ticket.event));
      replace(results, section('myTickets.upcoming', upcoming), section('myTickets.past', past), pager({ skip, limit: LIMIT, total, link, label: t('myTickets.pages') }));
    } catch (error) {
      if (error?.name === 'AbortError') return;
      summary.textContent = '';
      replace(results, errorBox(error, {}, load));
    }
  }

  return {
    el,
    title: t('myTickets.title'),
    ready: Promise.all([load(), loadWaitlist()]),
    onQuery(query) {
      skip = intParam(query.get('skip'), 0);
      status = STATUSES.includes(query.get('status')) ? query.get('status') : null;
      load().then(() => summary.focus());
    },
    destroy: forgetPictures,
  };
}
