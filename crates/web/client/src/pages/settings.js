// One's own account: profile (PUT replaces it), notification mail and time zone (the same PUT), password
// (with confirmation; the server then refuses every older token, so we log in again with the new one), the
// avatar (checked and previewed first), the sessions, a download of everything Plaza keeps about the
// reader, and deleting the account.

import * as api from '../api.js';
import { h, replace, uid } from '../dom.js';
import { errorMessage } from '../errors.js';
import { formatDateTime, formatNumber, t, timeZone } from '../i18n.js';
import { endSession, readSaved, startSession, store } from '../store.js';
import { navigate } from '../router.js';
import { remember } from '../users.js';
import { whilePaused } from '../unread.js';
import { confirmDialog } from '../components/dialog.js';
import { checks, createForm, field } from '../components/form.js';
import { errorBox, loading, pageHeader } from '../components/page.js';
import { toast } from '../components/toast.js';
import { asDeleted, avatar } from '../components/user.js';

const AVATAR_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
const AVATAR_MAX_BYTES = 2 * 1024 * 1024;

const conflicts = { username_taken: 'username', email_taken: 'email' };

/**
 * The private calendar address made last in this tab, with the time the server gave it: the page is drawn
 * again when the language changes, and an address shown only once must survive that. Kept in memory only.
 */
let madeHere = null;

export default function SettingsPage(ctx) {
  const el = h('section', { class: 'page page-settings narrow' }, pageHeader(t('settings.title')).el, loading());
  let user = null;

  async function load() {
    try {
      user = await api.users.me({ signal: ctx.signal });
    } catch (error) {
      if (error?.name === 'AbortError') return;
      replace(el, pageHeader(t('settings.title')).el, errorBox(error, {}, load));
      return;
    }
    store.set({ user });
    remember(user);
    replace(
      el,
      pageHeader(t('settings.title'), h('a', { class: 'btn btn-ghost', href: `#/users/${user.id}` }, t('settings.viewProfile'))).el,
      section(t('settings.avatar'), avatarForm()),
      section(t('settings.profile'), profileForm()),
      section(t('settings.mail'), mailForm()),
      section(t('settings.password'), passwordForm()),
      section(t('settings.sessions'), sessionList()),
      section(t('settings.calendar'), calendarFeed()),
      section(t('settings.data'), dataDownload()),
      section(t('settings.deleteTitle'), accountDeletion()),
    );
  }

  /**
   * The private calendar address. The server keeps only its digest, so an address is shown once, when it
   * is made; afterwards the section only says that one works and since when. Making another turns the
   * one before off, and so does "Turn off": both are asked first whenever an address works.
   */
  function calendarFeed() {
    const el = h('div', { class: 'calendar-feed' }, loading());
    const status = h('p', { class: 'visually-hidden', role: 'status' });
    let madeAt = null;

    async function read() {
      try {
        const feed = await api.users.calendarSecret({ signal: ctx.signal });
        madeAt = feed.active ? feed.created_at : null;
      } catch (error) {
        if (error?.name === 'AbortError') return;
        replace(el, errorBox(error, {}, read));
        return;
      }
      const stillShown = madeHere && madeHere.userId === user.id && madeHere.createdAt === madeAt;
      draw(stillShown ? madeHere.url : null);
    }

    /** The section, with `url` shown when an address was just made. */
    function draw(url) {
      const make = h('button', { type: 'button', class: madeAt ? 'btn btn-secondary want-more' : 'btn btn-primary want-more' }, madeAt ? t('settings.calendarRotate') : t('settings.calendarMake'));
      make.addEventListener('click', () => makeAddress(make));
      const off = madeAt ? h('button', { type: 'button', class: 'btn btn-ghost' }, t('settings.calendarOff')) : null;
      off?.addEventListener('click', () => turnOff(off));
      replace(
        el,
        h('p', { class: 'muted' }, t('settings.calendarHint')),
        url ? shownAddress(url) : null,
        madeAt && !url ? h('p', {}, t('settings.calendarActive', { when: formatDateTime(madeAt) })) : null,
        h('div', { class: 'form-actions' }, make, off),
        status,
      );
    }

    function shownAddress(url) {
      const inputId = uid('calendar-url');
      const input = h('input', { id: inputId, type: 'text', value: url, readonly: true, spellcheck: 'false', autocomplete: 'off' });
      input.addEventListener('focus', () => input.select());
      const copy = h('button', { type: 'button', class: 'btn btn-primary' }, t('settings.calendarCopy'));
      copy.addEventListener('click', async () => {
        try {
          await navigator.clipboard.writeText(url);
          toast(t('settings.calendarCopied'), { kind: 'info' });
        } catch {
          input.focus();
          toast(t('settings.calendarCopyFailed'), { kind: 'error' });
        }
      });
      return h(
        'div',
        { class: 'field calendar-link' },
        h('label', { for: inputId, class: 'field-label' }, t('settings.calendarUrl')),
        h('div', { class: 'copy-row' }, input, copy),
        h('p', { class: 'field-hint' }, t('settings.calendarOnce'), ' ', h('a', { href: url.replace(/^https?:/, 'webcal:') }, t('settings.calendarOpen'))),
      );
    }

    async function makeAddress(button) {
      if (madeAt) {
        const sure = await confirmDialog({
          title: t('settings.calendarRotateTitle'),
          message: t('settings.calendarRotateText'),
          confirmLabel: t('settings.calendarRotate'),
        });
        if (!sure) return;
      }
      button.disabled = true;
      try {
        const { url } = await api.users.newCalendarSecret();
        madeAt = (await api.users.calendarSecret().catch(() => null))?.created_at ?? new Date().toISOString();
        madeHere = { userId: user.id, url, createdAt: madeAt };
        draw(url);
        status.textContent = t('settings.calendarMade');
        el.querySelector('.calendar-link input')?.focus();
      } catch (error) {
        button.disabled = false;
        toast(errorMessage(error), { kind: 'error' });
      }
    }

    async function turnOff(button) {
      const sure = await confirmDialog({
        title: t('settings.calendarOffTitle'),
        message: t('settings.calendarOffText'),
        confirmLabel: t('settings.calendarOff'),
      });
      if (!sure) return;
      button.disabled = true;
      try {
        await api.users.turnOffCalendar();
        madeAt = null;
        madeHere = null;
        draw(null);
        status.textContent = t('settings.calendarTurnedOff');
        el.querySelector('.form-actions button')?.focus();
      } catch (error) {
        button.disabled = false;
        toast(errorMessage(error), { kind: 'error' });
      }
    }

    read();
    return el;
  }

  /** Everything Plaza keeps about the reader, as one JSON file they save. */
  function dataDownload() {
    const button = h('button', { type: 'button', class: 'btn btn-secondary' }, t('settings.download'));
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const blob = await api.users.exportData({ signal: ctx.signal });
        const url = URL.createObjectURL(blob);
        const name = `plaza-${user.username}.json`;
        const save = h('a', { href: url, download: name, hidden: true });
        document.body.append(save);
        save.click();
        save.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
        toast(t('settings.downloading', { file: name }), { kind: 'info' });
      } catch (error) {
        if (error?.name !== 'AbortError') toast(errorMessage(error), { kind: 'error' });
      } finally {
        button.disabled = false;
      }
    });
    return h('div', {}, h('p', { class: 'muted' }, t('settings.dataHint')), button);
  }

  /** Deleting the account for good: a plain warning, the password again, and a last question. */
  function accountDeletion() {
    const password = field({ name: 'password', label: t('settings.deletePassword'), type: 'password', required: true, autocomplete: 'current-password' });
    const form = createForm({
      fields: [password],
      submitLabel: t('settings.deleteAccount'),
      extra: h('input', { type: 'text', name: 'username', autocomplete: 'username', value: user.username, readonly: true, hidden: true }),
      validate: (values) => ({ password: checks.required(values.password) }),
      onSubmit: async (values) => {
        const sure = await confirmDialog({
          title: t('settings.deleteConfirmTitle'),
          message: t('settings.deleteConfirmText'),
          confirmLabel: t('settings.deleteAccount'),
        });
        if (!sure) return;
        await api.users.deleteAccount(values.password);
        // What this tab remembers of the reader is what everyone now sees of the account.
        remember(asDeleted(user));
        endSession();
        toast(t('settings.accountDeleted'));
        navigate('/', { replace: true, force: true });
      },
    });
    form.el.querySelector('button[type="submit"]').className = 'btn btn-danger';
    return h('div', {}, h('p', { class: 'alert alert-warning' }, t('settings.deleteWarning')), form.el);
  }

  /** Where the account is signed in: each session (device, last use), and a button that signs it out. */
  function sessionList() {
    const el = h('div', { class: 'sessions' }, loading());
    const status = h('p', { class: 'visually-hidden', role: 'status' });
    async function draw() {
      let sessions;
      try {
        sessions = await api.auth.sessions({ signal: ctx.signal });
      } catch (error) {
        if (error?.name === 'AbortError') return;
        replace(el, errorBox(error, {}, draw));
        return;
      }
      const rows = sessions.map((session) => {
        const name = h('span', { class: 'session-device' }, session.device);
        const facts = h(
          'p',
          { class: 'muted' },
          t('settings.sessionUsed', { when: formatDateTime(session.last_used_at) }),
          session.remember_me ? ` · ${t('settings.sessionRemembered')}` : '',
        );
        const action = session.current
          ? h('span', { class: 'tag' }, t('settings.thisDevice'))
          : h('button', {
              type: 'button',
              class: 'btn btn-ghost btn-small',
              'aria-label': t('settings.signOutDevice', { device: session.device }),
              onClick: async (event) => {
                event.currentTarget.disabled = true;
                try {
                  await api.auth.endSession(session.id);
                  status.textContent = t('settings.signedOutDevice', { device: session.device });
                } catch (error) {
                  if (error?.code !== 'not_found') toast(errorMessage(error), { kind: 'error' });
                }
                await draw();
                el.querySelector('h3, .session-device')?.closest('li')?.focus();
              },
            }, t('settings.signOut'));
        return h('li', { class: 'session', tabindex: '-1' }, h('div', {}, h('h3', { class: 'session-title' }, name), facts), action);
      });
      replace(el, h('p', { class: 'field-hint' }, t('settings.sessionsHint')), h('ul', { class: 'session-list' }, rows), status);
    }
    draw();
    return el;
  }

  const section = (title, content) => {
    const id = uid('section');
    return h('section', { class: 'panel settings-section', 'aria-labelledby': id }, h('h2', { id }, title), content);
  };

  /** The profile as PUT wants it: everything, since PUT replaces (a missing full_name would clear it). */
  const profileBody = (changes = {}) => ({ username: user.username, email: user.email, full_name: user.full_name ?? null, ...changes });

  /** Parts of the page that say something about the account as last saved (redrawn by `updated`). */
  const followers = [];

  const updated = (next) => {
    user = next;
    remember(next);
    store.set({ user: next });
    for (const follow of followers) follow(next);
  };

  function profileForm() {
    const username = field({ name: 'username', label: t('auth.username'), value: user.username, required: true, autocomplete: 'username', maxlength: 32, hint: t('auth.usernameHint'), spellcheck: 'false', autocapitalize: 'none' });
    const email = field({ name: 'email', label: t('auth.email'), type: 'email', value: user.email ?? '', required: true, autocomplete: 'email', maxlength: 254, hint: t('settings.emailHint') });
    const fullName = field({ name: 'full_name', label: t('auth.fullName'), value: user.full_name ?? '', autocomplete: 'name', maxlength: 100, optional: true });
    const form = createForm({
      fields: [username, email, fullName],
      submitLabel: t('settings.saveProfile'),
      conflicts,
      validate: (values) => ({
        username: checks.required(values.username),
        email: checks.required(values.email),
        full_name: checks.maxChars(values.full_name, 100),
      }),
      onSubmit: async (values) => {
        const before = user.email;
        const next = await api.users.update(user.id, profileBody({ username: values.username, email: values.email, full_name: values.full_name === '' ? null : values.full_name }));
        updated(next);
        // A new address is unconfirmed: the server mailed it a link (and the reminder under the header says so).
        const mailed = next.email !== before && next.email_verified === false;
        toast(mailed ? t('settings.emailChanged', { email: next.email }) : t('settings.profileSaved'));
      },
    });
    return form.el;
  }

  /**
   * Whether and how often notifications come by mail, and the time zone of the daily mail. Saved with the
   * same PUT as the profile (which replaces username, email and full_name, so those are sent as saved).
   */
  function mailForm() {
    const choice = choiceField({
      name: 'email_notifications',
      legend: t('settings.mailChoice'),
      value: ['off', 'each', 'daily'].includes(user.email_notifications) ? user.email_notifications : 'off',
      options: [
        { value: 'off', label: t('settings.mailOff') },
        { value: 'each', label: t('settings.mailEach') },
        { value: 'daily', label: t('settings.mailDaily') },
      ],
    });
    const unconfirmed = h('p', { class: 'alert alert-warning mail-unconfirmed' });
    const showConfirmation = (account) => {
      unconfirmed.hidden = account.email_verified !== false;
      unconfirmed.textContent = t('settings.mailUnverified', { email: account.email });
    };
    showConfirmation(user);
    followers.push(showConfirmation);

    const browserZone = timeZone();
    const zones = timeZones([user.time_zone, browserZone]);
    const zone = field({
      name: 'time_zone',
      label: t('settings.timeZone'),
      value: zones.includes(user.time_zone) ? user.time_zone : 'UTC',
      options: zones.map((name) => ({ value: name, label: name.replaceAll('_', ' ') })),
      hint: t('settings.timeZoneHint'),
    });
    const useBrowser = browserZone
      ? h('button', { type: 'button', class: 'btn btn-ghost btn-small want-more' }, t('settings.useBrowserZone', { zone: browserZone.replaceAll('_', ' ') }))
      : null;
    useBrowser?.addEventListener('click', () => {
      zone.input.value = browserZone;
      zone.setError(null);
      zone.input.focus();
    });

    const form = createForm({
      fields: [choice, zone],
      body: [choice.el, unconfirmed, zone.el, useBrowser ? h('p', { class: 'zone-browser' }, useBrowser) : null],
      submitLabel: t('settings.saveMail'),
      onSubmit: async (values) => {
        const next = await api.users.update(user.id, profileBody({ email_notifications: values.email_notifications, time_zone: values.time_zone }));
        updated(next);
        toast(t('settings.mailSaved'));
      },
    });
    return form.el;
  }

  function passwordForm() {
    const password = field({ name: 'password', label: t('settings.newPassword'), type: 'password', required: true, autocomplete: 'new-password', hint: t('auth.passwordHint') });
    const confirm = field({ name: 'confirm', label: t('auth.confirmPassword'), type: 'password', required: true, autocomplete: 'new-password' });
    const form = createForm({
      fields: [password, confirm],
      submitLabel: t('settings.changePassword'),
      aliases: { hashed_password: 'password' },
      // for password managers: whose password this is
      extra: h('input', { type: 'text', name: 'username', autocomplete: 'username', value: user.username, readonly: true, hidden: true }),
      validate: (values) => ({
        password: checks.required(values.password) ?? checks.password(values.password),
        confirm: checks.required(values.confirm) ?? (values.confirm !== values.password ? t('auth.passwordsDiffer') : null),
      }),
      onSubmit: (values) =>
        whilePaused(async () => {
          const next = await api.users.update(user.id, profileBody({ password: values.password }));
          // Every token from before the change is refused now, ours included: take a new one.
          const remember = readSaved()?.remember === true;
          const answer = await api.auth.login(next.username, values.password, { remember });
          startSession(answer, { user: next, remember });
          updated(next);
          form.reset();
          toast(t('settings.passwordChanged'));
        }),
    });
    return form.el;
  }

  function avatarForm() {
    const inputId = uid('avatar');
    const errorId = `${inputId}-error`;
    const hintId = `${inputId}-hint`;
    const current = h('div', { class: 'avatar-current' }, avatar(user, 'lg'));
    const preview = h('img', { class: 'avatar avatar-lg avatar-preview', alt: t('settings.avatarPreview'), hidden: true });
    const input = h('input', { id: inputId, type: 'file', name: 'file', accept: AVATAR_TYPES.join(','), 'aria-describedby': hintId });
    const error = h('p', { id: errorId, class: 'field-error', hidden: true });
    const upload = h('button', { type: 'submit', class: 'btn btn-primary', disabled: true }, t('settings.upload'));
    const remove = h('button', { type: 'button', class: 'btn btn-secondary', hidden: !user.avatar_url, onClick: removeAvatar }, t('settings.removeAvatar'));
    let previewUrl = null;
    let file = null;

    const setError = (message) => {
      error.textContent = message ?? '';
      error.hidden = !message;
      if (message) {
        input.setAttribute('aria-invalid', 'true');
        input.setAttribute('aria-describedby', `${hintId} ${errorId}`);
      } else {
        input.removeAttribute('aria-invalid');
        input.setAttribute('aria-describedby', hintId);
      }
    };
    const clearPreview = () => {
      if (previewUrl) URL.revokeObjectURL(previewUrl);
      previewUrl = null;
      preview.hidden = true;
      preview.removeAttribute('src');
    };

    input.addEventListener('change', () => {
      setError(null);
      clearPreview();
      file = input.files?.[0] ?? null;
      upload.disabled = true;
      if (!file) return;
      if (!AVATAR_TYPES.includes(file.type)) {
        setError(t('settings.avatarType'));
        return;
      }
      if (file.size > AVATAR_MAX_BYTES) {
        setError(t('settings.avatarSize', { size: formatNumber(file.size / 1024 / 1024, { maximumFractionDigits: 1 }) }));
        return;
      }
      previewUrl = URL.createObjectURL(file);
      preview.src = previewUrl;
      preview.hidden = false;
      upload.disabled = false;
    });

    const form = h(
      'form',
      {
        class: 'form avatar-form',
        novalidate: true,
        onSubmit: async (event) => {
          event.preventDefault();
          if (!file) return;
          upload.disabled = true;
          form.setAttribute('aria-busy', 'true');
          try {
            const next = await api.users.uploadAvatar(user.id, file);
            updated(next);
            replace(current, avatar(next, 'lg'));
            remove.hidden = !next.avatar_url;
            clearPreview();
            input.value = '';
            file = null;
            toast(t('settings.avatarSaved'));
          } catch (problem) {
            setError(errorMessage(problem, { payload_too_large: t('settings.avatarTooLarge'), unsupported_media_type: t('settings.avatarUnsupported') }));
            upload.disabled = false;
          } finally {
            form.removeAttribute('aria-busy');
          }
        },
      },
      h('div', { class: 'avatar-row' }, current, preview),
      h(
        'div',
        { class: 'field' },
        h('label', { for: inputId, class: 'field-label' }, t('settings.chooseAvatar')),
        input,
        h('p', { id: hintId, class: 'field-hint' }, t('settings.avatarHint')),
        error,
      ),
      h('div', { class: 'form-actions' }, upload, remove),
    );
    ctx.signal.addEventListener('abort', clearPreview);

    async function removeAvatar() {
      const ok = await confirmDialog({
        title: t('settings.removeAvatarTitle'),
        message: t('settings.removeAvatarText'),
        confirmLabel: t('settings.removeAvatar'),
      });
      if (!ok) return;
      remove.disabled = true;
      form.setAttribute('aria-busy', 'true');
      try {
        const next = await api.users.removeAvatar(user.id);
        updated(next);
        replace(current, avatar(next, 'lg'));
        remove.hidden = true;
        setError(null);
        toast(t('settings.avatarRemoved'));
        // The button that was pressed is gone: the picker, where a new picture is chosen, takes focus.
        input.focus();
      } catch (problem) {
        setError(errorMessage(problem));
      } finally {
        remove.disabled = false;
        form.removeAttribute('aria-busy');
      }
    }
    return form;
  }

  return { el, title: t('settings.title'), ready: load() };
}

/** The time zones to choose from: the browser's list of IANA names (where it has one), "UTC", and the
 * `extra` names (the account's, the browser's) a list may lack, each once. */
function timeZones(extra) {
  let known = [];
  try {
    known = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  } catch {
    known = [];
  }
  const names = new Set(known);
  for (const name of extra) if (typeof name === 'string' && name && name !== 'UTC') names.add(name);
  names.delete('UTC');
  return ['UTC', ...[...names].sort()];
}

/**
 * Radio buttons under a legend, as a field createForm takes: { el, input, name, value, setError }
 * (`input` is the radio that takes focus: the chosen one, else the first).
 */
function choiceField({ name, legend, options, value, hint }) {
  const id = uid(`field-${name}`);
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const radios = options.map((option, index) => h('input', { type: 'radio', id: `${id}-${index}`, name, value: option.value, checked: option.value === value }));
  const error = h('p', { id: errorId, class: 'field-error', hidden: true });
  const el = h(
    'fieldset',
    { class: 'fieldset choice' },
    h('legend', {}, legend),
    hint ? h('p', { id: hintId, class: 'field-hint' }, hint) : null,
    h('div', { class: 'choice-options' }, options.map((option, index) => h('div', { class: 'choice-option' }, radios[index], h('label', { for: radios[index].id }, option.label)))),
    error,
  );
  const describe = (withError) => {
    const ids = [hintId, withError ? errorId : null].filter(Boolean);
    if (ids.length) el.setAttribute('aria-describedby', ids.join(' '));
    else el.removeAttribute('aria-describedby');
  };
  describe(false);
  const self = {
    el,
    name,
    get input() {
      return radios.find((radio) => radio.checked) ?? radios[0];
    },
    get value() {
      return radios.find((radio) => radio.checked)?.value ?? null;
    },
    setError(message) {
      error.textContent = message ?? '';
      error.hidden = !message;
      for (const radio of radios) {
        if (message) radio.setAttribute('aria-invalid', 'true');
        else radio.removeAttribute('aria-invalid');
      }
      el.classList.toggle('has-error', Boolean(message));
      describe(Boolean(message));
    },
  };
  for (const radio of radios) radio.addEventListener('change', () => self.setError(null));
  return self;
}
