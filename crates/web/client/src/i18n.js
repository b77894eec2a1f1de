// Translations and locale-aware formatting.
//
// The languages are the modules in src/i18n/ (the server lists them in <meta name="plaza-locales">), so
// adding a language is adding one file. The page's boot script (boot.js) makes the first choice — the
// user's (saved in localStorage) or else the best for navigator.languages — and preloads its messages;
// English fills any key a language lacks.
//
// A message is a string with {placeholders}, or an object of plural forms ({ one, other }) chosen with
// Intl.PluralRules by the `count` parameter. Numbers in parameters are formatted for the locale.

import { assetUrl } from './assets.js';
import { store } from './store.js';

const FALLBACK = 'en';
const CHOICE_KEY = 'plaza.locale';
const TAG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

let locale = FALLBACK;
let messages = {};
let fallbackMessages = {};
const catalogs = new Map();

/** The languages the server ships, from the page's meta tag. */
export function availableLocales() {
  const meta = document.querySelector('meta[name="plaza-locales"]');
  const tags = (meta?.getAttribute('content') ?? '')
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => TAG.test(tag));
  return tags.length > 0 ? tags : [FALLBACK];
}

async function catalog(tag) {
  if (!catalogs.has(tag)) {
    catalogs.set(
      tag,
      // By its address under the build's version, so that a bundle does not take every language in.
      import(assetUrl(`src/i18n/${tag}.js`)).then(
        (module) => module.default ?? {},
        () => ({}),
      ),
    );
  }
  return catalogs.get(tag);
}

/** Picks and loads the language. Call once before the first render. */
export async function initI18n() {
  const available = availableLocales();
  const booted = window.plazaBoot?.locale;
  const chosen = available.includes(booted) ? booted : available.includes(FALLBACK) ? FALLBACK : available[0];
  // Only the chosen language is loaded: every language defines every key English has (a browser journey
  // checks), so English is fetched only when it is the one chosen.
  if (chosen === FALLBACK) fallbackMessages = await catalog(FALLBACK);
  await useLocale(chosen);
}

async function useLocale(tag) {
  messages = await catalog(tag);
  locale = tag;
  document.documentElement.lang = tag;
  document.documentElement.dir = messages['meta.dir'] === 'rtl' ? 'rtl' : 'ltr';
  formatters.clear();
  store.set({ locale: tag });
}

/** The user picked a language: load it, remember the choice, and let subscribers redraw. */
export async function setLocale(tag) {
  if (!availableLocales().includes(tag)) return;
  try {
    window.localStorage.setItem(CHOICE_KEY, tag);
  } catch {
    // private mode: the choice lasts for this page only
  }
  await useLocale(tag);
}

export const currentLocale = () => locale;

/** Whether the reader chose the page's language on this device (rather than the browser's being used). */
export function languageChosenHere() {
  try {
    return window.localStorage.getItem(CHOICE_KEY) !== null;
  } catch {
    return false;
  }
}

/** Each language's own name ("English", "简体中文"), for the language switcher: the server writes them into
 * the page, so that naming a language does not load its messages. */
export async function localeNames() {
  const tags = availableLocales();
  const given = (document.querySelector('meta[name="plaza-locale-names"]')?.content ?? '').split(',');
  const names = tags.map((tag, index) => given[index]?.trim() || tag);
  return tags.map((tag, index) => ({ tag, name: names[index] }));
}

function template(key, params) {
  let message = messages[key] ?? fallbackMessages[key];
  if (message === undefined) return null;
  if (typeof message === 'object' && message !== null) {
    const form = pluralRules().select(Number(params.count ?? 0));
    message = message[form] ?? message.other ?? '';
  }
  return String(message);
}

const formatValue = (value) => (typeof value === 'number' ? formatNumber(value) : String(value));

/** The message `key` with its {placeholders} filled in; the key itself if no language has it. */
export function t(key, params = {}) {
  const message = template(key, params);
  if (message === null) return key;
  return message.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? formatValue(params[name]) : whole));
}

/**
 * Like t, but parameters may be DOM nodes (a link, a <time>): returns a list of strings and nodes for
 * h()/append, so word order stays the translation's while the nodes stay nodes (never HTML).
 */
export function tNodes(key, params = {}) {
  const message = template(key, params) ?? key;
  return message.split(/\{(\w+)\}/).map((part, index) => {
    if (index % 2 === 0) return part;
    if (!(part in params)) return `{${part}}`;
    const value = params[part];
    return value instanceof Node ? value : formatValue(value);
  });
}

/** True when the current language (or English) has `key`. */
export const has = (key) => key in messages || key in fallbackMessages;

const formatters = new Map();
function cached(kind, options, make) {
  const key = `${kind}|${JSON.stringify(options)}`;
  if (!formatters.has(key)) formatters.set(key, make());
  return formatters.get(key);
}

const pluralRules = () => cached('plural', {}, () => new Intl.PluralRules(locale));

export function formatNumber(value, options = {}) {
  return cached('number', options, () => new Intl.NumberFormat(locale, options)).format(value);
}

/** A date-time from the API (RFC 3339) in the reader's time zone. */
export function formatDateTime(iso, options = { dateStyle: 'medium', timeStyle: 'short' }) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return cached('date', options, () => new Intl.DateTimeFormat(locale, options)).format(date);
}

/** "in 3 days", "5 minutes ago". */
export function formatRelative(iso, now = Date.now()) {
  const date = new Date(iso);
  const seconds = Math.round((date.getTime() - now) / 1000);
  const units = [
    ['year', 31536000], ['month', 2592000], ['week', 604800], ['day', 86400], ['hour', 3600], ['minute', 60],
  ];
  const format = cached('relative', {}, () => new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }));
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return format.format(0, 'second');
}

/** A length of time in seconds, in words: "4 minutes", "45 seconds". */
export function formatSeconds(total) {
  const seconds = Math.max(0, Math.ceil(total));
  const unit = seconds >= 3600 ? 'hour' : seconds >= 60 ? 'minute' : 'second';
  const size = { hour: 3600, minute: 60, second: 1 }[unit];
  return formatNumber(Math.ceil(seconds / size), { style: 'unit', unit, unitDisplay: 'long' });
}

/** The reader's time zone, for form hints. */
export const timeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;
