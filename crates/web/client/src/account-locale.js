// The reader's language on their account (`locale`), so that what Plaza writes to them outside this page
// (mails) is in it too. The page's own language stays the reader's choice on this device.

import * as api from './api.js';
import { availableLocales, currentLocale, languageChosenHere, setLocale } from './i18n.js';
import { store } from './store.js';

/** The languages an account may have (the API's `locale`). */
const ACCOUNT_LOCALES = ['en', 'zh-CN'];

/** The page's language as an account's `locale`, or null when the account cannot have it. */
export function accountLocale() {
  const tag = currentLocale();
  return ACCOUNT_LOCALES.includes(tag) ? tag : null;
}

/** At sign-in: an account that keeps a language other than the default brings it to a device where the
 * reader has not chosen one (a Chinese reader signing in on an English browser reads Chinese); otherwise
 * the page's language goes to the account. */
export async function settleLocale(user) {
  const kept = user?.locale;
  if (kept && kept !== 'en' && kept !== currentLocale() && !languageChosenHere() && availableLocales().includes(kept)) {
    await setLocale(kept);
    return;
  }
  await saveAccountLocale();
}

/** Keeps the page's language on the reader's account, when signed in and it differs (quietly: the page
 * has switched already, and the next choice or sign-in tries again). */
export async function saveAccountLocale() {
  const { user, token } = store.get();
  const locale = accountLocale();
  if (!token || !user || !locale || user.locale === locale) return;
  try {
    // PUT replaces the whole profile: start from the account as it is now, not as this page last saw it,
    // so a name or address changed elsewhere meanwhile is not undone.
    const current = await api.users.me();
    if (current.locale === locale) {
      store.set({ user: current });
      return;
    }
    const updated = await api.users.update(current.id, { username: current.username, email: current.email, full_name: current.full_name ?? null, locale });
    store.set({ user: updated });
  } catch {
    // Not saved: the account keeps its language until the next choice or sign-in.
  }
}
