// Small building blocks every page uses: the heading row, loading and error states, dates.

import { h } from '../dom.js';
import { errorMessage } from '../errors.js';
import { formatDateTime, t } from '../i18n.js';

/** The page's one <h1>, with actions (links, buttons) beside it. */
export function pageHeader(title, ...given) {
  const actions = given.flat().filter(Boolean);
  const heading = h('h1', { class: 'page-title', tabindex: '-1' }, title);
  return {
    heading,
    el: h('div', { class: 'page-header' }, heading, actions.length ? h('div', { class: 'page-actions' }, actions) : null),
  };
}

export const loading = (text = t('status.loading')) => h('p', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);

/** Whether trying the same request again may help: the network, a busy or failing server, a limit. */
const retryable = (error) => error?.name === 'ApiError' && (error.isNetwork || error.status === 429 || error.status >= 500);

/** An error in words (see errors.js), announced at once; with a Retry button when `retry` is given and
 * trying again may help. */
export function errorBox(error, overrides = {}, retry = null) {
  const again = retry && retryable(error)
    ? h('button', { type: 'button', class: 'btn btn-secondary btn-small alert-action', onClick: () => retry() }, t('action.retry'))
    : null;
  return h('div', { class: 'alert alert-error', role: 'alert' }, h('p', { class: 'alert-text' }, errorMessage(error, overrides)), again);
}

export const notice = (text, kind = 'info') => h('div', { class: ['alert', `alert-${kind}`], role: 'status' }, text);

export const emptyState = (text, action) => h('div', { class: 'empty' }, h('p', {}, text), action ?? null);

/** A <time> in the reader's locale and zone; the exact instant is in `datetime`. */
export function time(iso, options) {
  return h('time', { datetime: iso, title: formatDateTime(iso, { dateStyle: 'full', timeStyle: 'long' }) }, formatDateTime(iso, options));
}

/** " · edited" with the time of the last edit as its tooltip, for a post or comment its author changed;
 * nothing for one never edited. */
export function editedNote(item) {
  if (!item.edited_at) return null;
  return [
    h('span', { class: 'meta-sep', 'aria-hidden': 'true' }, ' · '),
    h('span', { class: 'edited' }, h('time', { datetime: item.edited_at, title: formatDateTime(item.edited_at, { dateStyle: 'full', timeStyle: 'long' }) }, t('item.edited'))),
  ];
}

/** "2 h 30 min" in the reader's language. */
export function duration(hours, minutes) {
  if (hours && minutes) return t('duration.hoursMinutes', { hours, minutes });
  if (hours) return t('duration.hours', { count: hours, hours });
  return t('duration.minutes', { count: minutes, minutes });
}

/** True for a path id the API could accept (a positive integer). */
export const isId = (value) => /^[1-9]\d{0,17}$/.test(String(value));
