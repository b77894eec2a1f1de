// The site header: brand, main navigation (with the unread badge), language switcher, account.
// It redraws itself from the store: fully when the user or language changes (keeping the keyboard's focus on
// the same control), only the badge when the unread count does (so focus is never lost to a poll).

import { h, replace, uid } from '../dom.js';
import { localeNames, setLocale, t, currentLocale } from '../i18n.js';
import { store } from '../store.js';
import { saveAccountLocale } from '../account-locale.js';
import { assetUrl } from '../assets.js';
import { avatar } from './user.js';
import { currentTheme, toggleTheme } from '../theme.js';

/** The badge link: "Notifications, 3 unread" for assistive technology, a number bubble for the eye. */
function notificationsLink(unread) {
  const link = h('a', { href: '#/notifications', class: 'nav-link', dataset: { path: '/notifications' } });
  updateBadge(link, unread);
  return link;
}

function updateBadge(link, unread) {
  const label = unread > 0 ? t('nav.notificationsUnread', { count: unread }) : t('nav.notifications');
  link.setAttribute('aria-label', label);
  replace(
    link,
    h('span', { class: 'nav-bell', 'aria-hidden': 'true' }),
    h('span', { class: 'nav-text-collapsible' }, t('nav.notifications')),
    // The space keeps the visible words ("Notifications 3") inside the spoken name ("Notifications, 3
    // unread"), as WCAG's "label in name" asks.
    unread > 0 ? ' ' : null,
    unread > 0 ? h('span', { class: 'badge', 'aria-hidden': 'true' }, unread > 99 ? '99+' : String(unread)) : null,
  );
}

export function createHeader({ onLogout }) {
  const el = h('header', { class: 'site-header' });
  let badgeLink = null;
  let currentPath = '/';
  let names = [];

  const languageSwitcher = () => {
    const id = uid('language');
    const select = h(
      'select',
      { id, class: 'language-select', onChange: (event) => setLocale(event.target.value).then(saveAccountLocale) },
      names.map(({ tag, name }) => h('option', { value: tag, lang: tag }, name)),
    );
    select.value = currentLocale();
    return h('div', { class: 'language' }, h('label', { for: id, class: 'language-label' }, t('header.language')), select);
  };

  // What had the keyboard's focus in the header, as a selector for the same control after a redraw: the
  // user arrives a moment after the page (and after a first Tab to "Skip to content"), and replacing the
  // focused element would drop focus to the page's start.
  const focusedControl = () => {
    const node = document.activeElement;
    if (!node || !el.contains(node)) return null;
    if (node.dataset?.path) return `[data-path="${node.dataset.path}"]`;
    const kept = ['skip-link', 'brand', 'language-select', 'theme-toggle', 'account-link'];
    const name = kept.find((kind) => node.classList.contains(kind));
    return name ? `.${name}` : null;
  };

  const draw = () => {
    const { user, token, unread } = store.get();
    const signedIn = token !== null;
    const hadFocus = focusedControl();
    const navItem = (path, label) => h('li', {}, h('a', { href: `#${path}`, class: 'nav-link', dataset: { path } }, label));
    badgeLink = signedIn ? notificationsLink(unread) : null;
    replace(
      el,
      h('a', { class: 'skip-link', href: '#main', onClick: skipToContent }, t('header.skip')),
      h(
        'div',
        { class: 'header-inner' },
        h('a', { class: 'brand', href: '#/' }, h('img', { class: 'brand-mark', src: assetUrl('assets/favicon.svg'), alt: '', width: 28, height: 28 }), h('span', { class: 'brand-name' }, t('app.name'))),
        h(
          'nav',
          { class: 'main-nav', 'aria-label': t('nav.label') },
          h(
            'ul',
            {},
            navItem('/events', t('nav.events')),
            navItem('/posts', t('nav.posts')),
            navItem('/users', t('nav.people')),
            signedIn ? navItem('/tickets', t('nav.tickets')) : null,
            user?.role === 'admin' || user?.role === 'moderator' ? navItem('/reports', t('nav.reports')) : null,
            signedIn ? h('li', {}, badgeLink) : null,
          ),
        ),
        languageSwitcher(),
        themeToggle(),
        signedIn
          ? h(
            'div',
            { class: 'account' },
            user
              ? h('a', { class: 'account-link', href: `#/users/${user.id}`, dataset: { path: `/users/${user.id}` } }, avatar(user, 'sm'), h('span', { class: 'account-name' }, user.username))
              : null,
            h('button', { type: 'button', class: 'btn btn-ghost btn-small', onClick: onLogout }, t('nav.logout')),
          )
          : h(
            'div',
            { class: 'account' },
            h('a', { class: 'nav-link', href: '#/login', dataset: { path: '/login' } }, t('nav.login')),
            h('a', { class: 'btn btn-primary btn-small', href: '#/register' }, t('nav.register')),
          ),
      ),
    );
    markCurrent(currentPath);
    if (hadFocus) el.querySelector(hadFocus)?.focus();
  };

  const markCurrent = (path) => {
    currentPath = path;
    for (const link of el.querySelectorAll('[data-path]')) {
      const target = link.dataset.path;
      const active = path === target || path.startsWith(`${target}/`) || (target === '/events' && path === '/');
      if (active) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  };

  store.subscribe((state, previous, changed) => {
    if (changed.some((key) => ['user', 'token', 'locale'].includes(key))) {
      const redraw = () => draw();
      if (changed.includes('locale')) localeNames().then((list) => { names = list; redraw(); });
      else redraw();
    } else if (changed.includes('unread') && badgeLink) {
      updateBadge(badgeLink, state.unread);
    }
  });

  return {
    el,
    async init() {
      names = await localeNames();
      draw();
    },
    markCurrent,
  };
}

/** A button between light and dark; it says what pressing it does, and whether dark is on. */
function themeToggle() {
  const dark = currentTheme() === 'dark';
  const button = h('button', { type: 'button', class: 'btn btn-ghost btn-small theme-toggle', 'aria-pressed': String(dark), title: t('theme.dark'), 'aria-label': t('theme.dark') }, h('span', { 'aria-hidden': 'true' }, dark ? '☾' : '☀'));
  button.addEventListener('click', () => {
    const now = toggleTheme() === 'dark';
    button.setAttribute('aria-pressed', String(now));
    button.firstChild.textContent = now ? '☾' : '☀';
  });
  return button;
}

function skipToContent(event) {
  event.preventDefault();
  const main = document.getElementById('main');
  main?.focus();
}
