// Form fields with a visible label, an optional hint and an error slot wired with aria-describedby and
// aria-invalid; and a form that shows an ApiError's errors[] next to the fields they name.

import { h, uid } from '../dom.js';
import { t } from '../i18n.js';
import { errorMessage, fieldMessage } from '../errors.js';
import { unverifiedNotice } from './verify-email.js';

/**
 * field({ name, label, type, value, hint, required, multiline, rows, options: [{value,label}], ...attrs })
 * Returns { el, input, name, setError(message|null), value }.
 */
export function field({ name, label, type = 'text', value = '', hint, required = false, multiline = false, rows = 4, options, optional = false, ...attrs }) {
  const id = uid(`field-${name}`);
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  let input;
  if (options) {
    input = h('select', { id, name, required, ...attrs }, options.map((option) => h('option', { value: option.value }, option.label)));
    input.value = value;
  } else if (multiline) {
    input = h('textarea', { id, name, rows, required, ...attrs, value });
  } else {
    input = h('input', { id, name, type, required, ...attrs, value: type === 'file' ? undefined : value });
  }
  const error = h('p', { id: errorId, class: 'field-error', hidden: true });
  const hintEl = hint ? h('p', { id: hintId, class: 'field-hint' }, hint) : null;
  const describe = (withError) => {
    const ids = [hintId, withError ? errorId : null].filter(Boolean);
    if (ids.length) input.setAttribute('aria-describedby', ids.join(' '));
    else input.removeAttribute('aria-describedby');
  };
  describe(false);
  const labelEl = h('label', { for: id, class: 'field-label' }, label, optional ? h('span', { class: 'field-optional' }, ` ${t('form.optional')}`) : null);
  const el = h('div', { class: ['field', type === 'checkbox' && 'field-check'] }, type === 'checkbox' ? [input, labelEl] : [labelEl, input], hintEl, error);

  const api = {
    el,
    input,
    name,
    get value() {
      return type === 'checkbox' ? input.checked : input.value;
    },
    setError(message) {
      if (message) {
        error.textContent = message;
        error.hidden = false;
        input.setAttribute('aria-invalid', 'true');
        el.classList.add('has-error');
        describe(true);
      } else {
        error.textContent = '';
        error.hidden = true;
        input.removeAttribute('aria-invalid');
        el.classList.remove('has-error');
        describe(false);
      }
    },
  };
  input.addEventListener('input', () => api.setError(null));
  return api;
}

/**
 * A form: fields, a form-level alert, a submit button. `onSubmit(values)` runs when `validate` (optional,
 * returns { field: message }) finds nothing; an ApiError it throws lands next to the fields its errors[]
 * name (`aliases` maps server field names to ours; `conflicts` maps an error code such as username_taken to the
 * field it is about), the rest in the alert (a 403 email_unverified with a button that sends the link to
 * confirm the address again). `messages` overrides the text
 * per error code; `body` lays the fields out differently (default: one under another). Returns { el, fields, alert, showError(error), reset() }.
 */
export function createForm({ fields, body, submitLabel, onSubmit, validate, aliases = {}, conflicts = {}, messages = {}, className, extra, labelledBy }) {
  const byName = Object.fromEntries(fields.map((item) => [item.name, item]));
  const alert = h('div', { class: 'alert alert-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, submitLabel);
  const form = h(
    'form',
    { class: ['form', className], novalidate: true, 'aria-labelledby': labelledBy },
    alert,
    body ?? fields.map((item) => item.el),
    extra,
    h('div', { class: 'form-actions' }, submit),
  );

  const showAlert = (text) => {
    alert.textContent = text;
    alert.hidden = !text;
  };

  const clear = () => {
    showAlert('');
    for (const item of fields) item.setError(null);
  };

  const focusFirstInvalid = () => {
    const first = fields.find((item) => item.input.getAttribute('aria-invalid') === 'true');
    first?.input.focus();
  };

  const showFieldErrors = (list) => {
    const unmatched = [];
    for (const { field: name, message } of list) {
      const target = byName[aliases[name] ?? name];
      if (target) target.setError(message);
      else unmatched.push(message);
    }
    showAlert([t('form.fix'), ...unmatched].join(' '));
    focusFirstInvalid();
  };

  const showError = (error) => {
    if (error?.name === 'ApiError' && error.code === 'validation_failed' && error.errors.length) {
      showFieldErrors(error.errors.map((item) => ({ field: item.field, message: fieldMessage(item.message) })));
    } else if (error?.name === 'ApiError' && conflicts[error.code] && byName[conflicts[error.code]]) {
      showFieldErrors([{ field: conflicts[error.code], message: errorMessage(error, messages) }]);
    } else if (error?.name === 'ApiError' && error.code === 'email_unverified' && !messages.email_unverified) {
      // Nothing to correct in the form: the address must be confirmed first, and the link can come again.
      alert.replaceChildren(...unverifiedNotice());
      alert.hidden = false;
      // A long form is sent from its bottom, and the alert is at its top (maybe under the sticky header).
      const box = alert.getBoundingClientRect();
      const covered = document.querySelector('.site-header')?.getBoundingClientRect().bottom ?? 0;
      if (box.top < covered || box.bottom > window.innerHeight) alert.scrollIntoView({ block: 'center' });
    } else {
      showAlert(errorMessage(error, messages));
    }
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    clear();
    const values = Object.fromEntries(fields.map((item) => [item.name, item.value]));
    const problems = validate?.(values) ?? {};
    const list = Object.entries(problems).filter(([, message]) => message).map(([name, message]) => ({ field: name, message }));
    if (list.length) {
      showFieldErrors(list);
      return;
    }
    form.setAttribute('aria-busy', 'true');
    submit.disabled = true;
    try {
      await onSubmit(values);
    } catch (error) {
      if (error?.name === 'AbortError') return;
      showError(error);
    } finally {
      form.removeAttribute('aria-busy');
      submit.disabled = false;
    }
  });

  return {
    el: form,
    fields: byName,
    submit,
    showError,
    showAlert,
    clear,
    reset() {
      form.reset();
      clear();
    },
  };
}

/** The number of UTF-8 bytes in a string (the password rule counts bytes). */
export const byteLength = (text) => new TextEncoder().encode(text).length;

/** Common client-side checks, in the reader's language. */
export const checks = {
  required: (value) => (String(value).trim() === '' ? t('field.required') : null),
  maxChars: (value, max) => ([...String(value)].length > max ? t('field.maxChars', { max }) : null),
  integer: (value, min, max) => {
    if (String(value).trim() === '') return t('field.required');
    if (!/^-?\d+$/.test(String(value).trim())) return t('field.integer');
    const number = Number(value);
    return number < min || number > max ? t('field.between', { min, max }) : null;
  },
  password: (value) => {
    const bytes = byteLength(value);
    return bytes < 8 || bytes > 72 ? t('field.passwordLength') : null;
  },
};
