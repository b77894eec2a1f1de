// Turning an ApiError into words in the reader's language. The server's `detail` stays English; the
// client speaks from the stable `code`, and translates the common field messages of `errors[]`.

import { formatSeconds, has, t } from './i18n.js';

/** The message for an error, for the reader: translated by code, with retry time or request id when they help. */
export function errorMessage(error, overrides = {}) {
  if (!error || error.name !== 'ApiError') return t('error.unexpected');
  if (overrides[error.code]) return overrides[error.code];
  if (error.isNetwork) return t('error.network');
  let message = has(`error.${error.code}`) ? t(`error.${error.code}`) : t('error.status', { status: error.status });
  if (error.code === 'rate_limited' && error.retryAfter !== null) {
    message = `${message} ${t('error.retryIn', { time: formatSeconds(error.retryAfter) })}`;
  }
  if (error.status >= 500 && error.requestId) {
    message = `${message} ${t('error.requestId', { id: error.requestId })}`;
  }
  return message;
}

// The server's field messages, as patterns, and the key that says the same in any language.
const FIELD_MESSAGES = [
  [/^field required$/, 'field.required'],
  [/^must not be empty$/, 'field.empty'],
  [/^must be at most (\d+) characters$/, 'field.maxChars', ['max']],
  [/^must be at least (\d+) characters$/, 'field.minChars', ['min']],
  [/^must be between (-?\d+) and (-?\d+)$/, 'field.between', ['min', 'max']],
  [/^must be greater than or equal to (-?\d+)$/, 'field.atLeast', ['min']],
  [/^must be a positive integer$/, 'field.positive'],
  [/^must be a valid e-mail address$/, 'field.email'],
  [/^must be an address that can receive mail/, 'field.emailInvalidDomain'],
  [/^must be 8 to 72 bytes$/, 'field.passwordLength'],
  [/^must be 3 to 32 characters$/, 'field.usernameLength'],
  [/^is not your password$/, 'field.notYourPassword'],
  [/^may contain only letters/, 'field.usernameChars'],
  [/^must be a date-time/, 'field.dateTime'],
  [/^must not be below the number of tickets already sold$/, 'field.belowSold'],
  [/^must not exceed max_tickets \((\d+)\)$/, 'field.aboveMax', ['max']],
  [/^must be at most 2 MiB$/, 'field.fileTooLarge'],
  [/^invalid type/, 'field.type'],
  [/^must not contain invisible or direction-changing characters$/, 'field.invisible'],
  [/^must be one line without control characters$/, 'field.oneLine'],
  [/^must contain a visible character$/, 'field.visible'],
  [/^must not contain control characters/, 'field.control'],
  [/^must be (given|cleared) with (latitude|longitude)$/, 'eventForm.pointTogether'],
  [/^must be an http or https link/, 'eventForm.onlineUrlInvalid'],
  [/^must name a host$/, 'eventForm.onlineUrlInvalid'],
  [/^must be a link without spaces$/, 'eventForm.onlineUrlInvalid'],
  [/^must not contain a user name or password$/, 'field.noCredentials'],
];

/** A field message from the server in the reader's language (the server's own words when unknown). */
export function fieldMessage(message) {
  const text = String(message ?? '');
  for (const [pattern, key, names = []] of FIELD_MESSAGES) {
    const found = pattern.exec(text);
    if (found) {
      const params = {};
      names.forEach((name, index) => {
        params[name] = Number(found[index + 1]);
      });
      return t(key, params);
    }
  }
  return text;
}
