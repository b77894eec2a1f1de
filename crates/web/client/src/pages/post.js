// One post.

import * as api from '../api.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { navigate } from '../router.js';
import { currentUser } from '../store.js';
import { loadUsers } from '../users.js';
import { emptyState, errorBox, isId, loading, pageHeader, time } from '../components/page.js';
import { deletePost } from '../components/post.js';
import { userLink } from '../components/user.js';

export default function PostPage(ctx) {
  const el = h('article', { class: 'page page-post narrow' }, pageHeader(t('post.title')).el, loading());

  const missing = () => {
    ctx.setTitle(t('post.missing'));
    replace(el, pageHeader(t('post.missing')).el, emptyState(t('post.missingText'), h('a', { href: '#/posts' }, t('post.backToList'))));
  };

  async function load() {
    if (!isId(ctx.params.id)) return missing();
    let post;
    try {
      post = await api.posts.get(ctx.params.id, { signal: ctx.signal });
      await loadUsers([post.owner_id], { signal: ctx.signal }).catch(() => null);
    } catch (error) {
      if (error?.name === 'AbortError') return;
      if (error?.code === 'not_found') return missing();
      replace(el, pageHeader(t('post.title')).el, errorBox(error, {}, load));
      return;
    }
    ctx.setTitle(post.title);
    const mine = currentUser()?.id === post.owner_id;
    const remove = async () => {
      if (await deletePost(post)) navigate('/posts');
    };
    replace(
      el,
      h('p', { class: 'breadcrumb' }, h('a', { href: '#/posts' }, t('post.backToList'))),
      pageHeader(post.title, mine ? h('button', { type: 'button', class: 'btn btn-danger', onClick: remove }, t('action.delete')) : null).el,
      h('p', { class: 'meta' }, userLink(post.owner_id, { withAvatar: true }), h('span', { class: 'meta-sep', 'aria-hidden': 'true' }, ' · '), time(post.created_at, { dateStyle: 'long', timeStyle: 'short' })),
      h('div', { class: 'prose' }, h('p', { class: 'pre-wrap' }, post.content)),
    );
  }

  return { el, title: t('post.title'), ready: load() };
}
