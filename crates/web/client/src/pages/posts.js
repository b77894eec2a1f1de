// Posts: everyone's or only mine (newest first, paged), and a form to write one.

import * as api from '../api.js';
import { h, intParam, replace, uid } from '../dom.js';
import { t } from '../i18n.js';
import { href, navigate } from '../router.js';
import { currentUser, isSignedIn, store } from '../store.js';
import { loadUsers } from '../users.js';
import { checks, createForm, field } from '../components/form.js';
import { emptyState, errorBox, loading, pageHeader } from '../components/page.js';
import { pager, rangeText } from '../components/pager.js';
import { postCard } from '../components/post.js';
import { toast } from '../components/toast.js';

const LIMIT = 10;

export default function PostsPage(ctx) {
  let mine = ctx.query.get('mine') === '1' && isSignedIn();
  let skip = intParam(ctx.query.get('skip'), 0);
  let controller = null;
  ctx.signal.addEventListener('abort', () => controller?.abort());

  const { el: header } = pageHeader(t('posts.title'));
  const filter = h('nav', { class: 'tabs', 'aria-label': t('posts.filter') });
  const summary = h('p', { class: 'summary', role: 'status', tabindex: '-1' });
  const results = h('div', { class: 'results' }, loading());
  const el = h('section', { class: 'page page-posts' }, header, isSignedIn() ? writeForm() : h('p', { class: 'muted' }, h('a', { href: href('/login', { next: '/posts' }) }, t('posts.loginToWrite'))), filter, summary, results);

  const link = (target, onlyMine = mine) => href('/posts', { mine: onlyMine ? 1 : null, skip: target || null });

  function drawFilter() {
    if (!isSignedIn()) {
      filter.hidden = true;
      return;
    }
    const tab = (label, active, target) => h('a', { class: 'tab', href: target, 'aria-current': active ? 'page' : null }, label);
    replace(filter, tab(t('posts.all'), !mine, link(0, false)), tab(t('posts.mine'), mine, link(0, true)));
  }

  async function load() {
    drawFilter();
    controller?.abort();
    controller = new AbortController();
    const { signal } = controller;
    try {
      const ownerId = mine ? currentUser()?.id ?? (await api.users.me({ signal })).id : undefined;
      const { items, total } = await api.posts.list({ skip, limit: LIMIT, ownerId }, { signal });
      await loadUsers(items.map((post) => post.owner_id), { signal });
      summary.textContent = total > 0 ? rangeText({ skip, count: items.length, total }) : '';
      if (items.length === 0) {
        replace(results, total > 0 ? emptyState(t('pager.pastEnd'), h('a', { href: link(0) }, t('pager.first'))) : emptyState(mine ? t('posts.emptyMine') : t('posts.empty')));
      } else {
        replace(
          results,
          h('ul', { class: 'card-list', 'aria-label': t('posts.listLabel') }, items.map((post) => postCard(post, { onDeleted: () => load().then(() => summary.focus()) }))),
          pager({ skip, limit: LIMIT, total, link, label: t('posts.pages') }),
        );
      }
    } catch (error) {
      if (error?.name === 'AbortError') return;
      summary.textContent = '';
      replace(results, errorBox(error, {}, load));
    }
  }

  function writeForm() {
    const headingId = uid('write-post');
    const title = field({ name: 'title', label: t('posts.fieldTitle'), required: true, maxlength: 200, autocomplete: 'off' });
    const content = field({ name: 'content', label: t('posts.fieldContent'), multiline: true, rows: 4, required: true, maxlength: 50000 });
    const form = createForm({
      fields: [title, content],
      submitLabel: t('posts.publish'),
      labelledBy: headingId,
      validate: (values) => ({
        title: checks.required(values.title) ?? checks.maxChars(values.title, 200),
        content: checks.required(values.content) ?? checks.maxChars(values.content, 50000),
      }),
      onSubmit: async (values) => {
        await api.posts.create({ title: values.title, content: values.content });
        form.reset();
        toast(t('posts.published'));
        if (skip === 0) await load();
        else navigate(link(0).slice(1));
      },
    });
    return h('details', { class: 'panel write-post' }, h('summary', { id: headingId }, t('posts.write')), form.el);
  }

  const unsubscribe = store.subscribe((state, previous, changed) => {
    if (changed.includes('user') && mine) load();
  });

  return {
    el,
    title: t('posts.title'),
    ready: load(),
    onQuery(query) {
      const nextMine = query.get('mine') === '1' && isSignedIn();
      const nextSkip = intParam(query.get('skip'), 0);
      const paged = nextSkip !== skip || nextMine !== mine;
      mine = nextMine;
      skip = nextSkip;
      load().then(() => {
        if (paged) summary.focus();
      });
    },
    destroy: unsubscribe,
  };
}
