// Names and avatars of users by id, fetched many at a time with GET /users/?ids= and kept for the
// session, so lists of comments or notifications cost one request for all their authors.

import * as api from './api.js';

const known = new Map(); // id -> User, or null when the server does not know the id

/** Remembers a user we already have (e.g. after editing one's own profile). */
export function remember(user) {
  if (user && typeof user.id === 'number') known.set(user.id, user);
}

export const cachedUser = (id) => known.get(Number(id)) ?? null;

/** Makes sure the users with these ids are known; resolves to a Map id -> User|null. */
export async function loadUsers(ids, { signal } = {}) {
  const wanted = [...new Set(ids.map(Number).filter((id) => Number.isInteger(id) && id > 0))];
  const missing = wanted.filter((id) => !known.has(id));
  for (let start = 0; start < missing.length; start += 100) {
    const chunk = missing.slice(start, start + 100);
    const { items } = await api.users.byIds(chunk, { signal });
    for (const user of items) known.set(user.id, user);
    for (const id of chunk) if (!known.has(id)) known.set(id, null);
  }
  return new Map(wanted.map((id) => [id, known.get(id) ?? null]));
}
