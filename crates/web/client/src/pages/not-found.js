// A client route that does not exist.

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { emptyState, pageHeader } from '../components/page.js';

export default function NotFoundPage() {
  const el = h('section', { class: 'page narrow' }, pageHeader(t('notFound.title')).el, emptyState(t('notFound.text'), h('a', { class: 'btn btn-primary', href: '#/events' }, t('notFound.home'))));
  return { el, title: t('notFound.title') };
}
