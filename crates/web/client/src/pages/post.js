// One post; its author edits it in place (title and text, with the rules of writing one) or deletes it.

import * as api from '../api.js';
import { h, replace, uid } from '../dom.js';
import { t } from '../i18n.js';
import { navigate } from '../router.js';
import { currentUser, store } from '../store.js';
import { loadUsers } from '../users.js';
import { checks, createForm, field } from '../components/form.js';
import { editedNote, emptyState, errorBox, isId, loading, notice, pageHeader, time } from '../components/page.js';
import { deletePost } from '../components/post.js';
import { isStaff, mayReport, reportButton } from '../components/report.js';
import { toast } from '../components/toast.js';
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
    show(post);
  }

  const breadcrumb = () => h('p', { class: 'breadcrumb' }, h('a', { href: '#/posts' }, t('post.backToList')));

  /** The post shown, and whether its author has it open in the editor. */
  let shown = null;
  let editing = false;

  function show(post, { focus } = {}) {
    shown = post;
    editing = false;
    ctx.setTitle(post.title);
    const mine = currentUser()?.id === post.owner_id;
    const remove = async () => {
      if (await deletePost(post)) navigate('/posts');
    };
    const editButton = mine && !post.removed ? h('button', { type: 'button', class: 'btn btn-secondary', onClick: () => edit(post) }, t('action.edit')) : null;
    const header = post.removed
      ? pageHeader(post.title, h('span', { class: 'tag tag-removed' }, t('removed.tag')))
      : pageHeader(
        post.title,
        editButton,
        mine || isStaff() ? h('button', { type: 'button', class: 'btn btn-danger', onClick: remove }, mine ? t('action.delete') : t('action.remove')) : null,
        mayReport(post.owner_id) ? reportButton({ kind: 'post', id: post.id }, post.title) : null,
      );
    replace(
      el,
      breadcrumb(),
      header.el,
      post.removed ? notice(t('removed.post'), 'warning') : null,
      h(
        'p',
        { class: 'meta' },
        userLink(post.owner_id, { withAvatar: true }),
        h('span', { class: 'meta-sep', 'aria-hidden': 'true' }, ' · '),
        time(post.created_at, { dateStyle: 'long', timeStyle: 'short' }),
        editedNote(post),
      ),
      h('div', { class: 'prose' }, h('p', { class: 'pre-wrap' }, post.content)),
    );
    if (focus === 'edit') editButton?.focus();
  }

  function edit(post) {
    editing = true;
    const headingId = uid('edit-post');
    const title = field({ name: 'title', label: t('posts.fieldTitle'), value: post.title, required: true, maxlength: 200, autocomplete: 'off' });
    const content = field({ name: 'content', label: t('posts.fieldContent'), value: post.content, multiline: true, rows: 8, required: true, maxlength: 50000 });
    const cancel = h('button', { type: 'button', class: 'btn btn-secondary', onClick: () => show(post, { focus: 'edit' }) }, t('action.cancel'));
    const form = createForm({
      fields: [title, content],
      submitLabel: t('action.save'),
      labelledBy: headingId,
      validate: (values) => ({
        title: checks.required(values.title) ?? checks.maxChars(values.title, 200),
        content: checks.required(values.content) ?? checks.maxChars(values.content, 50000),
      }),
      onSubmit: async (values) => {
        // Only what changed is sent: an unchanged post is not marked edited.
        const changes = {};
        if (values.title !== post.title) changes.title = values.title;
        if (values.content !== post.content) changes.content = values.content;
        const saved = Object.keys(changes).length ? await api.posts.update(post.id, changes) : post;
        if (saved !== post) toast(t('post.saved'));
        show(saved, { focus: 'edit' });
      },
    });
    form.submit.parentElement.append(cancel);
    ctx.setTitle(t('post.editing', { title: post.title }));
    const header = pageHeader(t('post.edit'));
    header.heading.id = headingId;
    replace(el, breadcrumb(), header.el, form.el);
    title.input.focus();
  }

  // Whether the reader wrote it is known only once their session is back (after a reload, say).
  const unsubscribe = store.subscribe((state, previous, changed) => {
    if (shown && !editing && changed.includes('user')) show(shown);
  });

  return { el, title: t('post.title'), ready: load(), destroy: unsubscribe };
}
