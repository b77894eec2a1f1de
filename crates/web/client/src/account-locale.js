// The reader's language on their account (`locale`), so that what Plaza writes to them outside this page
// (mails) is in it too. The page's own language stays the reader's choice on this device.

import * as api from './api.js';
import { currentLocale } from './i18n.js';
import { store } from './store.js';

/** The languages an account may have (the API's `locale`). */
const ACCOUNT_LOCALES = ['en', 'zh-CN'];

/** The page's language as an account's `locale`, or null when the account cannot have it. */
export function accountLocale() {
  const tag = currentLocale();
  return ACCOUNT_LOCALES.includes(tag) ? tag : null;
}

/** After the reader chose a language: keeps it on their account, when signed in (quietly: the page has
 * switched already, and the next choice tries again). */
export async function saveAccountLocale() {
  const { user, token } = store.get();
  const locale = accountLocale();
  if (!token || !user?.email || !locale || user.locale === locale) return;
  try {
    const updated = await api.users.update(user.id, { username: user.username, email: user.email, full_name: user.full_name ?? null, locale });
    store.set({ user: updated });
  } catch {
    // Not saved: the account keeps its language until the next choice.
  }
}
