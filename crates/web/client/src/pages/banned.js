// Where a banned account lands (from any request answered 403 account_banned): why, and until when, as
// the server said it in this tab (see ban-notice.js).

import { h } from '../dom.js';
import { rememberedBan } from '../ban-notice.js';
import { t, tNodes } from '../i18n.js';
import { pageHeader, time } from '../components/page.js';

export default function BannedPage() {
  const ban = rememberedBan();
  if (!ban) {
    // Reached by a link or another tab: nothing the server said here to show.
    const el = h('section', { class: 'page narrow page-banned' }, pageHeader(t('banned.title')).el, h('p', {}, t('banned.nothing')), h('p', {}, h('a', { href: '#/events' }, t('notFound.home'))));
    return { el, title: t('banned.title') };
  }
  const { reason, until } = ban;
  const ends = until && !Number.isNaN(Date.parse(until))
    ? tNodes('banned.until', { time: time(until, { dateStyle: 'long', timeStyle: 'short' }) })
    : t('banned.forGood');
  const el = h(
    'section',
    { class: 'page narrow page-banned' },
    pageHeader(t('banned.title')).el,
    h(
      'div',
      { class: 'alert alert-error', role: 'alert' },
      reason ? h('p', { class: 'alert-text' }, tNodes('banned.reason', { reason: h('strong', {}, reason) })) : null,
      h('p', { class: 'alert-text' }, ends),
    ),
    h('p', {}, t('banned.after')),
    h('p', {}, h('a', { href: '#/modlog' }, t('footer.modlog')), ' · ', h('a', { href: '#/events' }, t('notFound.home'))),
  );
  return { el, title: t('banned.title') };
}
