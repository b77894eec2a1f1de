// A post as a card (lists) with its author, date and — for its author — a delete button (for moderators, a
// remove button).

import * as api from '../api.js';
import { h } from '../dom.js';
import { errorMessage } from '../errors.js';
import { t } from '../i18n.js';
import { currentUser } from '../store.js';
import { confirmDialog } from './dialog.js';
import { editedNote, time } from './page.js';
import { isStaff } from './report.js';
import { toast } from './toast.js';
import { userLink } from './user.js';

/** Asks, deletes (the author) or removes (a moderator), tells. Resolves true when the post is gone. */
export async function deletePost(post) {
  const mine = currentUser()?.id === post.owner_id;
  const ok = mine
    ? await confirmDialog({ title: t('posts.deleteTitle'), message: t('posts.deleteText', { title: post.title }), confirmLabel: t('posts.deleteConfirm') })
    : await confirmDialog({ title: t('removal.postTitle'), message: t('removal.postText', { title: post.title }), confirmLabel: t('removal.confirm') });
  if (!ok) return false;
  try {
    await api.posts.remove(post.id);
    toast(mine ? t('posts.deleted') : t('removal.done'));
    return true;
  } catch (error) {
    toast(errorMessage(error), { kind: 'error' });
    return false;
  }
}

/** A card for lists. `onDeleted` runs after its author deleted it. `headingLevel` keeps the outline right. */
export function postCard(post, { onDeleted, headingLevel = 2, clamp = true } = {}) {
  const mine = currentUser()?.id === post.owner_id;
  return h(
    'li',
    { class: 'card post-card' },
    h(`h${headingLevel}`, { class: 'card-title' }, h('a', { href: `#/posts/${post.id}` }, post.title)),
    h('p', { class: 'meta' }, userLink(post.owner_id, { withAvatar: true }), h('span', { class: 'meta-sep', 'aria-hidden': 'true' }, ' · '), time(post.created_at), editedNote(post)),
    h('p', { class: ['card-text', 'pre-wrap', clamp && 'clamp'] }, post.content),
    mine || isStaff()
      ? h(
        'div',
        { class: 'card-actions' },
        h('button', {
          type: 'button',
          class: 'btn btn-danger btn-small',
          'aria-label': mine ? t('posts.deleteNamed', { title: post.title }) : t('removal.postNamed', { title: post.title }),
          onClick: async () => {
            if (await deletePost(post)) onDeleted?.(post);
          },
        }, mine ? t('action.delete') : t('action.remove')),
      )
      : null,
  );
}
