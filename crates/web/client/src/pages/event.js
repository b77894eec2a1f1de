// One event: details, tickets (remaining capacity, sold out, buying, the waitlist of a sold-out event), the
// owner's door, attendee list, edit and delete, and the comments (oldest first, paged, with a form to write one).

import * as api from '../api.js';
import { h, intParam, replace, uid } from '../dom.js';
import { errorMessage } from '../errors.js';
import { t } from '../i18n.js';
import { currentTarget, href, navigate, replaceQuery } from '../router.js';
import { currentUser, isSignedIn, store } from '../store.js';
import { cachedUser, loadUsers, remember } from '../users.js';
import { confirmDialog } from '../components/dialog.js';
import { checks, createForm, field } from '../components/form.js';
import { duration, editedNote, emptyState, errorBox, isId, loading, notice, pageHeader, time } from '../components/page.js';
import { pager, rangeText } from '../components/pager.js';
import { hasStarted, pastTag, placeFacts } from '../components/place.js';
import { isStaff, mayReport, reportButton } from '../components/report.js';
import { toast } from '../components/toast.js';
import { avatar, shownName, userLink } from '../components/user.js';

const COMMENTS_PER_PAGE = 20;

export default function EventPage(ctx) {
  const { id } = ctx.params;
  const el = h('div', { class: 'page page-event' }, pageHeader(t('event.title')).el, loading());
  let event = null;
  /** The comments on the page, as last loaded or edited. */
  let shownComments = [];
  let commentsSkip = intParam(ctx.query.get('cskip'), 0);
  // A notification links here with its time: the comment it announces has the same `created_at`.
  const commentAt = ctx.query.get('comment_at');
  let jumpTarget = null;
  const focusJumpTarget = () => {
    if (!jumpTarget?.isConnected) return false;
    jumpTarget.scrollIntoView({ block: 'center' });
    jumpTarget.focus({ preventScroll: true });
    return true;
  };
  let commentsTotal = 0;
  // The reader's place on the waitlist of a sold-out event: undefined until asked (or after it may have
  // changed), null when not waiting, else the WaitlistEntry.
  let waiting;
  let waitingAsked = 0;
  // Whether the reader asked for the waitlist while tickets are left (they want more than are left).
  let wantsMore = false;
  const waitBox = h('div', { class: 'waitlist' });

  const ticketsBox = h('section', { class: 'panel tickets', 'aria-labelledby': 'tickets-heading' });
  const commentsList = h('div', { class: 'comments-body' });
  const commentsHeading = h('h2', { id: 'comments-heading', tabindex: '-1' }, t('comments.title'));
  const isOwner = () => event && currentUser()?.id === event.owner_id;

  async function load() {
    if (!isId(id)) return showMissing();
    // The event, its first page of comments and the people they name come in one answer: one round trip
    // instead of three. (Jumping to a comment first looks for its page, so it reads the event alone.)
    let firstComments = null;
    try {
      if (commentAt) {
        event = await api.events.get(id, { signal: ctx.signal });
        // Its owner and the moderators still read a removed event: shown as removed, not as live.
        if (event.removed) return showMissingOrRemoved();
      } else {
        const overview = await api.events.overview(id, { skip: commentsSkip, limit: COMMENTS_PER_PAGE }, { signal: ctx.signal });
        overview.people.forEach(remember);
        event = overview.event;
        firstComments = Promise.resolve({ items: overview.comments, total: overview.comments_total });
      }
    } catch (error) {
      if (error?.name === 'AbortError') return;
      if (error?.code === 'not_found') return showMissingOrRemoved();
      replace(el, pageHeader(t('event.title')).el, errorBox(error, {}, load));
      return;
    }
    try {
      await loadUsers([event.owner_id], { signal: ctx.signal });
    } catch {
      // the organiser shows as "user #n"
    }
    ctx.setTitle(event.name);
    draw();
    if (commentAt) await jumpToComment(commentAt);
    else await loadComments({ pending: firstComments });
  }

  /** Shows the page holding the comment posted at `at` (newest pages first: a notification is usually
   * about a recent comment), scrolls to it and focuses it. */
  async function jumpToComment(at) {
    const options = { signal: ctx.signal };
    try {
      const { total } = await api.comments.list(id, { skip: 0, limit: 1 }, options);
      let skip = Math.max(0, Math.floor((total - 1) / COMMENTS_PER_PAGE) * COMMENTS_PER_PAGE);
      let page = await api.comments.list(id, { skip, limit: COMMENTS_PER_PAGE }, options);
      for (let tries = 0; tries < 10 && skip > 0 && page.items.length > 0 && page.items[0].created_at > at; tries += 1) {
        skip -= COMMENTS_PER_PAGE;
        page = await api.comments.list(id, { skip, limit: COMMENTS_PER_PAGE }, options);
      }
      commentsSkip = skip;
      replaceQuery({ cskip: skip || null, comment_at: null });
      await loadComments({ pending: Promise.resolve(page) });
      const target = page.items.find((comment) => comment.created_at === at) ?? page.items.find((comment) => comment.created_at >= at);
      const item = target ? commentsList.querySelector(`[data-comment-id="${target.id}"]`) : null;
      if (item) {
        item.classList.add('is-target');
        jumpTarget = item;
        focusJumpTarget();
      }
    } catch (error) {
      if (error?.name === 'AbortError') return;
      await loadComments();
    }
  }

  /** A removed event is still shown, marked, to its owner and the moderators; to anyone else it is missing. */
  async function showMissingOrRemoved() {
    if (!isSignedIn()) return showMissing();
    let removed = null;
    try {
      removed = await api.events.get(id, { signal: ctx.signal });
    } catch {
      return showMissing();
    }
    if (!removed?.removed) return showMissing();
    ctx.setTitle(removed.name);
    replace(
      el,
      h('p', { class: 'breadcrumb' }, h('a', { href: '#/events' }, t('event.backToList'))),
      pageHeader(removed.name, h('span', { class: 'tag tag-removed' }, t('removed.tag'))).el,
      notice(t('removed.event'), 'warning'),
      removed.description ? h('p', { class: 'event-description pre-wrap' }, removed.description) : null,
    );
  }

  function showMissing() {
    ctx.setTitle(t('event.missing'));
    replace(el, pageHeader(t('event.missing')).el, emptyState(t('event.missingText'), h('a', { href: '#/events' }, t('event.backToList'))));
  }

  function draw() {
    const share = h('button', { type: 'button', class: 'btn btn-secondary', onClick: shareLink }, navigator.share ? t('event.share') : t('event.copyLink'));
    const actions = isOwner()
      ? [share, h('a', { class: 'btn btn-secondary', href: `#/events/${event.id}/check-in` }, t('checkIn.open')), h('a', { class: 'btn btn-secondary', href: `#/events/${event.id}/attendees` }, t('attendees.open')), h('a', { class: 'btn btn-secondary', href: `#/events/${event.id}/edit` }, t('action.edit')), h('button', { type: 'button', class: 'btn btn-danger', onClick: remove }, t('action.delete'))]
      : [
        share,
        mayReport(event.owner_id) ? reportButton({ kind: 'event', id: event.id }, event.name) : null,
        isStaff() ? h('button', { type: 'button', class: 'btn btn-danger', onClick: remove }, t('action.remove')) : null,
      ];
    const { el: header } = pageHeader(event.name, ...actions);
    replace(
      el,
      h('p', { class: 'breadcrumb' }, h('a', { href: '#/events' }, t('event.backToList'))),
      header,
      hasStarted(event) ? h('p', { class: 'event-status' }, pastTag(event), ' ', t('event.startedNote')) : null,
      cachedUser(event.owner_id)?.deleted ? h('p', { class: 'alert alert-warning' }, t('event.organiserGone')) : null,
      event.image_url ? h('img', { class: 'event-image', src: event.image_url, alt: event.image_alt ?? '', decoding: 'async' }) : null,
      h(
        'div',
        { class: 'event-layout' },
        h(
          'div',
          { class: 'event-main' },
          h(
            'dl',
            { class: 'facts' },
            h('div', {}, h('dt', {}, t('event.when')), h('dd', {}, time(event.event_time, { dateStyle: 'full', timeStyle: 'short' }))),
            h('div', {}, h('dt', {}, t('event.duration')), h('dd', {}, duration(event.duration_hours, event.duration_minutes))),
            placeFacts(event),
            h('div', {}, h('dt', {}, t('event.organiser')), h('dd', {}, userLink(event.owner_id, { withAvatar: true }))),
          ),
          h('p', { class: 'event-calendar' }, h('a', { class: 'btn btn-secondary', href: `/events/${event.id}/calendar.ics`, download: `event-${event.id}.ics` }, t('event.addToCalendar'))),
          event.description ? h('div', { class: 'prose' }, h('h2', { class: 'visually-hidden' }, t('event.description')), h('p', { class: 'pre-wrap' }, event.description)) : h('p', { class: 'muted' }, t('event.noDescription')),
        ),
        ticketsBox,
      ),
      h('section', { class: 'comments', 'aria-labelledby': 'comments-heading' }, commentsHeading, commentsList, commentForm()),
    );
    drawTickets();
  }

  function drawTickets(message = null) {
    const left = Math.max(0, event.max_tickets - event.tickets_sold);
    const soldOut = event.tickets_sold >= event.max_tickets;
    const progressId = uid('progress');
    let action;
    if (hasStarted(event)) {
      action = h('p', { class: 'soldout-note' }, h('span', { class: 'tag tag-past' }, t('event.past')), ' ', t('tickets.startedText'));
    } else if (event.max_tickets === 0) {
      action = h('p', { class: 'soldout-note' }, h('span', { class: 'tag tag-none' }, t('tickets.none')), ' ', t('tickets.noneText'));
    } else if (soldOut) {
      action = [h('p', { class: 'soldout-note', tabindex: '-1' }, h('span', { class: 'tag tag-soldout' }, t('tickets.soldOut')), ' ', t('tickets.soldOutText')), waitlist()];
    } else if (!isSignedIn()) {
      action = h('p', {}, h('a', { class: 'btn btn-primary', href: href('/login', { next: currentTarget() }) }, t('tickets.loginToBuy')));
    } else if (wantsMore && currentUser() && !isOwner()) {
      action = [buyForm(left), waitlist()];
    } else {
      action = [
        buyForm(left),
        currentUser() && !isOwner()
          ? h('p', { class: 'small' }, h('button', { type: 'button', class: 'btn btn-ghost btn-small want-more', onClick: () => { wantsMore = true; drawTickets(); waitBox.querySelector('input, .waitlist-status')?.focus(); } }, t('waitlist.wantMore', { count: left, left })))
          : null,
      ];
    }
    replace(
      ticketsBox,
      h('h2', { id: 'tickets-heading' }, t('tickets.title')),
      message ? h('div', { class: 'alert alert-error', role: 'alert' }, message) : null,
      event.max_tickets > 0 ? [
        h('p', { class: 'tickets-count', id: progressId, tabindex: '-1' }, soldOut ? t('tickets.allSold', { max: event.max_tickets }) : t('tickets.leftOf', { count: left, left, max: event.max_tickets })),
        h('progress', { class: 'tickets-progress', max: event.max_tickets, value: event.tickets_sold, 'aria-labelledby': progressId }),
        h('p', { class: 'muted small' }, t('tickets.sold', { count: event.tickets_sold, sold: event.tickets_sold })),
      ] : null,
      action,
      isSignedIn() ? h('p', { class: 'small' }, h('a', { href: href('/tickets') }, t('myTickets.link'))) : null,
    );
  }

  /** The waitlist of a sold-out event: a link to log in, nothing for its owner, else the reader's place in
   * line or the form to join it. */
  function waitlist() {
    if (!isSignedIn()) {
      return h('p', {}, h('a', { class: 'btn btn-secondary', href: href('/login', { next: currentTarget() }) }, t('waitlist.loginToJoin')));
    }
    // Whose event it is is known once the session's user has loaded (the page redraws then).
    if (!currentUser() || isOwner()) return null;
    drawWaitlist();
    return waitBox;
  }

  function drawWaitlist() {
    if (waiting === undefined) {
      replace(waitBox, loading());
      askWaiting();
      return;
    }
    replace(waitBox, waiting ? waitingNote(waiting) : joinForm());
  }

  /** GET /events/{id}/waitlist: whether the reader waits (404 is "no"). */
  async function askWaiting() {
    waitingAsked += 1;
    const asked = waitingAsked;
    waitBox.setAttribute('aria-busy', 'true');
    try {
      const entry = await api.waitlist.get(event.id, { signal: ctx.signal });
      if (asked !== waitingAsked) return;
      waiting = entry;
      drawWaitlist();
    } catch (error) {
      if (error?.name === 'AbortError' || asked !== waitingAsked) return;
      replace(waitBox, errorBox(error, {}, () => drawWaitlist()));
    } finally {
      if (asked === waitingAsked) waitBox.removeAttribute('aria-busy');
    }
  }

  function waitingNote(entry) {
    return [
      h('p', { class: 'waitlist-status', tabindex: '-1' }, t('waitlist.position', { position: entry.position, quantity: entry.quantity, count: entry.quantity })),
      h('p', { class: 'muted small' }, t('waitlist.hint')),
      h('button', { type: 'button', class: 'btn btn-secondary', onClick: leaveWaitlist }, t('waitlist.leave')),
    ];
  }

  async function leaveWaitlist() {
    const ok = await confirmDialog({ title: t('waitlist.leaveTitle'), message: t('waitlist.leaveText', { name: event.name }), confirmLabel: t('waitlist.leaveConfirm') });
    if (!ok) return;
    try {
      await api.waitlist.leave(event.id);
      toast(t('waitlist.left', { name: event.name }));
      waiting = null;
    } catch (error) {
      if (error?.status !== 404) {
        toast(errorMessage(error), { kind: 'error' });
        return;
      }
      // Not waiting any more (the tickets came through, or another tab left): say so, and ask again.
      toast(t('waitlist.notWaiting'), { kind: 'info' });
      waiting = undefined;
    }
    drawTickets();
    ticketsBox.querySelector('.soldout-note')?.focus();
  }

  function joinForm() {
    const quantity = field({ name: 'quantity', label: t('tickets.quantity'), type: 'number', value: '1', min: 1, max: 100, step: 1, inputmode: 'numeric', hint: t('waitlist.hint') });
    const form = createForm({
      fields: [quantity],
      submitLabel: t('waitlist.join'),
      className: 'form-inline',
      validate: ({ quantity: value }) => ({ quantity: checks.integer(value, 1, 100) }),
      onSubmit: async ({ quantity: value }) => {
        try {
          waiting = await api.waitlist.join(event.id, Number(value));
        } catch (error) {
          if (error?.code === 'event_started') {
            event = { ...event, event_time: new Date(Math.min(Date.now(), new Date(event.event_time).getTime())).toISOString() };
            drawTickets(t('error.event_started'));
            return;
          }
          if (error?.code === 'already_waiting') {
            // Joined meanwhile (another tab): show that place.
            toast(t('error.already_waiting'), { kind: 'info' });
            waiting = undefined;
            drawTickets();
            return;
          }
          if (error?.code !== 'tickets_available') throw error;
          // Places freed up since the page was drawn: buying is possible, so show the numbers and the form.
          try {
            event = await api.events.get(event.id);
          } catch {
            // keep the old numbers
          }
          drawTickets(t('error.tickets_available'));
          ticketsBox.querySelector('[role="alert"]')?.scrollIntoView({ block: 'nearest' });
          return;
        }
        drawTickets();
        toast(t('waitlist.joined', { position: waiting.position }));
        // The result, where the reader's focus was: their place in line.
        waitBox.querySelector('.waitlist-status')?.focus();
      },
    });
    return form.el;
  }

  function buyForm(left) {
    const most = Math.min(100, left);
    const quantity = field({ name: 'quantity', label: t('tickets.quantity'), type: 'number', value: '1', min: 1, max: most, step: 1, inputmode: 'numeric', hint: most > 1 ? t('tickets.quantityHint', { max: most }) : null });
    const form = createForm({
      fields: [quantity],
      submitLabel: t('tickets.buy'),
      className: 'form-inline',
      validate: ({ quantity: value }) => {
        const problem = checks.integer(value, 1, 100);
        if (problem) return { quantity: problem };
        if (Number(value) > left) return { quantity: t('tickets.onlyLeft', { count: left, left }) };
        return {};
      },
      onSubmit: async ({ quantity: value }) => {
        const count = Number(value);
        try {
          event = await api.events.buy(event.id, count);
        } catch (error) {
          if (error?.code === 'event_started') {
            // The start passed while the page was open: say so instead of offering the form again.
            event = { ...event, event_time: new Date(Math.min(Date.now(), new Date(event.event_time).getTime())).toISOString() };
            drawTickets(t('error.event_started'));
            return;
          }
          if (error?.code !== 'sold_out') throw error;
          // Someone bought first: show what is left now, and why the purchase did not happen.
          try {
            event = await api.events.get(event.id);
          } catch {
            // keep the old numbers
          }
          const now = Math.max(0, event.max_tickets - event.tickets_sold);
          drawTickets(now === 0 ? t('tickets.conflictSoldOut', { count }) : t('tickets.conflict', { count, left: now }));
          ticketsBox.querySelector('[role="alert"]')?.scrollIntoView({ block: 'nearest' });
          return;
        }
        drawTickets();
        toast(t('tickets.bought', { count }));
        // The result of the purchase, where the reader's focus was: the tickets left now.
        ticketsBox.querySelector('.tickets-count, .soldout-note')?.focus();
      },
    });
    return form.el;
  }

  /** The system's share sheet where there is one; otherwise the link goes to the clipboard. */
  async function shareLink() {
    const url = `${window.location.origin}/#/events/${event.id}`;
    try {
      if (navigator.share) {
        await navigator.share({ title: event.name, url });
        return;
      }
      await navigator.clipboard.writeText(url);
      toast(t('event.linkCopied'), { kind: 'info' });
    } catch (error) {
      if (error?.name === 'AbortError') return; // the reader closed the share sheet
      toast(t('event.linkCopyFailed', { url }), { kind: 'error' });
    }
  }

  async function remove() {
    const ok = isOwner()
      ? await confirmDialog({ title: t('event.deleteTitle'), message: t('event.deleteText', { name: event.name }), confirmLabel: t('event.deleteConfirm') })
      : await confirmDialog({ title: t('removal.eventTitle'), message: t('removal.eventText', { name: event.name }), confirmLabel: t('removal.confirm') });
    if (!ok) return;
    try {
      await api.events.remove(event.id);
      toast(isOwner() ? t('event.deleted', { name: event.name }) : t('removal.done'));
      navigate('/events');
    } catch (error) {
      toast(errorMessage(error), { kind: 'error' });
    }
  }

  async function loadComments({ focus = false, pending = null } = {}) {
    commentsList.setAttribute('aria-busy', 'true');
    try {
      const { items, total } = await (pending ?? api.comments.list(event.id, { skip: commentsSkip, limit: COMMENTS_PER_PAGE }, { signal: ctx.signal }));
      commentsTotal = total;
      shownComments = items;
      await loadUsers(items.map((comment) => comment.owner_id), { signal: ctx.signal });
      commentsHeading.textContent = t('comments.titleCount', { count: total });
      const link = (skip) => href(`/events/${event.id}`, { cskip: skip || null });
      if (items.length === 0) {
        replace(commentsList, total > 0 ? emptyState(t('pager.pastEnd'), h('a', { href: link(0) }, t('pager.first'))) : emptyState(t('comments.empty')));
      } else {
        replace(
          commentsList,
          total > COMMENTS_PER_PAGE ? h('p', { class: 'muted small' }, rangeText({ skip: commentsSkip, count: items.length, total })) : null,
          h('ol', { class: 'comment-list' }, items.map(commentItem)),
          pager({ skip: commentsSkip, limit: COMMENTS_PER_PAGE, total, link, label: t('comments.pages') }),
        );
      }
    } catch (error) {
      if (error?.name === 'AbortError') return;
      replace(commentsList, errorBox(error, {}, () => loadComments()));
    } finally {
      commentsList.removeAttribute('aria-busy');
    }
    if (focus) commentsHeading.focus();
  }

  function commentItem(comment) {
    const me = currentUser()?.id;
    const mine = me === comment.owner_id;
    // The author edits their words and deletes them; the event's owner and the moderators remove them.
    const mayDelete = mine || me === event.owner_id || isStaff();
    const author = shownName(cachedUser(comment.owner_id)?.username ?? '');
    const text = h('p', { class: 'comment-text pre-wrap' }, comment.content);
    const canReport = mayReport(comment.owner_id);
    const actions = mine || mayDelete || canReport
      ? h(
        'div',
        { class: 'comment-actions' },
        mine ? h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': t('comments.editYours'), onClick: () => editComment() }, t('action.edit')) : null,
        mayDelete ? h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': mine ? t('comments.deleteBy', { name: author }) : t('comments.removeBy', { name: author }), onClick: () => deleteComment() }, mine ? t('action.delete') : t('action.remove')) : null,
        canReport ? reportButton({ kind: 'comment', id: comment.id }, t('comments.by', { name: author })) : null,
      )
      : null;
    const item = h(
      'li',
      { class: 'comment', tabindex: '-1', dataset: { commentId: String(comment.id) } },
      h('div', { class: 'comment-avatar' }, avatar(cachedUser(comment.owner_id), 'sm')),
      h(
        'div',
        { class: 'comment-body' },
        h('p', { class: 'comment-meta' }, userLink(comment.owner_id), h('span', { class: 'meta-sep', 'aria-hidden': 'true' }, ' · '), time(comment.created_at), editedNote(comment)),
        text,
        actions,
      ),
    );

    function editComment() {
      const headingId = uid('edit-comment');
      const content = field({ name: 'content', label: t('comments.editLabel'), value: comment.content, multiline: true, rows: 3, maxlength: 5000, required: true });
      const restore = (next) => {
        shownComments = shownComments.map((one) => (one.id === next.id ? next : one));
        const shown = commentItem(next);
        item.replaceWith(shown);
        shown.focus();
      };
      const cancel = h('button', { type: 'button', class: 'btn btn-secondary', onClick: () => restore(comment) }, t('action.cancel'));
      const form = createForm({
        fields: [content],
        submitLabel: t('action.save'),
        labelledBy: headingId,
        validate: ({ content: value }) => ({ content: checks.required(value) ?? checks.maxChars(value, 5000) }),
        onSubmit: async ({ content: value }) => {
          if (value === comment.content) return restore(comment);
          const saved = await api.comments.update(event.id, comment.id, value);
          toast(t('comments.saved'));
          restore(saved);
        },
      });
      form.submit.parentElement.append(cancel);
      text.replaceWith(h('div', { class: 'comment-edit' }, h('span', { id: headingId, class: 'visually-hidden' }, t('comments.editLabel')), form.el));
      actions?.remove();
      content.input.focus();
    }

    async function deleteComment() {
      const ok = await confirmDialog({
        title: mine ? t('comments.deleteTitle') : t('removal.commentTitle'),
        message: mine ? t('comments.deleteOwnText') : t('removal.commentText', { name: author }),
        confirmLabel: mine ? t('comments.deleteConfirm') : t('removal.confirm'),
      });
      if (!ok) return;
      try {
        await api.comments.remove(event.id, comment.id);
        toast(mine ? t('comments.deleted') : t('removal.done'));
        if (shownComments.length === 1 && commentsSkip > 0) {
          // It was the last one on this page: show the page before instead of an empty one.
          commentsSkip = Math.max(0, commentsSkip - COMMENTS_PER_PAGE);
          replaceQuery({ cskip: commentsSkip || null });
        }
        await loadComments({ focus: true });
      } catch (error) {
        toast(errorMessage(error), { kind: 'error' });
      }
    }

    return item;
  }

  function commentForm() {
    if (!isSignedIn()) {
      return h('p', { class: 'comment-login' }, h('a', { href: href('/login', { next: currentTarget() }) }, t('comments.loginToComment')));
    }
    const headingId = uid('comment-form');
    const content = field({ name: 'content', label: t('comments.yours'), multiline: true, rows: 3, maxlength: 5000, required: true });
    const form = createForm({
      fields: [content],
      submitLabel: t('comments.post'),
      labelledBy: headingId,
      validate: ({ content: value }) => ({ content: checks.required(value) ?? checks.maxChars(value, 5000) }),
      onSubmit: async ({ content: value }) => {
        await api.comments.create(event.id, value);
        form.reset();
        toast(t('comments.posted'));
        const lastPage = Math.floor(commentsTotal / COMMENTS_PER_PAGE) * COMMENTS_PER_PAGE;
        if (lastPage !== commentsSkip) {
          navigate(`/events/${event.id}?cskip=${lastPage}`);
        } else {
          await loadComments();
          // The result of posting, where the reader's focus was: the new comment, last in the list.
          const items = commentsList.querySelectorAll('.comment');
          items[items.length - 1]?.focus();
        }
      },
    });
    return h('div', { class: 'comment-form' }, h('h3', { id: headingId, class: 'visually-hidden' }, t('comments.write')), form.el);
  }

  // re-draw the parts that depend on who is logged in (e.g. the badge poller ended the session)
  const unsubscribe = store.subscribe((state, previous, changed) => {
    if (!event || !changed.includes('user')) return;
    waiting = undefined;
    draw();
    // Who may edit or delete which comment follows the reader, known only once their session is back.
    const list = commentsList.querySelector('ol.comment-list');
    if (list) replace(list, shownComments.map(commentItem));
  });

  return {
    el,
    title: t('event.title'),
    ready: load(),
    focus: focusJumpTarget,
    onQuery(query) {
      const next = intParam(query.get('cskip'), 0);
      if (next === commentsSkip || !event) return;
      commentsSkip = next;
      loadComments({ focus: true });
    },
    destroy: unsubscribe,
  };
}
