// Anyone's profile: picture, names, when they joined, their posts; one's own links to the settings,
// anyone else's offers to send them a notification.

import * as api from '../api.js';
import { h, intParam, replace, uid } from '../dom.js';
import { t, tNodes } from '../i18n.js';
import { href } from '../router.js';
import { currentUser, isSignedIn, store } from '../store.js';
import { remember } from '../users.js';
import { checks, createForm, field } from '../components/form.js';
import { emptyState, errorBox, isId, loading, pageHeader, time } from '../components/page.js';
import { pager, rangeText } from '../components/pager.js';
import { postCard } from '../components/post.js';
import { toast } from '../components/toast.js';
import { avatar, roleBadge, shownName } from '../components/user.js';
import { roleForm } from '../components/role.js';
import { banPanel } from '../components/ban.js';
import { mayReport, reportButton } from '../components/report.js';

const LIMIT = 10;

/** Whether `me` may ban `user`: a moderator bans members, an admin members and moderators; nobody bans
 * an admin or themself. */
const mayBan = (me, user) => me && me.id !== user.id && user.role !== 'admin' && (me.role === 'admin' || (me.role === 'moderator' && user.role === 'member'));

export default function ProfilePage(ctx) {
  const el = h('section', { class: 'page page-profile' }, pageHeader(t('profile.title')).el, loading());
  let user = null;
  let skip = intParam(ctx.query.get('skip'), 0);
  const postsHeading = h('h2', { id: uid('posts-heading'), tabindex: '-1' });
  const postsBody = h('div', { class: 'results' });

  const missing = () => {
    ctx.setTitle(t('profile.missing'));
    replace(el, pageHeader(t('profile.missing')).el, emptyState(t('profile.missingText'), h('a', { href: '#/users' }, t('profile.backToPeople'))));
  };

  async function load() {
    if (!isId(ctx.params.id)) return missing();
    try {
      user = await api.users.get(ctx.params.id, { signal: ctx.signal });
    } catch (error) {
      if (error?.name === 'AbortError') return;
      if (error?.code === 'not_found') return missing();
      replace(el, pageHeader(t('profile.title')).el, errorBox(error, {}, load));
      return;
    }
    remember(user);
    ctx.setTitle(shownName(user.username));
    draw();
    await loadPosts();
  }

  function draw() {
    const me = currentUser();
    const self = me?.id === user.id;
    const gone = user.deleted === true;
    const { el: header, heading } = pageHeader(
      shownName(user.username),
      self ? h('a', { class: 'btn btn-secondary', href: '#/settings' }, t('profile.edit')) : null,
      mayReport(user.id) && !gone ? reportButton({ kind: 'user', id: user.id }, user.username) : null,
    );
    heading.append(...[roleBadge(user)].filter(Boolean));
    postsHeading.textContent = t('profile.posts', { name: shownName(user.username) });
    replace(
      el,
      h(
        'div',
        { class: 'profile-card card' },
        avatar(user, 'lg'),
        h(
          'div',
          { class: 'profile-info' },
          header,
          user.full_name ? h('p', { class: 'profile-full-name' }, user.full_name) : null,
          gone ? h('p', { class: 'muted' }, t('profile.deleted')) : h('p', { class: 'muted' }, tNodes('profile.joined', { date: time(user.created_at, { dateStyle: 'long' }) })),
          self && user.email ? h('p', { class: 'muted small' }, tNodes('profile.email', { email: h('span', { class: 'mono' }, user.email) })) : null,
        ),
      ),
      me?.role === 'admin' && !gone ? rolePanel() : null,
      mayBan(me, user) && !gone
        ? banPanel(user, (updated) => {
          user = updated;
          remember(updated);
          draw();
          // The panel was drawn anew: keyboard focus goes back to it.
          el.querySelector('.ban-panel summary')?.focus();
        })
        : null,
      !self && isSignedIn() && !gone ? notifyForm() : null,
      h('section', { class: 'profile-posts', 'aria-labelledby': postsHeading.id }, postsHeading, postsBody),
    );
  }

  async function loadPosts({ focus = false } = {}) {
    const link = (target) => href(`/users/${user.id}`, { skip: target || null });
    try {
      const { items, total } = await api.posts.list({ skip, limit: LIMIT, ownerId: user.id }, { signal: ctx.signal });
      if (items.length === 0) {
        replace(postsBody, total > 0 ? emptyState(t('pager.pastEnd'), h('a', { href: link(0) }, t('pager.first'))) : emptyState(t('profile.noPosts')));
      } else {
        replace(
          postsBody,
          total > LIMIT ? h('p', { class: 'muted small' }, rangeText({ skip, count: items.length, total })) : null,
          h('ul', { class: 'card-list' }, items.map((post) => postCard(post, { headingLevel: 3, onDeleted: () => loadPosts({ focus: true }) }))),
          pager({ skip, limit: LIMIT, total, link, label: t('posts.pages') }),
        );
      }
    } catch (error) {
      if (error?.name === 'AbortError') return;
      replace(postsBody, errorBox(error, {}, () => loadPosts()));
    }
    if (focus) postsHeading.focus();
  }

  /** For admins: the user's role, changed in place. */
  function rolePanel() {
    const summaryId = uid('role');
    const panel = h('details', { class: 'panel role-panel' }, h('summary', { id: summaryId }, t('role.title', { name: user.username })));
    panel.append(roleForm(user, (updated, { self }) => {
      user = updated;
      // One's own change redraws through the store's subscription.
      if (!self) draw();
      el.querySelector('.role-panel summary')?.focus();
    }, { labelledBy: summaryId }));
    return panel;
  }

  function notifyForm() {
    const me = currentUser();
    const headingId = uid('notify');
    const sender = field({ name: 'sender', label: t('notify.sender'), value: me?.full_name?.trim() || me?.username || '', required: true, maxlength: 100, hint: t('notify.senderHint') });
    const message = field({ name: 'message', label: t('notify.message'), multiline: true, rows: 3, required: true, maxlength: 1000 });
    const form = createForm({
      fields: [sender, message],
      submitLabel: t('notify.send'),
      labelledBy: headingId,
      validate: (values) => ({
        sender: checks.required(values.sender) ?? checks.maxChars(values.sender, 100),
        message: checks.required(values.message) ?? checks.maxChars(values.message, 1000),
      }),
      onSubmit: async (values) => {
        await api.notifications.send({ owner_id: user.id, sender: values.sender, message: values.message });
        message.input.value = '';
        toast(t('notify.sent', { name: user.username }));
      },
    });
    return h('details', { class: 'panel notify' }, h('summary', { id: headingId }, t('notify.title', { name: user.username })), form.el);
  }

  const unsubscribe = store.subscribe((state, previous, changed) => {
    if (user && changed.includes('user')) draw();
  });

  return {
    el,
    title: t('profile.title'),
    ready: load(),
    onQuery(query) {
      skip = intParam(query.get('skip'), 0);
      if (user) loadPosts({ focus: true });
    },
    destroy: unsubscribe,
  };
}
