// The events list: search as you type (kept in the URL so a reload keeps it), paging with the total.

import * as api from '../api.js';
import { debounce, h, intParam, replace, uid } from '../dom.js';
import { t } from '../i18n.js';
import { href, replaceQuery } from '../router.js';
import { isSignedIn } from '../store.js';
import { pager, rangeText } from '../components/pager.js';
import { duration, emptyState, errorBox, loading, pageHeader, time } from '../components/page.js';
import { pastTag, placeLine } from '../components/place.js';
import { toast } from '../components/toast.js';

const LIMIT = 10;
const WHENS = ['upcoming', 'past', 'all'];

/** The `when` of a query string: one the API knows, `upcoming` otherwise. */
const whenParam = (value) => (WHENS.includes(value) ? value : 'upcoming');

/** The tickets line of an event: "3 of 40 left" or a sold-out badge. */
export function ticketsSummary(event) {
  const left = Math.max(0, event.max_tickets - event.tickets_sold);
  if (event.max_tickets === 0) return h('span', { class: 'tag tag-none' }, t('tickets.none'));
  if (event.tickets_sold >= event.max_tickets) return h('span', { class: 'tag tag-soldout' }, t('tickets.soldOut'));
  return h('span', { class: ['tag', left <= Math.max(3, event.max_tickets / 10) ? 'tag-low' : 'tag-ok'] }, t('tickets.left', { count: left, left, max: event.max_tickets }));
}

function eventCard(event) {
  return h(
    'li',
    { class: 'card event-card' },
    h(
      'div',
      { class: 'event-date', 'aria-hidden': 'true' },
      h('span', { class: 'event-date-month' }, new Intl.DateTimeFormat(document.documentElement.lang, { month: 'short' }).format(new Date(event.event_time))),
      h('span', { class: 'event-date-day' }, new Intl.DateTimeFormat(document.documentElement.lang, { day: 'numeric' }).format(new Date(event.event_time))),
    ),
    h(
      'div',
      { class: 'event-card-body' },
      event.image_url ? h('img', { class: 'event-card-image', src: event.image_url, alt: event.image_alt ?? '', loading: 'lazy', decoding: 'async', width: 320, height: 180 }) : null,
      h('h2', { class: 'card-title' }, h('a', { href: `#/events/${event.id}` }, event.name)),
      h('p', { class: 'meta' }, time(event.event_time, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }), h('span', { class: 'meta-sep', 'aria-hidden': 'true' }, ' · '), duration(event.duration_hours, event.duration_minutes)),
      placeLine(event) ? h('p', { class: 'meta' }, placeLine(event)) : null,
      event.description ? h('p', { class: 'card-text clamp' }, event.description) : null,
      h('p', { class: 'card-footer' }, pastTag(event) ?? ticketsSummary(event)),
    ),
  );
}

export default function EventsPage(ctx) {
  let search = ctx.query.get('search') ?? '';
  let when = whenParam(ctx.query.get('when'));
  let skip = intParam(ctx.query.get('skip'), 0);
  let controller = null;

  // The upcoming events of the current search as a calendar feed: its address to copy into a calendar
  // application (which fetches it again by itself), or to open there directly (webcal:).
  const feedId = uid('feed');
  const feedAddress = h('input', { id: feedId, type: 'text', readonly: true, spellcheck: 'false', autocomplete: 'off' });
  feedAddress.addEventListener('focus', () => feedAddress.select());
  const feedOpen = h('a', {}, t('events.subscribeOpen'));
  const feedCopy = h('button', { type: 'button', class: 'btn btn-secondary' }, t('settings.calendarCopy'));
  feedCopy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(feedAddress.value);
      toast(t('events.subscribeCopied'), { kind: 'info' });
    } catch {
      feedAddress.focus();
      toast(t('settings.calendarCopyFailed'), { kind: 'error' });
    }
  });
  const feed = h(
    'details',
    { class: 'feed-panel' },
    h('summary', { class: 'btn btn-secondary want-more' }, t('events.subscribe')),
    h(
      'div',
      { class: 'field' },
      h('label', { for: feedId, class: 'field-label' }, t('events.subscribeAddress')),
      h('div', { class: 'copy-row' }, feedAddress, feedCopy),
      h('p', { class: 'field-hint' }, t('events.subscribeHint'), ' ', feedOpen),
    ),
  );
  const syncFeed = () => {
    const words = search.trim();
    const address = `${window.location.origin}/events/calendar.ics${words ? `?search=${encodeURIComponent(words)}` : ''}`;
    feedAddress.value = address;
    feedOpen.href = address.replace(/^https?:/, 'webcal:');
    // The feed holds what has not started: it belongs with the upcoming events.
    feed.hidden = when === 'past';
  };
  const { el: header } = pageHeader(t('events.title'), isSignedIn() ? h('a', { class: 'btn btn-primary', href: '#/events/new' }, t('events.new')) : null);
  const searchId = uid('search');
  const input = h('input', { id: searchId, type: 'search', class: 'search-input', value: search, autocomplete: 'off', spellcheck: 'false', 'aria-describedby': `${searchId}-hint` });
  const searchBox = h(
    'form',
    { class: 'search', role: 'search', onSubmit: (event) => { event.preventDefault(); runSearch.cancel(); applySearch(); } },
    h('label', { for: searchId, class: 'field-label' }, t('events.search')),
    input,
    h('p', { id: `${searchId}-hint`, class: 'field-hint' }, t('events.searchHint')),
  );
  const summary = h('p', { class: 'summary', role: 'status', tabindex: '-1' });
  const results = h('div', { class: 'results' }, loading());
  const filter = h('nav', { class: 'tabs', 'aria-label': t('events.when') });
  const el = h('section', { class: 'page page-events' }, header, searchBox, feed, filter, summary, results);
  syncFeed();

  ctx.signal.addEventListener('abort', () => controller?.abort());
  const link = (target, which = when) => href('/events', { search: search || null, when: which === 'upcoming' ? null : which, skip: target || null });

  function drawFilter() {
    const tab = (which) => h('a', { class: 'tab', href: link(0, which), 'aria-current': which === when ? 'page' : null }, t(`events.when.${which}`));
    replace(filter, WHENS.map(tab));
  }

  async function load() {
    syncFeed();
    controller?.abort();
    controller = new AbortController();
    const { signal } = controller;
    el.setAttribute('aria-busy', 'true');
    drawFilter();
    try {
      const { items, total } = await api.events.list({ skip, limit: LIMIT, search: search.trim() || undefined, when }, { signal });
      if (search.trim()) summary.textContent = t('events.found', { count: total, query: search.trim() });
      else summary.textContent = total > 0 ? rangeText({ skip, count: items.length, total }) : '';
      if (items.length === 0) {
        replace(
          results,
          total > 0
            ? emptyState(t('pager.pastEnd'), h('a', { href: link(0) }, t('pager.first')))
            : emptyState(search.trim() ? t('events.noMatch', { query: search.trim() }) : t(`events.empty.${when}`), isSignedIn() && !search.trim() && when !== 'past' ? h('a', { class: 'btn btn-primary', href: '#/events/new' }, t('events.new')) : null),
        );
      } else {
        replace(
          results,
          h('p', { class: 'visually-hidden' }, rangeText({ skip, count: items.length, total })),
          h('ul', { class: 'card-list', 'aria-label': t('events.listLabel') }, items.map(eventCard)),
          pager({ skip, limit: LIMIT, total, link, label: t('events.pages') }),
        );
        if (search.trim() && total > items.length) summary.textContent = `${summary.textContent} ${rangeText({ skip, count: items.length, total })}`;
      }
    } catch (error) {
      if (error?.name === 'AbortError') return;
      summary.textContent = '';
      replace(results, errorBox(error, {}, load));
    } finally {
      el.removeAttribute('aria-busy');
    }
  }

  function applySearch() {
    const value = input.value;
    if (value === search) return;
    search = value;
    skip = 0;
    replaceQuery({ search: search || null, when: when === 'upcoming' ? null : when });
    load();
  }
  const runSearch = debounce(applySearch, 300);
  input.addEventListener('input', runSearch);

  return {
    el,
    title: t('events.title'),
    ready: load(),
    onQuery(query) {
      const nextSearch = query.get('search') ?? '';
      const nextSkip = intParam(query.get('skip'), 0);
      const nextWhen = whenParam(query.get('when'));
      const paged = nextSkip !== skip || nextWhen !== when;
      search = nextSearch;
      skip = nextSkip;
      when = nextWhen;
      if (input.value !== search) input.value = search;
      load().then(() => {
        if (paged) summary.focus();
      });
    },
    destroy() {
      runSearch.cancel();
      controller?.abort();
    },
  };
}
