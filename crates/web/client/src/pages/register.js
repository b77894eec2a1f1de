// Creating an account; then logged in at once.

import * as api from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { accountLocale } from '../account-locale.js';
import { location, navigate } from '../router.js';
import { checks, createForm, field } from '../components/form.js';
import { pageHeader } from '../components/page.js';
import { toast } from '../components/toast.js';
import { logIn, safeNext } from './login.js';

export default function RegisterPage(ctx) {
  const next = safeNext(ctx.query.get('next'));
  const username = field({ name: 'username', label: t('auth.username'), required: true, autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', maxlength: 32, hint: t('auth.usernameHint') });
  const email = field({ name: 'email', label: t('auth.email'), type: 'email', required: true, autocomplete: 'email', maxlength: 254 });
  const fullName = field({ name: 'full_name', label: t('auth.fullName'), autocomplete: 'name', maxlength: 100, optional: true });
  const password = field({ name: 'password', label: t('auth.password'), type: 'password', required: true, autocomplete: 'new-password', hint: t('auth.passwordHint') });
  const confirm = field({ name: 'confirm', label: t('auth.confirmPassword'), type: 'password', required: true, autocomplete: 'new-password' });
  const form = createForm({
    fields: [username, email, fullName, password, confirm],
    submitLabel: t('auth.register'),
    aliases: { hashed_password: 'password' },
    conflicts: { username_taken: 'username', email_taken: 'email' },
    validate: (values) => ({
      username: checks.required(values.username),
      email: checks.required(values.email),
      full_name: checks.maxChars(values.full_name, 100),
      password: checks.required(values.password) ?? checks.password(values.password),
      confirm: checks.required(values.confirm) ?? (values.confirm !== values.password ? t('auth.passwordsDiffer') : null),
    }),
    onSubmit: async (values) => {
      await api.users.register({
        username: values.username,
        email: values.email,
        full_name: values.full_name.trim() === '' ? null : values.full_name,
        password: values.password,
        locale: accountLocale(),
      });
      const user = await logIn(values.username, values.password);
      toast(t('auth.welcome', { name: user.full_name?.trim() || user.username }));
      // (unless the user went elsewhere meanwhile)
      if (!ctx.signal.aborted && location().path === '/register') navigate(next, { replace: true, force: true });
    },
  });
  const el = h(
    'section',
    { class: 'page page-auth narrow' },
    h('div', { class: 'panel auth-panel' }, pageHeader(t('auth.registerTitle')).el, form.el, h('p', { class: 'auth-switch' }, t('auth.haveAccount'), ' ', h('a', { href: '#/login' }, t('auth.loginLink')))),
  );
  return { el, title: t('auth.registerTitle') };
}
