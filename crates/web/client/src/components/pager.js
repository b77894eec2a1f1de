// Paging for lists that take skip/limit and answer X-Total-Count: "Showing 11–20 of 42" and
// Previous/Next links that change the hash's query (the page updates in place through onQuery).

import { h } from '../dom.js';
import { formatNumber, t } from '../i18n.js';

/**
 * pager({ skip, limit, total, link: (skip) => '#/…', label })
 * Returns a <nav> (or null when everything fits on one page and nothing was skipped).
 */
export function pager({ skip, limit, total, link, label }) {
  if (total <= limit && skip === 0) return null;
  const page = Math.floor(skip / limit) + 1;
  const pages = Math.max(1, Math.ceil(total / limit));
  const previous = skip > 0 ? Math.max(0, Math.min(skip - limit, (pages - 1) * limit)) : null;
  const next = skip + limit < total ? skip + limit : null;
  const item = (target, text, rel) =>
    target === null
      ? h('span', { class: 'pager-link is-disabled', 'aria-disabled': 'true' }, text)
      : h('a', { class: 'pager-link', href: link(target), rel }, text);
  return h(
    'nav',
    { class: 'pager', 'aria-label': label ?? t('pager.label') },
    item(previous, t('pager.previous'), 'prev'),
    h('span', { class: 'pager-status' }, t('pager.page', { page: formatNumber(page), pages: formatNumber(pages) })),
    item(next, t('pager.next'), 'next'),
  );
}

/** "Showing 11–20 of 42" for a page of `count` items. */
export function rangeText({ skip, count, total }) {
  if (count === 0) return t('pager.none', { total });
  return t('pager.range', { from: skip + 1, to: skip + count, total });
}
