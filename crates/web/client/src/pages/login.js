// Logging in (OAuth2 password flow at POST /token). Also where an ended session lands, with a word on why,
// and where a new password chosen from a mailed link leads.

import * as api from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { location, navigate } from '../router.js';
import { startSession, store } from '../store.js';
import { settleLocale } from '../account-locale.js';
import { remember } from '../users.js';
import { checks, createForm, field } from '../components/form.js';
import { notice, pageHeader } from '../components/page.js';
import { toast } from '../components/toast.js';

/** Only a path inside the client may follow ?next= (never another site). */
export function safeNext(value) {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') ? value : '/events';
}

/** Logs in and loads the user; throws the ApiError of either step. */
export async function logIn(username, password, { onWait, keepSignedIn = false } = {}) {
  const answer = await api.auth.login(username, password, { onWait, remember: keepSignedIn });
  startSession(answer, { user: null, remember: keepSignedIn });
  const user = await api.users.me();
  remember(user);
  store.set({ user });
  // The account's language and the page's meet (see settleLocale); not waited for.
  settleLocale(user);
  return user;
}

/** Set by the reset page once a new password is saved: the next login page says so, once. Kept in this
 * tab's memory, not in the address, which anyone could write into a link. */
let passwordJustReset = false;
export function announcePasswordReset() {
  passwordJustReset = true;
}

export default function LoginPage(ctx) {
  const next = safeNext(ctx.query.get('next'));
  const reason = ctx.query.get('reason');
  const username = field({ name: 'username', label: t('auth.username'), required: true, autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', value: ctx.query.get('username') ?? '' });
  const password = field({ name: 'password', label: t('auth.password'), type: 'password', required: true, autocomplete: 'current-password' });
  const rememberMe = field({ name: 'remember_me', label: t('auth.rememberMe'), type: 'checkbox', hint: t('auth.rememberMeHint') });
  const form = createForm({
    fields: [username, password, rememberMe],
    submitLabel: t('auth.login'),
    messages: { unauthorized: t('auth.wrongCredentials') },
    validate: (values) => ({ username: checks.required(values.username), password: checks.required(values.password) }),
    onSubmit: async (values) => {
      const user = await logIn(values.username, values.password, {
        keepSignedIn: values.remember_me === true,
        onWait: (seconds) => {
          waiting.textContent = t('auth.busyWaiting', { seconds });
        },
      });
      waiting.textContent = '';
      toast(t('auth.welcomeBack', { name: user.full_name?.trim() || user.username }));
      // (unless the user went elsewhere meanwhile)
      if (!ctx.signal.aborted && location().path === '/login') navigate(next, { replace: true, force: true });
    },
  });

  const waiting = h('p', { class: 'muted', role: 'status' });
  form.el.append(waiting);
  let banner = null;
  if (passwordJustReset) {
    passwordJustReset = false;
    banner = notice(t('reset.done'), 'success');
  } else if (reason === 'expired') banner = h('div', { class: 'alert alert-warning', role: 'alert' }, t('auth.sessionEnded'));
  else if (ctx.query.has('next')) banner = notice(t('auth.loginFirst'));

  const el = h(
    'section',
    { class: 'page page-auth narrow' },
    h('div', { class: 'panel auth-panel' }, pageHeader(t('auth.loginTitle')).el, banner, form.el, h('p', { class: 'auth-forgot' }, h('a', { href: '#/forgot-password' }, t('auth.forgotLink'))), h('p', { class: 'auth-switch' }, t('auth.noAccount'), ' ', h('a', { href: `#/register${ctx.query.has('next') ? `?next=${encodeURIComponent(next)}` : ''}` }, t('auth.registerLink')))),
  );
  return { el, title: t('auth.loginTitle') };
}
