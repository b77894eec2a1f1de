// Where an event happens and whether it has started: shown on cards and on the event page. Map links
// need no third-party tiles: a `geo:` URI opens the visitor's own map application, and the address link
// searches OpenStreetMap.

import { h } from '../dom.js';
import { t } from '../i18n.js';

/** Whether the event has started: from its start on it sells no tickets and counts as past. */
export const hasStarted = (event, now = Date.now()) => new Date(event.event_time).getTime() <= now;

/** A "Past" tag for an event that has started, or nothing. */
export const pastTag = (event) => (hasStarted(event) ? h('span', { class: 'tag tag-past' }, t('event.past')) : null);

const hasCoordinates = (event) => typeof event.latitude === 'number' && typeof event.longitude === 'number';

/** The `geo:` URI of an event's place (RFC 5870), with the address as the query when there is one. */
export function geoUri(event) {
  const query = [event.venue, event.address].filter(Boolean).join(', ').replace(/\s*\n\s*/g, ', ');
  const point = hasCoordinates(event) ? `${event.latitude},${event.longitude}` : '0,0';
  return query ? `geo:${point}?q=${encodeURIComponent(query)}` : `geo:${point}`;
}

/** A one-line summary for cards: the venue, else the address's first line, else "Online", else nothing. */
export function placeLine(event) {
  const where = event.venue || (event.address ? event.address.split('\n')[0] : null);
  if (where) return h('span', { class: 'place-line' }, where);
  if (event.online_url) return h('span', { class: 'place-line' }, t('place.online'));
  return null;
}

/** The place as a definition-list entry for the event page, with its map and online links. */
export function placeFacts(event) {
  const parts = [];
  if (event.venue) parts.push(h('span', { class: 'place-venue' }, event.venue));
  if (event.address) parts.push(h('span', { class: 'place-address pre-wrap' }, event.address));
  const links = [];
  if (event.address || hasCoordinates(event)) {
    links.push(h('a', { href: geoUri(event), class: 'place-link' }, t('place.openInMaps')));
  }
  if (event.address || event.venue) {
    const query = [event.venue, event.address].filter(Boolean).join(', ').replace(/\s*\n\s*/g, ', ');
    links.push(h('a', { href: `https://www.openstreetmap.org/search?query=${encodeURIComponent(query)}`, class: 'place-link', rel: 'noopener noreferrer', target: '_blank' }, t('place.searchAddress')));
  }
  if (event.online_url) {
    links.push(h('a', { href: event.online_url, class: 'place-link', rel: 'noopener noreferrer nofollow', target: '_blank' }, t('place.joinOnline')));
  }
  if (parts.length === 0 && links.length === 0) parts.push(h('span', { class: 'muted' }, t('place.tba')));
  return h('div', {}, h('dt', {}, t('event.where')), h('dd', { class: 'place' }, parts, links.length ? h('span', { class: 'place-links' }, links) : null));
}
