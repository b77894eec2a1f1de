// The one module that talks to the server. Everything else calls the functions at the bottom.
//
// - attaches `Authorization: Bearer <token>` when a session exists;
// - a 204 (an empty list) becomes an empty array; `X-Total-Count` and `X-Unread-Count` are read;
// - any error response becomes an ApiError with status, code, detail, errors[], retryAfter, requestId;
// - a network failure is an ApiError with status 0 and code "network";
// - a 401 on a call made with the stored token renews the session once and repeats the call
//   (configureApi's renew); when the session cannot be renewed, it tells the session (onUnauthorized).

export class ApiError extends Error {
  constructor({ status = 0, code = 'network', detail = '', errors = [], retryAfter = null, requestId = null, body = {} } = {}) {
    super(detail || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.errors = Array.isArray(errors) ? errors : [];
    this.retryAfter = retryAfter;
    this.requestId = requestId;
    /** The whole error body, for the fields some answers add (`checked_in_at` of a second scan). */
    this.body = body && typeof body === 'object' ? body : {};
  }

  get isNetwork() {
    return this.status === 0;
  }
}

/** The code a status stands for when the body did not say (e.g. a proxy's error page). */
function codeForStatus(status) {
  const codes = {
    400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed',
    409: 'conflict', 413: 'payload_too_large', 415: 'unsupported_media_type', 429: 'rate_limited',
    503: 'unavailable',
  };
  return codes[status] ?? (status >= 500 ? 'internal' : 'bad_request');
}

const settings = {
  getToken: () => null,
  onUnauthorized: () => {},
  /** The account is banned (a 403 account_banned, on any call): the error carries `body.ban`. */
  onBanned: () => {},
  /** Renews the session of a refused token: 'renewed', 'ended' or 'failed' (see session.js). */
  renew: async () => 'ended',
};

/** Wires the module to the session: where the token comes from, how a refused one is renewed, and what
 * a session that cannot be renewed does. */
export function configureApi({ getToken, onUnauthorized, onBanned, renew }) {
  if (getToken) settings.getToken = getToken;
  if (onUnauthorized) settings.onUnauthorized = onUnauthorized;
  if (onBanned) settings.onBanned = onBanned;
  if (renew) settings.renew = renew;
}

function intHeader(response, name) {
  const value = response.headers.get(name);
  return value !== null && /^\d+$/.test(value.trim()) ? Number(value) : null;
}

/**
 * One request. Options:
 * - query: object of query parameters (null/undefined/'' left out)
 * - json: a body sent as JSON; form: an object sent as a URL-encoded form; multipart: a FormData
 * - auth: false to send no token (the default sends the session's token if there is one)
 * - token: send this token instead of the session's (one that was just let go of)
 * - signal: an AbortSignal (an abort rejects with the DOMException, not an ApiError)
 * - as: 'blob' to take a successful answer's body as a Blob (an image, a file) instead of JSON
 * - accept: the media type asked for (default application/json; e.g. text/csv for a file); an error
 *   answer is still read as JSON
 * Resolves to { data, status, total, unread, requestId }; data is null for an empty body.
 */
export async function request(method, path, options = {}) {
  const { query, json, form, multipart, auth = true, signal, renewed = false, as = 'json', accept = 'application/json' } = options;
  const given = options.token;
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== null && value !== undefined && value !== '') url.searchParams.set(key, String(value));
  }
  const headers = { Accept: accept };
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = new URLSearchParams(form);
  } else if (multipart !== undefined) {
    body = multipart;
  }
  const token = given ?? (auth ? settings.getToken() : null);
  if (token) headers.Authorization = `Bearer ${token}`;

  let response;
  try {
    const early = method === 'GET' ? takeEarly(url) : null;
    response = await (early ?? fetch(url, { method, headers, body, signal, cache: 'no-store', credentials: 'same-origin' }));
    signal?.throwIfAborted();
  } catch (error) {
    if (error?.name === 'AbortError') throw error;
    throw new ApiError({ status: 0, code: 'network', detail: String(error?.message ?? error) });
  }

  const meta = {
    status: response.status,
    total: intHeader(response, 'X-Total-Count'),
    unread: intHeader(response, 'X-Unread-Count'),
    requestId: response.headers.get('X-Request-Id'),
  };

  if (response.ok) {
    if (as === 'blob') return { data: await response.blob(), ...meta };
    const text = response.status === 204 ? '' : await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        throw new ApiError({ status: response.status, code: 'internal', detail: 'unreadable response', requestId: meta.requestId });
      }
    }
    return { data, ...meta };
  }

  let payload = {};
  try {
    payload = JSON.parse(await response.text()) ?? {};
  } catch {
    payload = {};
  }
  const error = new ApiError({
    status: response.status,
    code: typeof payload.code === 'string' ? payload.code : codeForStatus(response.status),
    detail: typeof payload.detail === 'string' ? payload.detail : response.statusText,
    errors: payload.errors,
    retryAfter: intHeader(response, 'Retry-After'),
    requestId: meta.requestId,
    body: payload,
  });
  // Only a token we still hold can have ended: a late answer to an older token changes nothing.
  if (response.status === 401 && token && settings.getToken() === token) {
    const outcome = renewed ? 'ended' : await settings.renew(token);
    if (outcome === 'renewed') return request(method, path, { ...options, renewed: true });
    if (outcome === 'ended' && settings.getToken() === token) settings.onUnauthorized(error);
  }
  // Only about the account signed in now (or a login, which sends no token): a late answer to an earlier
  // account's token says nothing about this one.
  if (error.code === 'account_banned' && (!token || settings.getToken() === token)) settings.onBanned(error);
  throw error;
}

/** A read the page's boot script started before this code loaded (see boot.js): the first screen's
 * public data, asked for while the scripts were still on their way. Each is taken once, by the first
 * request for the same address, and only until the first page has drawn ({@link forgetEarlyReads}):
 * after that an answer from then would be stale. */
function takeEarly(url) {
  const early = window.plazaBoot?.early;
  if (!early || url.origin !== window.location.origin) return null;
  const key = url.pathname + url.search;
  const pending = early[key];
  if (!pending) return null;
  delete early[key];
  return pending;
}

/** The first page has drawn: reads the boot script started and nobody took are not used any more. */
export function forgetEarlyReads() {
  if (window.plazaBoot) window.plazaBoot.early = {};
}

/** A list endpoint: { items, total, unread }. A 204 is an empty list. */
async function list(path, query, options = {}) {
  const result = await request('GET', path, { query, ...options });
  return {
    items: Array.isArray(result.data) ? result.data : [],
    total: result.total ?? 0,
    unread: result.unread,
  };
}

const data = async (promise) => (await promise).data;
const id = (value) => encodeURIComponent(String(value));

/** The longest `Retry-After` a login waits out by itself (many people behind one address); longer ones
 * (too many failed attempts) are the reader's to know about. */
const LOGIN_WAIT_LIMIT = 10;

async function loginWaitingOutShortLimits(username, password, remember, onWait) {
  const form = { username, password, remember_me: remember ? 'true' : 'false' };
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await data(request('POST', '/token', { form, auth: false }));
    } catch (error) {
      const seconds = error?.code === 'rate_limited' ? error.retryAfter : null;
      if (seconds === null || seconds > LOGIN_WAIT_LIMIT || attempt >= 5) throw error;
      onWait?.(seconds);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    }
  }
}

export const auth = {
  /** POST /token (form): { access_token, token_type, expires_in, refresh_token, refresh_expires_in,
   * session_id }. Sent without any old token. */
  login: (username, password, { onWait, remember = false } = {}) => loginWaitingOutShortLimits(username, password, remember, onWait),
  /** POST /token/refresh: the same shape as login; the refresh token sent is spent. */
  refresh: (refreshToken) => data(request('POST', '/token/refresh', { json: { refresh_token: refreshToken }, auth: false })),
  /** POST /logout: ends the session of `token` (already let go of here, so a refusal changes nothing). */
  logout: (token) => request('POST', '/logout', { token }),
  /** GET /users/me/sessions: the caller's sessions, the current one marked. */
  sessions: (options) => data(request('GET', '/users/me/sessions', options)),
  /** DELETE /users/me/sessions/{id}: signs that device out. */
  endSession: (sessionId) => request('DELETE', `/users/me/sessions/${id(sessionId)}`),
  /** POST /password-reset: asks for a mail with a link to choose a new password. Answered 202 alike
   * whether or not an account has the address. Sent without any token. */
  requestPasswordReset: (email) => data(request('POST', '/password-reset', { json: { email }, auth: false })),
  /** POST /password-reset/confirm: the mailed link's token and the new password (400 invalid_token for a
   * link used already, expired or unknown). Every session of the account ends. Sent without any token. */
  resetPassword: (token, password) => data(request('POST', '/password-reset/confirm', { json: { token, password }, auth: false })),
  /** POST /email-verification/confirm: the token of a mailed link that confirms an e-mail address (400
   * invalid_token for one used already, past its 24 hours, or for an address the account no longer has).
   * Sent without any token: the link works in any browser. */
  confirmEmail: (token) => data(request('POST', '/email-verification/confirm', { json: { token }, auth: false })),
};

export const users = {
  register: (body) => data(request('POST', '/users/', { json: body, auth: false })),
  me: (options) => data(request('GET', '/users/me', options)),
  get: (userId, options) => data(request('GET', `/users/${id(userId)}`, options)),
  list: ({ skip, limit, role } = {}, options) => list('/users/', { skip, limit, role }, options),
  /** PUT /users/{id}/role: an admin gives a role (`member`, `moderator`, `admin`), with an optional reason for the log. */
  setRole: (userId, role, reason) => data(request('PUT', `/users/${id(userId)}/role`, { json: { role, reason: reason || null } })),
  /** Public profiles of up to 100 users at once (unknown ids are left out). */
  byIds: (ids, options) => list('/users/', { ids: ids.join(',') }, options),
  /** PUT /users/{id}: replaces username, email and full_name (and the password when given);
   * `email_notifications` ("off", "each", "daily") and `time_zone` (an IANA name) are kept when left out. */
  update: (userId, body) => data(request('PUT', `/users/${id(userId)}`, { json: body })),
  /** POST /users/me/email-verification: mails the caller's address a new link to confirm it (202; 409
   * already_verified; 429 rate_limited with Retry-After, after 3 links in an hour). */
  sendVerification: () => data(request('POST', '/users/me/email-verification')),
  uploadAvatar: (userId, file) => {
    const form = new FormData();
    form.append('file', file, file.name || 'avatar');
    return data(request('PUT', `/users/${id(userId)}/avatar`, { multipart: form }));
  },
  removeAvatar: (userId) => data(request('DELETE', `/users/${id(userId)}/avatar`)),
  /** DELETE /users/me: deletes the caller's account for good; the password again proves it is them. */
  deleteAccount: (password) => data(request('DELETE', '/users/me', { json: { password } })),
  /** GET /users/me/export: everything kept about the caller, as a JSON Blob to save. */
  exportData: (options) => data(request('GET', '/users/me/export', { ...options, as: 'blob' })),
  /** A new private calendar address ({secret, url}); the one made before stops working. */
  newCalendarSecret: () => data(request('POST', '/users/me/calendar-secret')),
  /** Whether a private calendar address works ({active, created_at}: when it was made). */
  calendarSecret: (options) => data(request('GET', '/users/me/calendar-secret', options)),
  /** Turns the private calendar off: its address stops working. */
  turnOffCalendar: () => data(request('DELETE', '/users/me/calendar-secret')),
  /** POST /users/{id}/ban: a moderator bans someone, for good (`until` null) or until a time. */
  ban: (userId, reason, until) => data(request('POST', `/users/${id(userId)}/ban`, { json: { reason, until: until || null } })),
  liftBan: (userId) => data(request('DELETE', `/users/${id(userId)}/ban`)),
};

export const modlog = {
  /** GET /modlog: the public moderation log, newest first. */
  list: ({ skip, limit } = {}, options) => list('/modlog', { skip, limit }, options),
};

export const reports = {
  /** POST /reports: tells the moderators that `target` ({kind, id}) breaks the rules. */
  create: (target, reason, note) => data(request('POST', '/reports', { json: { target, reason, note: note || null } })),
  /** GET /reports: the moderators' queue, oldest first, with each reported item as it is now. */
  list: ({ status, skip, limit } = {}, options) => list('/reports', { status, skip, limit }, options),
  /** POST /reports/{id}/resolve: dismiss, remove, or remove and ban. */
  resolve: (reportId, action, note) => data(request('POST', `/reports/${id(reportId)}/resolve`, { json: { action, note: note || null } })),
};

export const events = {
  list: ({ skip, limit, search, when } = {}, options) => list('/events/', { skip, limit, search, when }, options),
  byOwner: (userId, { skip, limit, when } = {}, options) => list(`/users/${id(userId)}/events`, { skip, limit, when }, options),
  get: (eventId, options) => data(request('GET', `/events/${id(eventId)}`, options)),
  /** GET /events/{id}/overview: the event, a page of its comments and the people they name, at once. */
  overview: (eventId, { skip, limit } = {}, options) =>
    data(request('GET', `/events/${id(eventId)}/overview`, { query: { skip, limit }, ...options })),
  create: (body) => data(request('POST', '/events/', { json: body })),
  update: (eventId, patch) => data(request('PATCH', `/events/${id(eventId)}`, { json: patch })),
  remove: (eventId) => request('DELETE', `/events/${id(eventId)}`),
  buy: (eventId, quantity) => data(request('POST', `/events/${id(eventId)}/tickets`, { json: { quantity } })),
  /** GET /events/{id}/attendees: the owner's page of the event's tickets with their holders, in sale order. */
  attendees: (eventId, { skip, limit } = {}, options) => list(`/events/${id(eventId)}/attendees`, { skip, limit }, options),
  /** The whole attendee list as a CSV Blob (`Accept: text/csv`): fetched with the token, which a plain
   * link cannot send, and saved from a blob: URL. */
  attendeesCsv: (eventId, options) => data(request('GET', `/events/${id(eventId)}/attendees`, { ...options, accept: 'text/csv', as: 'blob' })),
  /** A scan at the door: `nonce` is the same for every retry of one scan. */
  checkIn: (eventId, code, nonce) => data(request('POST', `/events/${id(eventId)}/check-ins`, { json: { code, nonce } })),
  /** PUT /events/{id}/image: the picture (re-encoded by the server) and what it shows. */
  setImage: (eventId, file, alt) => {
    const form = new FormData();
    form.append('alt', alt);
    form.append('file', file, file.name || 'picture');
    return data(request('PUT', `/events/${id(eventId)}/image`, { multipart: form }));
  },
};

export const posts = {
  list: ({ skip, limit, ownerId } = {}, options) => list('/posts/', { skip, limit, owner_id: ownerId }, options),
  get: (postId, options) => data(request('GET', `/posts/${id(postId)}`, options)),
  create: (body) => data(request('POST', '/posts/', { json: body })),
  update: (postId, changes) => data(request('PATCH', `/posts/${id(postId)}`, { json: changes })),
  remove: (postId) => request('DELETE', `/posts/${id(postId)}`),
};

export const tickets = {
  /** GET /users/me/tickets: the caller's tickets, newest first; `status` keeps one kind. */
  mine: ({ skip, limit, status } = {}, options) => list('/users/me/tickets', { skip, limit, status }, options),
  get: (ticketId, options) => data(request('GET', `/tickets/${id(ticketId)}`, options)),
  cancel: (ticketId) => data(request('POST', `/tickets/${id(ticketId)}/cancel`)),
  /** The ticket's QR code, an SVG Blob: an <img> cannot send the token, so it is fetched and shown from a blob: URL. */
  qrCode: (ticketId, options) => data(request('GET', `/tickets/${id(ticketId)}/qr.svg`, { ...options, as: 'blob' })),
};

export const waitlist = {
  /** POST /events/{id}/waitlist: a place in line for `quantity` tickets of a sold-out event (the
   * WaitlistEntry, with its `position`, 1 for the first in line). */
  join: (eventId, quantity) => data(request('POST', `/events/${id(eventId)}/waitlist`, { json: { quantity } })),
  /** GET /events/{id}/waitlist: the caller's WaitlistEntry for the event, or null when they are not waiting (404). */
  get: async (eventId, options) => {
    try {
      return await data(request('GET', `/events/${id(eventId)}/waitlist`, options));
    } catch (error) {
      if (error?.name === 'ApiError' && error.status === 404) return null;
      throw error;
    }
  },
  /** DELETE /events/{id}/waitlist: gives the place in line up (404 when there is none any more). */
  leave: (eventId) => request('DELETE', `/events/${id(eventId)}/waitlist`),
  /** GET /users/me/waitlist: the caller's places in line, oldest first. */
  mine: ({ skip, limit } = {}, options) => list('/users/me/waitlist', { skip, limit }, options),
};

export const comments = {
  list: (eventId, { skip, limit } = {}, options) => list(`/comments/${id(eventId)}`, { skip, limit }, options),
  create: (eventId, content) => data(request('POST', `/comments/${id(eventId)}`, { json: { content } })),
  update: (eventId, commentId, content) => data(request('PATCH', `/events/${id(eventId)}/comments/${id(commentId)}`, { json: { content } })),
  remove: (eventId, commentId) => request('DELETE', `/events/${id(eventId)}/comments/${id(commentId)}`),
};

export const notifications = {
  list: ({ skip, limit, unreadOnly } = {}, options) =>
    list('/notifications/', { skip, limit, unread_only: unreadOnly ? 'true' : undefined }, options),
  send: (body) => data(request('POST', '/notifications/', { json: body })),
  markRead: (notificationId) => data(request('POST', `/notifications/${id(notificationId)}/read`)),
  /** Marks read only what has ids up to `upToId` — what the user has actually been shown. */
  markAllRead: (upToId) => data(request('POST', '/notifications/read-all', { json: { up_to_id: upToId } })),
  /** A single-use ticket (valid 60 s) that opens one live stream, since an EventSource cannot send the token. */
  streamTicket: () => data(request('POST', '/notifications/stream/ticket')),
  /** POST /unsubscribe?token=: turns notification mail off for the account of a mail's footer link (400
   * invalid_token). Sent without any token: the link works signed out. */
  unsubscribe: (token) => data(request('POST', '/unsubscribe', { query: { token }, auth: false })),
};
