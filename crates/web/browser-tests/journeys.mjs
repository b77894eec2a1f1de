#!/usr/bin/env node
// Browser journeys through Plaza's web client, as a user would take them: elements are found by role and
// label, each journey registers its own users (so journeys can share one server), and any console error,
// console warning or page error fails the journey.
//
//   node journeys.mjs --base-url http://127.0.0.1:8001 [--screenshots DIR] [--only NAME-PART] [--failure-screenshots DIR] [--mail-dir DIR]
//
// --screenshots saves events.png, event.png, notifications.png and phone.png; --only runs the journeys whose
// name contains the text; --failure-screenshots saves what every page of a failed journey showed;
// --plaza-bin and --database-url name the server's binary and database, for the journey that makes an admin
// with `plaza admin set-role` as an operator would (without them that journey fails and says so);
// --mail-dir names the folder where an SMTP server Plaza sends its mail to writes each mail it accepts as
// NNNNNN.json (crates/server/tests/common/smtp_sink.py), for the journeys that follow a mailed link (without
// it they are skipped, and say so).
//
// Prints `ok - <name>`, `FAIL - <name>: <reason>` or `skip - <name>: <reason>` per journey, then
// `journeys: N passed, M failed` (`, K skipped` when some were).
// Exit status: 0 all passed, 1 a journey failed or Chromium could not start, 2 playwright-core missing.

import { execFileSync } from 'node:child_process';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { deflateSync } from 'node:zlib';

// ---------------------------------------------------------------- arguments

function parseArgs(argv) {
  const options = { baseUrl: null, screenshots: null, only: null, failures: null, plazaBin: null, databaseUrl: null, mailDir: null };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => {
      const next = argv[i + 1];
      if (next === undefined) usage(`${arg} needs a value`);
      i += 1;
      return next;
    };
    if (arg === '--base-url') options.baseUrl = value();
    else if (arg.startsWith('--base-url=')) options.baseUrl = arg.slice('--base-url='.length);
    else if (arg === '--screenshots') options.screenshots = value();
    else if (arg.startsWith('--screenshots=')) options.screenshots = arg.slice('--screenshots='.length);
    else if (arg === '--only') options.only = value();
    else if (arg === '--failure-screenshots') options.failures = value();
    else if (arg === '--plaza-bin') options.plazaBin = value();
    else if (arg === '--database-url') options.databaseUrl = value();
    else if (arg === '--mail-dir') options.mailDir = value();
    else if (arg.startsWith('--mail-dir=')) options.mailDir = arg.slice('--mail-dir='.length);
    else if (arg === '--help' || arg === '-h') usage(null, 0);
    else usage(`unknown argument ${arg}`);
  }
  if (!options.baseUrl) usage('--base-url is required');
  options.baseUrl = options.baseUrl.replace(/\/+$/, '');
  return options;
}

function usage(problem, code = 1) {
  if (problem) console.error(problem);
  console.error('usage: node journeys.mjs --base-url http://127.0.0.1:PORT [--screenshots DIR] [--only NAME-PART] [--failure-screenshots DIR] [--plaza-bin PATH --database-url URL] [--mail-dir DIR]');
  process.exit(code);
}

const options = parseArgs(process.argv.slice(2));
const BASE = options.baseUrl;

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  console.log('SKIP: playwright-core is not installed (run `npm install` in crates/web/browser-tests)');
  process.exit(2);
}

const CHROMIUM = process.env.CHROMIUM_PATH || process.env.PLAZA_CHROMIUM || '/usr/bin/chromium';
const LAUNCH = {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  timeout: 60_000,
};

const STEP_TIMEOUT = 15_000; // one element or one condition
const JOURNEY_TIMEOUT = 150_000; // one whole journey
const POLL_WAIT = 25_000; // the badge polls every 10 s
const LIVE_WAIT = 5_000; // what the live stream brings shows well before a poll could
const MAIL_WAIT = 20_000; // Plaza sends its mail from an outbox, soon after the request

// ---------------------------------------------------------------- helpers

const runId = `${Date.now().toString(36).slice(-5)}${Math.random().toString(36).slice(2, 5)}`;
let userCounter = 0;

/** A fresh user's details (usernames are at most 32 characters of A-Z a-z 0-9 _ . -). */
function newUser(prefix, extra = {}) {
  userCounter += 1;
  const username = `${prefix}_${runId}${userCounter}`.slice(0, 32);
  return { username, email: `${username}@example.org`, password: `pw-${username}-secret`, ...extra };
}

class JourneyError extends Error {}
const fail = (message) => {
  throw new JourneyError(message);
};

/** Calls the API directly (set-up that is not what a journey is about). */
async function api(method, route, { token, json, form } = {}) {
  const headers = {};
  let body;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  }
  const response = await fetch(`${BASE}${route}`, { method, headers, body });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) fail(`set-up ${method} ${route} answered ${response.status}: ${text}`);
  return data;
}

async function registerViaApi(user) {
  const created = await api('POST', '/users/', { json: { username: user.username, email: user.email, password: user.password, full_name: user.full_name ?? null } });
  const { access_token: token } = await api('POST', '/token', { form: { username: user.username, password: user.password } });
  return { ...user, id: created.id, token };
}

/** Gives `event` a picture through the API (a multipart form, as the client sends it). */
async function pictureViaApi(owner, event, alt) {
  const form = new FormData();
  form.append('alt', alt);
  form.append('file', new Blob([gradientPng(640, 360)], { type: 'image/png' }), 'picture.png');
  const response = await fetch(`${BASE}/events/${event.id}/image`, { method: 'PUT', headers: { Authorization: `Bearer ${owner.token}` }, body: form });
  if (!response.ok) fail(`set-up PUT /events/${event.id}/image answered ${response.status}: ${await response.text()}`);
  return response.json();
}

/** An RFC 3339 time `days` from now at 18:30 UTC. */
function daysFromNow(days, hour = 18) {
  const date = new Date(Date.now() + days * 86_400_000);
  date.setUTCHours(hour, 30, 0, 0);
  return date.toISOString();
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A real PNG (a soft diagonal gradient), for avatar and event picture uploads. */
function gradientPng(width = 96, height = width) {
  const size = Math.max(width, height);
  const chunk = (type, data) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    data.copy(out, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y += 1) {
    const row = y * (1 + width * 3);
    for (let x = 0; x < width; x += 1) {
      const t = (x + y) / (2 * size);
      rows[row + 1 + x * 3] = Math.round(79 + t * 166);
      rows[row + 2 + x * 3] = Math.round(70 + t * 88);
      rows[row + 3 + x * 3] = Math.round(229 - t * 218);
    }
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

async function createEventViaApi(owner, fields) {
  return api('POST', '/events/', {
    token: owner.token,
    json: { description: '', duration_hours: 2, duration_minutes: 0, max_tickets: 50, event_time: daysFromNow(3000), ...fields },
  });
}

/** Waits until `check()` returns a truthy value (polling), or fails with `message`. */
async function until(check, message, timeout = STEP_TIMEOUT) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  fail(`${message}${last instanceof Error ? ` (${last.message.split('\n')[0]})` : ''}`);
}

/** Waits for a locator to be visible, failing with a readable message. */
async function see(locator, what, timeout = STEP_TIMEOUT) {
  try {
    await locator.first().waitFor({ state: 'visible', timeout });
  } catch {
    fail(`did not see ${what}`);
  }
  return locator.first();
}

/** Waits until a locator matches nothing visible. */
async function gone(locator, what, timeout = STEP_TIMEOUT) {
  try {
    await locator.first().waitFor({ state: 'hidden', timeout });
  } catch {
    fail(`${what} is still shown`);
  }
}

/** The accessible description of an element (the text of what aria-describedby names). */
function accessibleDescription(locator) {
  return locator.evaluate((el) =>
    (el.getAttribute('aria-describedby') ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => document.getElementById(id)?.textContent ?? '')
      .join(' '));
}

const h1 = (page, name) => page.getByRole('heading', { level: 1, name, exact: typeof name === 'string' });

/**
 * A browser context with one page, watched: console errors and warnings, page errors and dialogs are
 * recorded. `expectStatuses` lists HTTP error statuses the journey causes on purpose (the browser logs
 * "Failed to load resource … status of 409" for those; any other one is a failure). `expectOffline` allows the
 * browser's own messages about requests made while the journey has taken the context offline.
 */
async function openSession(browser, journey, { expectStatuses = [], expectOffline = false, ...contextOptions } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'Europe/Berlin', ...contextOptions });
  context.setDefaultTimeout(STEP_TIMEOUT);
  context.setDefaultNavigationTimeout(30_000);
  journey.contexts.push(context);
  const page = await context.newPage();
  const label = `session ${journey.contexts.length}`;
  page.on('console', (message) => {
    const type = message.type();
    if (type !== 'error' && type !== 'warning') return;
    const text = message.text();
    const status = /the server responded with a status of (\d{3})/.exec(text);
    if (status && expectStatuses.includes(Number(status[1]))) return;
    if (expectOffline && /net::ERR_INTERNET_DISCONNECTED/.test(text)) return;
    journey.problems.push(`${label}: console ${type}: ${text}${message.location()?.url ? ` (${message.location().url})` : ''}`);
  });
  page.on('pageerror', (error) => journey.problems.push(`${label}: page error: ${error.message}`));
  page.on('dialog', async (dialog) => {
    journey.dialogs.push(dialog.message());
    await dialog.dismiss().catch(() => {});
  });
  return { context, page };
}

async function registerInUi(page, user) {
  await page.goto(`${BASE}/#/register`);
  await see(h1(page, 'Create your account'), 'the registration page');
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('E-mail').fill(user.email);
  if (user.full_name) await page.getByLabel('Full name').fill(user.full_name);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByLabel('Confirm password').fill(user.password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

async function logInInUi(page, user, { from = '/#/login' } = {}) {
  if (from) await page.goto(`${BASE}${from}`);
  await see(h1(page, 'Log in'), 'the login page');
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await see(page.getByRole('button', { name: 'Log out' }), `the "Log out" button after logging in as ${user.username}`);
  await landed(page);
}

/** The same, on a page in Chinese. */
async function logInInChinese(page, user) {
  await page.goto(`${BASE}/#/login`);
  await see(h1(page, '登录'), 'the Chinese login page');
  await page.getByLabel('用户名').fill(user.username);
  await page.getByLabel('密码').fill(user.password);
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await see(page.getByRole('button', { name: '退出登录' }), 'the Chinese "Log out" button');
}

/** The first mail to `address` whose text `pattern` matches, from the folder --mail-dir names (the test
 * SMTP server writes each mail it accepts there as NNNNNN.json, complete once it appears), waited for.
 * Returns { mail, found } (found: the match). What a mail holds is never printed: it may carry a token. */
async function mailTo(address, pattern, timeout = MAIL_WAIT) {
  const read = new Map();
  const wanted = address.toLowerCase();
  return until(async () => {
    for (const name of (await readdir(options.mailDir)).filter((file) => /^\d+\.json$/.test(file)).sort()) {
      if (!read.has(name)) read.set(name, JSON.parse(await readFile(path.join(options.mailDir, name), 'utf8')));
      const mail = read.get(name);
      if (!(mail.rcpt_tos ?? []).some((to) => String(to).toLowerCase() === wanted)) continue;
      const found = pattern.exec(mail.text ?? '');
      if (found) return { mail, found };
    }
    return null;
  }, `a mail to ${address} with the link, within ${timeout / 1000} s, in ${options.mailDir}`, timeout);
}

/** The link a password reset mail brings: its token, 43 URL-safe base64 characters. */
const RESET_LINK = /\/#\/reset-password\?token=([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/;
/** The link a mail to confirm an e-mail address brings. */
const VERIFY_LINK = /\/#\/verify-email\?token=([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/;

/** Like mailTo, for several mails: the mails to `address` whose text `pattern` matches (and whose subject
 * holds `subject`, when given), oldest first, once there are at least `count` of them: [{ mail, found }]. */
async function mailsTo(address, pattern, { subject = null, count = 1, timeout = MAIL_WAIT } = {}) {
  const read = new Map();
  const wanted = address.toLowerCase();
  return until(async () => {
    const matching = [];
    for (const name of (await readdir(options.mailDir)).filter((file) => /^\d+\.json$/.test(file)).sort()) {
      if (!read.has(name)) read.set(name, JSON.parse(await readFile(path.join(options.mailDir, name), 'utf8')));
      const mail = read.get(name);
      if (!(mail.rcpt_tos ?? []).some((to) => String(to).toLowerCase() === wanted)) continue;
      if (subject !== null && !String(mail.subject ?? '').includes(subject)) continue;
      const found = pattern.exec(mail.text ?? '');
      if (found) matching.push({ mail, found });
    }
    return matching.length >= count ? matching : null;
  }, `${count} mail(s) to ${address}${subject ? ` with "${subject}" in the subject` : ''} with the link, within ${timeout / 1000} s, in ${options.mailDir}`, timeout);
}

/** Waits until the address bar no longer holds `token`, and is the bare `route` (`/#/reset-password`). */
async function tokenLeftAddress(page, token, route) {
  await until(() => !page.url().includes(token), 'the link\'s token to leave the address bar');
  if (!page.url().endsWith(route)) fail(`the address is ${page.url()}, not ${route}`);
}

/** After logging in or registering: waits until the client has moved on to the page it leads to. */
async function landed(page) {
  await gone(h1(page, /^(Log in|Create your account)$/), 'the login or registration page after success');
}

async function screenshot(page, name, { fullPage = true } = {}) {
  if (!options.screenshots) return;
  // Close the toasts, as a user would, so they do not cover the page.
  for (const button of await page.getByRole('button', { name: 'Dismiss' }).all()) await button.click().catch(() => {});
  await page.evaluate(() => {
    document.activeElement?.blur?.();
    // A full-page capture of a scrolled page draws the sticky header where the view was.
    window.scrollTo(0, 0);
  });
  // Pictures below the fold load lazily: the capture shows the whole page, so load them all first.
  await page.evaluate(() => Promise.all([...document.images].map((img) => {
    img.loading = 'eager';
    return img.complete ? null : new Promise((resolve) => { img.onload = resolve; img.onerror = resolve; });
  })));
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(options.screenshots, name), fullPage, animations: 'disabled' });
}

/** Goes to a client route and waits until its page has replaced the previous one and finished loading. */
async function gotoPage(page, route) {
  await page.evaluate(() => { window.journeyPreviousPage = document.querySelector('main')?.firstElementChild ?? null; });
  await page.goto(`${BASE}${route}`);
  await until(() => page.evaluate(() => {
    const current = document.querySelector('main')?.firstElementChild;
    return current && current !== window.journeyPreviousPage && !document.querySelector('main .loading');
  }), `the page ${route} to load`);
}

/** Basics every page must have: one h1, a label for every form control, a name for every button and link. */
/** axe-core's source, evaluated in the page (which the Content-Security-Policy lets a test do, not a
 * script tag). */
const AXE = await readFile(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8').catch(() => null);
if (!AXE) {
  console.log('SKIP: axe-core is not installed (run `npm ci` in crates/web/browser-tests)');
  process.exit(2);
}

/** The page has no WCAG 2.1 A/AA violation axe can find (toasts, which animate in, are left out). */
async function axeClean(page, where) {
  await page.evaluate(`${AXE};0`);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run({ exclude: [['.toasts']] }, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
    return result.violations.map((violation) => `${violation.id} (${violation.nodes.map((node) => node.target.join(' ')).slice(0, 3).join(', ')})`);
  });
  if (violations.length) fail(`${where}: axe finds ${violations.join('; ')}`);
}

async function pageBasics(page, where) {
  await axeClean(page, where);
  const problems = await page.evaluate(() => {
    const found = [];
    const headings = document.querySelectorAll('h1');
    if (headings.length !== 1) found.push(`${headings.length} h1 elements`);
    for (const control of document.querySelectorAll('input, select, textarea')) {
      if (control.type === 'hidden' || control.closest('[hidden]')) continue;
      const labelled = [...(control.labels ?? [])].some((label) => label.textContent.trim() && label.getClientRects().length > 0);
      if (!labelled) found.push(`${control.tagName.toLowerCase()}[name=${control.name}] has no visible label`);
    }
    for (const el of document.querySelectorAll('button, a[href]')) {
      const name = (el.getAttribute('aria-label') ?? el.textContent).trim();
      if (!name) found.push(`${el.tagName.toLowerCase()} without a name`);
    }
    return found;
  });
  if (problems.length) fail(`${where}: ${problems.join('; ')}`);
}

/** The document is no wider than the viewport (no horizontal scrolling). */
async function noHorizontalOverflow(page, width, where) {
  const scrollWidth = await page.evaluate(() => document.scrollingElement.scrollWidth);
  if (scrollWidth > width) {
    const culprits = await page.evaluate((max) =>
      [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > max + 0.5)
        .slice(0, 5)
        .map((el) => `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).split(' ').join('.')}` : ''}`), width);
    fail(`${where}: the page is ${scrollWidth}px wide at ${width}px (${culprits.join(', ')})`);
  }
}

// ---------------------------------------------------------------- journeys

const journeys = [];
/** Registers a journey; `skip` (a reason) when what it needs was not given: it is then listed as skipped. */
const journey = (name, run, { skip = null } = {}) => journeys.push({ name, run, skip });

journey('at phone width (360 px) nothing scrolls sideways', async (j, browser) => {
  const host = await registerViaApi(newUser('host', { full_name: 'Hana Host' }));
  const fan = await registerViaApi(newUser('fan', { full_name: 'Farid Fan' }));
  // A few events, near in time so they lead the list (journeys' other events are years away).
  const showcase = [
    { name: 'Community garden day', description: 'Plant, weed and share lunch in the community garden. Gloves provided.', max_tickets: 40, days: 2, hours: 4, place: { venue: 'Hillside community garden', address: 'Gartenweg 3\n1140 Wien', latitude: 48.2082, longitude: 16.2974 } },
    { name: 'Open mic night', description: 'Five minutes each: music, poetry, comedy. Sign up at the door.', max_tickets: 12, days: 5, hours: 3, place: { venue: 'The Corner Café', online_url: 'https://stream.example.org/open-mic' } },
    { name: 'Intro to sourdough', description: 'Mix, fold, shape and bake. Take home a starter.', max_tickets: 8, days: 8, hours: 2, sold: 8 },
    { name: 'Night photography walk', description: 'Tripods welcome; we meet at the old bridge.', max_tickets: 15, days: 12, hours: 2, sold: 13 },
  ];
  const events = [];
  for (const item of showcase) {
    const created = await createEventViaApi(host, { name: item.name, description: item.description, max_tickets: item.max_tickets, tickets_sold: item.sold ?? 0, duration_hours: item.hours, event_time: daysFromNow(item.days), ...item.place });
    events.push(created);
  }
  await pictureViaApi(host, events[0], 'Raised beds and watering cans in the community garden');
  await api('POST', `/comments/${events[0].id}`, { token: fan.token, json: { content: 'I can bring spare seedlings!' } });
  const post = await api('POST', '/posts/', { token: host.token, json: { title: 'Garden day: what to bring', content: `Gloves, water, a hat. ${'And-a-very-long-unbroken-word-'.repeat(5)}` } });

  const desktop = await openSession(browser, j);
  await desktop.page.goto(`${BASE}/#/events`);
  await see(desktop.page.getByRole('link', { name: 'Community garden day' }), 'the showcase events in the list');
  await screenshot(desktop.page, 'events.png');

  // Paging and search: twelve events share a word; the search and the page survive a reload.
  const word = `Pagertest${runId}`;
  for (let n = 1; n <= 12; n += 1) await createEventViaApi(host, { name: `${word} number ${n}`, event_time: daysFromNow(4000 + n) });
  await desktop.page.getByLabel('Search events').fill(word.toLowerCase());
  await see(desktop.page.getByText(`12 events match “${word.toLowerCase()}”. Showing 1–10 of 12`), 'twelve matches, ten shown');
  await desktop.page.getByRole('navigation', { name: 'Event pages' }).getByRole('link', { name: 'Next' }).click();
  await see(desktop.page.getByText('Showing 11–12 of 12'), 'the second page');
  await see(desktop.page.getByRole('link', { name: `${word} number 12` }), 'the last event on the second page');
  const url = desktop.page.url();
  if (!url.includes('skip=10') || !url.toLowerCase().includes(`search=${word.toLowerCase()}`)) fail(`the URL does not keep the search and page: ${url}`);
  await desktop.page.reload();
  await see(desktop.page.getByText('Showing 11–12 of 12'), 'the second page after a reload');
  if ((await desktop.page.getByLabel('Search events').inputValue()) !== word.toLowerCase()) fail('the search box lost its text on reload');
  await desktop.page.getByRole('link', { name: 'Previous' }).click();
  await see(desktop.page.getByRole('link', { name: `${word} number 1`, exact: true }), 'the first page again');

  // Back returns to where the reader was in the list, not to its top.
  await desktop.page.setViewportSize({ width: 1280, height: 400 });
  const deepLink = desktop.page.getByRole('link', { name: `${word} number 9`, exact: true });
  await deepLink.scrollIntoViewIfNeeded();
  await desktop.page.evaluate(() => window.scrollBy(0, 40));
  await desktop.page.waitForTimeout(200);
  const scrolled = await desktop.page.evaluate(() => window.scrollY);
  if (scrolled < 200) fail(`the list did not scroll (${scrolled})`);
  await deepLink.click();
  await see(h1(desktop.page, `${word} number 9`), 'an event from deep in the list');
  await desktop.page.goBack();
  await see(desktop.page.getByRole('link', { name: `${word} number 9`, exact: true }), 'the list again after Back');
  await until(async () => Math.abs((await desktop.page.evaluate(() => window.scrollY)) - scrolled) < 30, `the scroll position (${scrolled}) restored after Back`);
  await desktop.page.setViewportSize({ width: 1280, height: 900 });

  // Long unbroken words must wrap, not widen the page.
  events.push(await createEventViaApi(host, { name: `Supercalifragilisticexpialidocious-unbreakable-name-${'x'.repeat(60)}`, description: `A long unbroken word: ${'y'.repeat(150)}`, max_tickets: 5, event_time: daysFromNow(14) }));

  const { page } = await openSession(browser, j, { viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true });
  await page.goto(`${BASE}/#/events`);
  await see(page.getByRole('link', { name: 'Community garden day' }), 'the events list at 360 px');
  await noHorizontalOverflow(page, 360, 'events list');
  await pageBasics(page, 'events list');
  await screenshot(page, 'phone.png', { fullPage: false });

  for (const event of [events[0], events[events.length - 1]]) {
    await page.goto(`${BASE}/#/events/${event.id}`);
    await see(h1(page, event.name), `the event page of ${event.name.slice(0, 20)}… at 360 px`);
    await noHorizontalOverflow(page, 360, `event page ${event.id} (logged out)`);
    await pageBasics(page, `event page ${event.id}`);
  }
  for (const route of ['/#/login', '/#/register', '/#/forgot-password', `/#/reset-password?token=${'A'.repeat(43)}`, '/#/users', `/#/posts/${post.id}`]) {
    await gotoPage(page, route);
    await noHorizontalOverflow(page, 360, route);
    await pageBasics(page, route);
  }
  await logInInUi(page, fan);
  for (const route of [`/#/events/${events[0].id}`, '/#/notifications', '/#/settings', '/#/posts', `/#/users/${host.id}`, '/#/events/new', `/#/posts/${post.id}`, '/#/users']) {
    await gotoPage(page, route);
    await noHorizontalOverflow(page, 360, route);
    await pageBasics(page, route);
  }
  await page.goto(`${BASE}/#/events/${events[0].id}`);
  await see(page.getByRole('button', { name: 'Buy tickets' }), 'the buy form at 360 px');
  await noHorizontalOverflow(page, 360, 'event page (logged in)');
});

journey('a comment notifies the organiser, whose badge updates live', async (j, browser) => {
  const organiser = newUser('org', { full_name: 'Olga Organiser' });
  const guest = await registerViaApi(newUser('guest', { full_name: 'Gus Guest' }));
  const eventName = `Rooftop jazz ${runId}`;

  // The organiser registers (which logs in), logs out and logs in again.
  const a = await openSession(browser, j);
  await registerInUi(a.page, organiser);
  await see(a.page.getByRole('button', { name: 'Log out' }), 'the "Log out" button after registering');
  await landed(a.page);
  await a.page.getByRole('button', { name: 'Log out' }).click();
  await see(a.page.getByRole('link', { name: 'Log in' }), 'the "Log in" link after logging out');
  await logInInUi(a.page, organiser);

  // … and creates an event with three tickets.
  await a.page.getByRole('link', { name: 'Events', exact: true }).click();
  await a.page.getByRole('link', { name: 'New event' }).first().click();
  await see(h1(a.page, 'New event'), 'the new-event form');
  await a.page.getByLabel('Name').fill(eventName);
  await a.page.getByLabel('Starts at').fill('2031-06-20T19:30');
  await a.page.getByLabel('Hours').fill('3');
  await a.page.getByLabel('Minutes').fill('15');
  await a.page.getByLabel('Tickets available').fill('3');
  await a.page.getByLabel('Description').fill('Live music on the roof.\nBring a jacket.');
  await a.page.getByLabel('Venue').fill('Skyline Rooftop');
  await a.page.getByLabel('Address').fill('Neubaugasse 7\n1070 Wien');
  await a.page.getByLabel('Latitude').fill('48.2019');
  await a.page.getByLabel('A picture of the event').setInputFiles({ name: 'rooftop.png', mimeType: 'image/png', buffer: gradientPng(640, 360) });
  await a.page.getByRole('button', { name: 'Create event' }).click();
  const longitude = a.page.getByLabel('Longitude');
  await until(async () => (await accessibleDescription(longitude)).includes('Enter both latitude and longitude, or neither.'), 'the longitude field to ask for both coordinates');
  const alt = a.page.getByLabel('What the picture shows');
  if ((await alt.getAttribute('aria-invalid')) !== 'true') fail('a picture without a description was not refused');
  await longitude.fill('16.3494');
  await alt.fill('The rooftop at dusk, string lights over the tables');
  await a.page.getByRole('button', { name: 'Create event' }).click();
  await see(h1(a.page, eventName), 'the new event\'s page');
  await see(a.page.getByRole('img', { name: 'The rooftop at dusk, string lights over the tables' }), 'the event\'s picture, described');
  await see(a.page.getByText('3 of 3 tickets left'), 'the remaining capacity (3 of 3)');
  const eventId = Number(/#\/events\/(\d+)/.exec(a.page.url())?.[1] ?? fail(`no event id in ${a.page.url()}`));
  const stored = await api('GET', `/events/${eventId}`);
  if (stored.duration_hours !== 3 || stored.duration_minutes !== 15 || stored.max_tickets !== 3) fail(`the event was stored as ${JSON.stringify(stored)}`);
  if (stored.event_time !== '2031-06-20T17:30:00Z') fail(`19:30 in Berlin should be 17:30 UTC, the server has ${stored.event_time}`);
  if (!stored.image_url?.startsWith('/images/') || stored.image_alt !== 'The rooftop at dusk, string lights over the tables') fail(`the picture was stored as ${stored.image_url} / ${stored.image_alt}`);
  if (stored.venue !== 'Skyline Rooftop' || stored.address !== 'Neubaugasse 7\n1070 Wien' || stored.latitude !== 48.2019 || stored.longitude !== 16.3494 || stored.online_url !== null) fail(`the place was stored as ${JSON.stringify(stored)}`);
  await a.page.evaluate(() => { window.journeyMarker = 'no reload'; });
  await see(a.page.getByRole('link', { name: 'Notifications', exact: true }), 'the notifications link without unread count');

  // A second person, in another browser context, buys two tickets and comments.
  const b = await openSession(browser, j);
  await logInInUi(b.page, guest);
  await b.page.goto(`${BASE}/#/events/${eventId}`);
  await see(h1(b.page, eventName), 'the event page for the guest');
  await b.page.getByLabel('Number of tickets').fill('2');
  await b.page.getByRole('button', { name: 'Buy tickets' }).click();
  await see(b.page.getByText('1 of 3 tickets left'), 'the capacity after buying two (1 of 3)');
  await see(b.page.getByRole('status').getByText('You bought 2 tickets.'), 'the purchase confirmation');
  await b.page.getByLabel('Your comment').fill('Count me in — see you on the roof!');
  await b.page.getByRole('button', { name: 'Post comment' }).click();
  const comments = b.page.getByRole('list').filter({ hasText: 'see you on the roof' });
  await see(comments.getByText('Count me in — see you on the roof!', { exact: true }), 'the new comment in the list');
  await see(comments.getByRole('link', { name: guest.username }), 'the comment author\'s name');

  // The organiser's badge shows it, without a reload, within the polling interval.
  await see(a.page.getByRole('link', { name: 'Notifications, 1 unread' }), 'the badge "Notifications, 1 unread" on the organiser\'s page', POLL_WAIT);
  if ((await a.page.evaluate(() => window.journeyMarker)) !== 'no reload') fail('the organiser\'s page was reloaded');

  await a.page.getByRole('link', { name: 'Notifications, 1 unread' }).click();
  await see(h1(a.page, 'Notifications'), 'the notifications page');
  const item = a.page.getByRole('listitem').filter({ hasText: `commented on "${eventName}"` });
  await see(item, 'the comment notification');
  await see(item.getByText('Gus Guest', { exact: true }), 'the sender text');
  await see(item.getByRole('link', { name: guest.username }), 'the sending account, linked');
  const accountHref = await item.getByRole('link', { name: guest.username }).getAttribute('href');
  if (accountHref !== `#/users/${guest.id}`) fail(`the account link goes to ${accountHref}`);

  await a.page.getByRole('button', { name: 'Mark all as read' }).click();
  await see(a.page.getByRole('link', { name: 'Notifications', exact: true }), 'the notifications link without unread count after marking all read');
  await gone(a.page.getByRole('link', { name: /unread/ }), 'the unread badge');
  await see(item.getByText('Read', { exact: true }), 'the notification marked read');
  const { access_token: organiserToken } = await api('POST', '/token', { form: { username: organiser.username, password: organiser.password } });
  const unread = await fetch(`${BASE}/notifications/?limit=1`, { headers: { Authorization: `Bearer ${organiserToken}` } });
  if (unread.headers.get('X-Unread-Count') !== '0') fail(`the server still counts ${unread.headers.get('X-Unread-Count')} unread`);

  // The organiser answers; the event page then shows the conversation.
  await item.getByRole('link', { name: 'View event' }).click();
  await see(h1(a.page, eventName), 'the event page from the notification');
  await a.page.getByLabel('Your comment').fill('Great! Doors open at 19:00.');
  await a.page.getByRole('button', { name: 'Post comment' }).click();
  await see(a.page.getByText('Great! Doors open at 19:00.', { exact: true }), 'the organiser\'s reply');
  await screenshot(a.page, 'event.png');

  // More news: a third person comments, and the guest sends a note signed "Admin" from the organiser's profile.
  const third = await registerViaApi(newUser('third', { full_name: 'Tara Third' }));
  await api('POST', `/comments/${eventId}`, { token: third.token, json: { content: 'Is there a lift to the roof?' } });
  await b.page.goto(`${BASE}/#/events/${eventId}`);
  await b.page.getByRole('link', { name: organiser.username }).first().click();
  await see(h1(b.page, organiser.username), 'the organiser\'s profile');
  await b.page.getByText(`Send ${organiser.username} a notification`).click();
  await b.page.getByLabel('Signed as').fill('Admin');
  await b.page.getByLabel('Message').fill('Your event is featured this week!');
  await b.page.getByRole('button', { name: 'Send notification' }).click();
  await see(b.page.getByRole('status').getByText(`Your notification was sent to ${organiser.username}.`), 'the notification sent');

  await a.page.getByRole('link', { name: /^Notifications/ }).click();
  await see(h1(a.page, 'Notifications'), 'the notifications page again');
  const impostor = a.page.getByRole('listitem').filter({ hasText: 'Your event is featured this week!' });
  await see(impostor.getByText('Admin', { exact: true }), 'the sender text "Admin"');
  await see(impostor.getByRole('link', { name: guest.username }), 'the real account behind the sender "Admin"');
  await see(a.page.getByRole('listitem').filter({ hasText: `Tara Third commented on "${eventName}"` }), 'the third person\'s comment notification');
  await see(a.page.getByRole('link', { name: 'Notifications, 2 unread' }), 'the badge with 2 unread');
  await screenshot(a.page, 'notifications.png');

  // Marking one read lowers the count by one.
  await impostor.getByRole('button', { name: 'Mark as read' }).click();
  await see(a.page.getByRole('link', { name: 'Notifications, 1 unread' }), 'the badge with 1 unread after marking one read');
  await gone(impostor.getByRole('button', { name: 'Mark as read' }), 'the "Mark as read" button of the read notification');
});

journey('a comment is edited by its author and taken down by the author or the organiser (English and Chinese)', async (j, browser) => {
  const organiser = await registerViaApi(newUser('host', { full_name: 'Hana Host' }));
  const guest = await registerViaApi(newUser('guest', { full_name: 'Gil Guest' }));
  const spammer = await registerViaApi(newUser('spam'));
  const event = await createEventViaApi(organiser, { name: `Board games ${runId}` });
  const guestComment = await api('POST', `/comments/${event.id}`, { token: guest.token, json: { content: 'I will bring Catan.' } });
  await api('POST', `/comments/${event.id}`, { token: spammer.token, json: { content: 'Cheap watches at example.com' } });

  // The guest edits their own words; someone else's comment offers them only a report.
  const { page } = await openSession(browser, j);
  await logInInUi(page, guest);
  await page.goto(`${BASE}/#/events/${event.id}`);
  await see(h1(page, event.name), 'the event page');
  const own = page.locator(`li.comment[data-comment-id="${guestComment.id}"]`);
  const spam = page.locator('li.comment').filter({ hasText: 'Cheap watches' });
  await see(own.getByRole('button', { name: 'Edit your comment' }), 'Edit on the guest\'s own comment');
  const offered = await spam.getByRole('button').allTextContents();
  if (offered.join('|') !== 'Report') fail(`someone else's comment offers the guest ${JSON.stringify(offered)}, not only Report`);
  await own.getByRole('button', { name: 'Edit your comment' }).click();
  const editor = own.getByRole('textbox', { name: 'Edit your comment' });
  await see(editor, 'the comment in an editor');
  if ((await editor.inputValue()) !== 'I will bring Catan.') fail('the editor does not hold the comment');
  await editor.fill('I will bring Catan and Carcassonne.');
  await own.getByRole('button', { name: 'Save changes' }).click();
  await see(page.getByRole('status').getByText('Your comment was saved.'), 'the edit saved');
  const edited = page.locator('li.comment').filter({ hasText: 'I will bring Catan and Carcassonne.' });
  await see(edited.locator('.edited'), 'the comment marked as edited');
  const stored = await api('GET', `/comments/${event.id}`);
  if (stored[0].content !== 'I will bring Catan and Carcassonne.' || !stored[0].edited_at) fail(`the server has ${JSON.stringify(stored[0])}`);

  // The organiser, reading Chinese, takes the spam down (asked first), but cannot edit the guest's words.
  const zh = await openSession(browser, j, { locale: 'zh-CN' });
  await logInInChinese(zh.page, organiser);
  await zh.page.goto(`${BASE}/#/events/${event.id}`);
  await see(h1(zh.page, event.name), 'the event page in Chinese');
  const guestsComment = zh.page.locator('li.comment').filter({ hasText: 'Carcassonne' });
  await see(guestsComment.getByRole('button', { name: `移除 ${guest.username} 的评论` }), 'the organiser\'s removal on the guest\'s comment');
  if (await guestsComment.getByRole('button', { name: '编辑你的评论' }).count()) fail('the organiser may edit the guest\'s words');
  const spamZh = zh.page.locator('li.comment').filter({ hasText: 'Cheap watches' });
  await spamZh.getByRole('button', { name: `移除 ${spammer.username} 的评论` }).click();
  const asked = zh.page.getByRole('dialog', { name: '移除这条评论？' });
  await see(asked, 'the Chinese confirmation');
  await asked.getByRole('button', { name: '移除', exact: true }).click();
  await see(zh.page.getByRole('status').getByText('已移除，管理日志已记录。'), 'the removal told in Chinese');
  await gone(spamZh, 'the spam on the organiser\'s page');
  await see(zh.page.getByRole('heading', { name: '1 条评论' }), 'the count after the deletion');
  const left = await api('GET', `/comments/${event.id}`);
  if (left.length !== 1 || left[0].owner_id !== guest.id) fail(`the server still lists ${JSON.stringify(left)}`);
  await pageBasics(zh.page, 'the event page with comments in Chinese');

  // The guest deletes their own comment too.
  await page.reload();
  await page.locator('li.comment').filter({ hasText: 'Carcassonne' }).getByRole('button', { name: `Delete the comment by ${guest.username}` }).click();
  await page.getByRole('dialog', { name: 'Delete this comment?' }).getByRole('button', { name: 'Delete comment' }).click();
  await see(page.getByText('No comments yet. Be the first!'), 'no comments left');
});

journey('an admin made on the server makes a moderator; the staff page and the public moderation log show it (English and Chinese)', async (j, browser) => {
  const admin = await registerViaApi(newUser('admin', { full_name: 'Ada Admin' }));
  const helper = await registerViaApi(newUser('helper'));
  makeAdmin(admin);

  // The admin gives the helper the moderator's role on the helper's profile, with a reason.
  const { page } = await openSession(browser, j, { expectStatuses: [409] });
  await logInInUi(page, admin);
  await see(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Moderation' }), 'the Moderation link of an admin');
  await gotoPage(page, `/#/users/${helper.id}`);
  await see(h1(page, helper.username), 'the helper\'s profile, a member\'s (no badge)');
  await page.getByText(`Role of ${helper.username}`).click();
  await page.getByLabel('Role', { exact: true }).selectOption('moderator');
  await page.locator('.role-panel').getByLabel('Reason').fill('Helps at the door');
  await page.getByRole('button', { name: 'Change role' }).click();
  await see(page.getByRole('status').getByText(`${helper.username} is now: Moderator.`), 'the change told');
  await see(page.locator('h1 .role-badge', { hasText: 'Moderator' }), 'the Moderator badge on the profile');
  if ((await api('GET', `/users/${helper.id}`)).role !== 'moderator') fail('the server does not have the helper as a moderator');

  // The last admin cannot step down, and is told why (on a server shared with an earlier run, where
  // another admin exists, stepping down would be allowed: the form is only looked at then).
  await gotoPage(page, `/#/users/${admin.id}`);
  await see(page.locator('h1 .role-badge', { hasText: 'Admin' }), 'the Admin badge on the admin\'s own profile');
  await page.getByText(`Role of ${admin.username}`).click();
  const admins = await fetch(`${BASE}/users/?role=admin`).then((response) => Number(response.headers.get('x-total-count')));
  if (admins === 1) {
    await page.getByLabel('Role', { exact: true }).selectOption('member');
    await page.getByRole('button', { name: 'Change role' }).click();
    await see(page.getByRole('alert').getByText('Plaza needs at least one admin: make someone else an admin first.'), 'the last admin told why not');
  }
  await pageBasics(page, 'an admin\'s own profile with the role form open');

  // The staff page lists them both, with the admin's controls.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Moderation' }).click();
  await see(h1(page, 'Reports'), 'the moderators\' page');
  await page.getByRole('main').getByRole('link', { name: 'Who runs Plaza' }).click();
  await see(h1(page, 'Who runs Plaza'), 'the staff page');
  const listed = page.locator('li.staff-member').filter({ hasText: helper.username });
  await see(listed.locator('.role-badge', { hasText: 'Moderator' }), 'the helper among the moderators');
  await see(listed.getByRole('button', { name: 'Change role' }), 'the admin\'s control beside the helper');
  await pageBasics(page, 'the staff page of an admin');

  // The new moderator, reading Chinese, finds the staff page (without controls) and the log with the reason.
  const zh = await openSession(browser, j, { locale: 'zh-CN' });
  await logInInChinese(zh.page, helper);
  await zh.page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '社区管理' }).click();
  await see(h1(zh.page, '举报'), 'the moderators\' page in Chinese');
  await zh.page.getByRole('main').getByRole('link', { name: '谁在管理 Plaza' }).click();
  await see(h1(zh.page, '谁在管理 Plaza'), 'the staff page in Chinese');
  await see(zh.page.locator('li.staff-member').filter({ hasText: admin.username }).locator('.role-badge', { hasText: '管理员' }), 'the admin listed in Chinese');
  if (await zh.page.getByRole('button', { name: '更改角色' }).count()) fail('a moderator is offered role controls');
  await zh.page.getByRole('contentinfo').getByRole('link', { name: '管理日志' }).click();
  await see(h1(zh.page, '管理日志'), 'the moderation log in Chinese');
  const entry = zh.page.locator('li.modlog-entry').filter({ hasText: `${admin.username} 将 ${helper.username} 的角色改为版主` });
  await see(entry, 'the role change in the Chinese log');
  await see(entry.getByText('理由：Helps at the door'), 'its reason');
  await pageBasics(zh.page, 'the moderation log in Chinese');

  // Anyone may read the log, the server's own change included.
  const guest = await openSession(browser, j);
  await gotoPage(guest.page, '/#/modlog');
  await see(guest.page.locator('li.modlog-entry').filter({ hasText: `${admin.username} changed the role of ${helper.username} to Moderator` }), 'the change in the public log');
  await see(guest.page.locator('li.modlog-entry').filter({ hasText: `The role of ${admin.username} was changed to Admin from the server's command line` }), 'the first admin, made on the server');
  await screenshot(guest.page, 'modlog.png');
});

/** Makes `user` an admin with `plaza admin set-role`, as an operator would on the server. */
function makeAdmin(user) {
  if (!options.plazaBin || !options.databaseUrl) fail('this journey makes an admin with `plaza admin set-role`: run it with --plaza-bin and --database-url');
  const printed = execFileSync(options.plazaBin, ['admin', 'set-role', user.username, 'admin', '--database-url', options.databaseUrl], { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'warn' } });
  if (!printed.includes(`${user.username} is now admin`)) fail(`plaza admin printed ${JSON.stringify(printed)}`);
}

journey('a moderator bans a member, whose open page learns it at once and why (in Chinese); the log shows it; the ban is lifted', async (j, browser) => {
  const admin = await registerViaApi(newUser('boss'));
  makeAdmin(admin);
  const moderator = await registerViaApi(newUser('mod', { full_name: 'Mo Moderator' }));
  await api('PUT', `/users/${moderator.id}/role`, { token: admin.token, json: { role: 'moderator' } });
  const member = await registerViaApi(newUser('loud'));

  // The member reads Plaza in Chinese, signed in.
  const banned = await openSession(browser, j, { locale: 'zh-CN', expectStatuses: [403] });
  await logInInChinese(banned.page, member);
  await gotoPage(banned.page, '/#/posts');

  // The moderator bans them from their profile, for good, with a reason.
  const { page } = await openSession(browser, j);
  await logInInUi(page, moderator);
  await gotoPage(page, `/#/users/${member.id}`);
  await page.getByText(`Ban ${member.username}`).click();
  await page.locator('.ban-panel').getByLabel('Reason').fill('Spam in every comment');
  await page.getByRole('button', { name: 'Ban', exact: true }).click();
  await see(page.getByRole('status').getByText(`${member.username} is banned.`), 'the ban told');
  await see(page.getByText('Banned until a moderator lifts it.'), 'the ban on the profile');
  await pageBasics(page, 'a banned member\'s profile as a moderator sees it');

  // The member's open page learns it at once (the stream ends), and says why — no reload.
  await see(h1(banned.page, '你的账户已被封禁'), 'the banned notice on the member\'s open page', LIVE_WAIT);
  await see(banned.page.getByText('理由：Spam in every comment'), 'the reason, in Chinese');
  await see(banned.page.getByText('此封禁没有结束时间：直到被解除为止。'), 'that it has no end date');
  await see(banned.page.getByRole('link', { name: '登录' }), 'signed out here');
  await pageBasics(banned.page, 'the banned notice in Chinese');
  // Logging in again only says the same.
  await banned.page.goto(`${BASE}/#/login`);
  await banned.page.getByLabel('用户名').fill(member.username);
  await banned.page.getByLabel('密码').fill(member.password);
  await banned.page.getByRole('button', { name: '登录', exact: true }).click();
  await see(h1(banned.page, '你的账户已被封禁'), 'the banned notice after a login');

  // The public log names the ban.
  await gotoPage(page, '/#/modlog');
  await see(page.locator('li.modlog-entry').filter({ hasText: `${moderator.username} banned ${member.username} until the ban is lifted` }), 'the ban in the log');

  // Lifted: the member gets back in.
  await gotoPage(page, `/#/users/${member.id}`);
  await page.getByRole('button', { name: 'Lift the ban' }).click();
  await see(page.getByRole('status').getByText(`The ban on ${member.username} was lifted.`), 'the lifting told');
  await logInInChinese(banned.page, member);
  await gotoPage(page, '/#/modlog');
  await see(page.locator('li.modlog-entry').filter({ hasText: `${moderator.username} lifted the ban on ${member.username}` }), 'the lifting in the log');
});

journey('a member reports a comment; a moderator removes it and bans its author from the queue; the author\'s open page learns it at once; the log shows both', async (j, browser) => {
  const admin = await registerViaApi(newUser('chief'));
  makeAdmin(admin);
  const moderator = await registerViaApi(newUser('warden', { full_name: 'Wanda Warden' }));
  await api('PUT', `/users/${moderator.id}/role`, { token: admin.token, json: { role: 'moderator' } });
  const author = await registerViaApi(newUser('spammy'));
  const reader = await registerViaApi(newUser('reader', { full_name: 'Rita Reader' }));
  const event = await createEventViaApi(admin, { name: `Repair café ${runId}`, event_time: daysFromNow(3050) });
  const spam = `Cheap watches at spam.example ${runId}`;
  await api('POST', `/comments/${event.id}`, { token: author.token, json: { content: spam } });

  // The author keeps the event open, in Chinese.
  const authorSession = await openSession(browser, j, { locale: 'zh-CN', expectStatuses: [403] });
  await logInInChinese(authorSession.page, author);
  await gotoPage(authorSession.page, `/#/events/${event.id}`);
  await see(authorSession.page.getByText(spam), 'their comment on their open page');

  // A member reports the comment.
  const readerSession = await openSession(browser, j, { expectStatuses: [409] });
  await logInInUi(readerSession.page, reader);
  await gotoPage(readerSession.page, `/#/events/${event.id}`);
  const comment = readerSession.page.locator('li.comment').filter({ hasText: spam });
  await comment.getByRole('button', { name: `Report the comment by ${author.username}` }).click();
  const dialog = readerSession.page.getByRole('dialog', { name: `Report the comment by ${author.username}` });
  await see(dialog, 'the report dialog');
  await dialog.getByLabel('What is wrong?').selectOption('spam');
  await dialog.getByLabel('Anything the moderators should know').fill('Same link in every event');
  await pageBasics(readerSession.page, 'the report dialog');
  await dialog.getByRole('button', { name: 'Send report' }).click();
  await see(readerSession.page.getByRole('status').getByText('Thank you: the moderators will look at it.'), 'the report told');
  // A second report of the same comment is refused, kindly.
  await comment.getByRole('button', { name: `Report the comment by ${author.username}` }).click();
  await dialog.getByRole('button', { name: 'Send report' }).click();
  await see(dialog.getByText('You have reported this already; the moderators will look at it.'), 'the second report refused');
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  // The moderator's queue shows the words in context; one click removes them and bans the author.
  const { page } = await openSession(browser, j);
  await logInInUi(page, moderator);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Moderation' }).click();
  await see(h1(page, 'Reports'), 'the reports queue');
  const card = page.locator('li.report-card').filter({ hasText: spam });
  await see(card.getByText('Reporter’s note: Same link in every event'), 'the reporter\'s note');
  await see(card.getByRole('link', { name: 'Read it in context' }), 'the link to the comment in context');
  await pageBasics(page, 'the reports queue');
  await screenshot(page, 'reports.png');
  await card.getByRole('button', { name: 'Remove and ban the author' }).click();
  await see(page.getByRole('status').getByText('Removed and banned; the report is resolved.'), 'the resolution told');
  await see(page.getByText('No open reports. All is well.'), 'the queue emptied');

  // The author's open page learns it at once, in Chinese, with the reason.
  await see(h1(authorSession.page, '你的账户已被封禁'), 'the banned notice on the author\'s open page', LIVE_WAIT);
  await see(authorSession.page.getByText('理由：reported as spam'), 'the reason');

  // The comment is gone for readers; the log shows the removal and the ban.
  await gotoPage(readerSession.page, '/#/events');
  await gotoPage(readerSession.page, `/#/events/${event.id}`);
  await see(h1(readerSession.page, event.name), 'the event page again');
  await gone(readerSession.page.getByText(spam), 'the removed comment');
  await gotoPage(page, '/#/modlog');
  await see(page.locator('li.modlog-entry').filter({ hasText: `${moderator.username} banned ${author.username} until the ban is lifted` }), 'the ban in the log');
  await see(page.locator('li.modlog-entry[data-action="remove"]').filter({ hasText: `${moderator.username} removed comment #` }), 'the removal in the log');
  await gone(page.getByText(spam), 'the removed words in the public log');
  await gotoPage(page, '/#/reports?status=resolved');
  await see(page.locator('li.report-card').filter({ hasText: spam }).getByText(/Removed, and the author banned, by/), 'the resolved report');
});

journey('a member downloads everything Plaza keeps about them, and nobody else\'s', async (j, browser) => {
  const member = await registerViaApi(newUser('keeper', { full_name: 'Kim Keeper' }));
  const other = await registerViaApi(newUser('neighbour'));
  const event = await createEventViaApi(member, { name: `Seed swap ${runId}`, event_time: daysFromNow(3060) });
  await api('POST', `/comments/${event.id}`, { token: member.token, json: { content: `Bring jars ${runId}` } });
  await api('POST', `/comments/${event.id}`, { token: other.token, json: { content: `Not the keeper's ${runId}` } });
  await api('POST', `/events/${event.id}/tickets`, { token: member.token, json: { quantity: 2 } });

  const { page } = await openSession(browser, j);
  await logInInUi(page, member);
  await gotoPage(page, '/#/settings');
  await see(page.getByRole('heading', { name: 'Your data' }), 'the data section of the settings');
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: STEP_TIMEOUT }),
    page.getByRole('button', { name: 'Download my data' }).click(),
  ]);
  if (download.suggestedFilename() !== `plaza-${member.username}.json`) fail(`the file is named ${download.suggestedFilename()}`);
  const data = JSON.parse(await readFile(await download.path(), 'utf8'));
  if (data.user.username !== member.username || data.user.email !== member.email) fail(`the file's user is ${JSON.stringify(data.user)}`);
  if (data.events.length !== 1 || data.events[0].name !== event.name) fail(`the file's events are ${JSON.stringify(data.events)}`);
  if (data.comments.map((c) => c.content).join('|') !== `Bring jars ${runId}`) fail(`the file's comments are ${JSON.stringify(data.comments)}`);
  if (data.tickets.length !== 2) fail(`the file holds ${data.tickets.length} tickets, not 2`);
  if (!data.sessions.some((session) => session.current)) fail('the file does not mark the session that asked');
  if (JSON.stringify(data).includes(member.password)) fail('the file holds the password');
  if (JSON.stringify(data.comments).includes(`Not the keeper's ${runId}`)) fail('the file holds the neighbour\'s comment');
  // The neighbour's comment reached the keeper's inbox: that notification is the keeper's.
  if (!data.notifications.some((n) => n.sender_id === other.id)) fail(`the file's inbox is ${JSON.stringify(data.notifications)}`);
  await pageBasics(page, 'the settings with the data section');
});

/** An iCalendar text with its folded lines joined again (RFC 5545: CRLF and one space continue a line). */
const unfolded = (ics) => ics.replace(/\r\n[ \t]/g, '');

journey('calendars: an event added to a calendar, a search subscribed to, a private address made, copied and replaced (English and Chinese)', async (j, browser) => {
  const member = await registerViaApi(newUser('planner', { full_name: 'Pia Planner' }));
  const host = await registerViaApi(newUser('calhost'));
  const walk = await createEventViaApi(host, { name: `Lantern walk ${runId}`, description: 'Meet at the gate; bring, if you can, a lantern.', event_time: daysFromNow(3080) });
  await api('POST', `/events/${walk.id}/tickets`, { token: member.token, json: { quantity: 1 } });
  const tea = await createEventViaApi(member, { name: `Tea tasting ${runId}`, event_time: daysFromNow(3081) });

  const { page, context } = await openSession(browser, j);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
  await logInInUi(page, member);
  await gotoPage(page, `/#/events/${walk.id}`);
  const add = await see(page.getByRole('link', { name: 'Add to calendar' }), 'the "Add to calendar" link on the event page');
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: STEP_TIMEOUT }), add.click()]);
  if (download.suggestedFilename() !== `event-${walk.id}.ics`) fail(`the calendar file is named ${download.suggestedFilename()}`);
  const file = unfolded(await readFile(await download.path(), 'utf8'));
  if (!file.startsWith('BEGIN:VCALENDAR\r\n')) fail(`the calendar file begins ${JSON.stringify(file.slice(0, 40))}`);
  if (!file.includes(`SUMMARY:Lantern walk ${runId}\r\n`)) fail(`the calendar file lacks the event's name: ${file}`);
  if (!file.includes('DESCRIPTION:Meet at the gate\\; bring\\, if you can\\, a lantern.\r\n')) fail(`the description is not escaped as RFC 5545 says: ${file}`);
  if (!file.includes(`URL:${BASE}/#/events/${walk.id}\r\n`)) fail(`the calendar file does not link to the event's page: ${file}`);

  await gotoPage(page, `/#/events?search=${encodeURIComponent(`Lantern ${runId}`)}`);
  await page.getByText('Subscribe in a calendar', { exact: true }).click();
  const feedBox = await see(page.getByLabel('Calendar address of these upcoming events'), 'the address of the search\'s feed');
  const feedUrl = await feedBox.inputValue();
  if (feedUrl !== `${BASE}/events/calendar.ics?search=${encodeURIComponent(`Lantern ${runId}`)}`) fail(`the feed's address is ${feedUrl}`);
  const webcal = await page.getByRole('link', { name: 'Open in your calendar application' }).getAttribute('href');
  if (webcal !== feedUrl.replace(/^https?:/, 'webcal:')) fail(`the calendar application link is ${webcal}`);
  const searched = unfolded(await (await fetch(feedUrl)).text());
  if (!searched.includes(`SUMMARY:Lantern walk ${runId}`) || searched.includes(`Tea tasting ${runId}`)) fail(`the search's feed holds ${searched}`);
  await pageBasics(page, 'the events list with the feed\'s address open');

  await gotoPage(page, '/#/settings');
  await see(page.getByRole('heading', { name: 'Calendar', exact: true }), 'the calendar section of the settings');
  await page.getByRole('button', { name: 'Make a private calendar address' }).click();
  const address = await see(page.getByLabel('Your private calendar address'), 'the private address, shown once');
  const first = await address.inputValue();
  if (!first.startsWith(`${BASE}/calendar/`) || !first.endsWith('.ics')) fail(`the private address is ${first}`);
  const mine = await fetch(first);
  const feed = unfolded(await mine.text());
  if (mine.status !== 200 || !feed.includes(`SUMMARY:Lantern walk ${runId}`) || !feed.includes(`SUMMARY:Tea tasting ${runId}`)) fail(`the private feed answered ${mine.status}: ${feed}`);
  await page.getByRole('button', { name: 'Copy', exact: true }).click();
  await see(page.getByText('The calendar address is copied.'), 'the toast saying the address is copied');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  if (copied !== first) fail(`the clipboard holds ${copied}`);
  await pageBasics(page, 'the settings with a private calendar address');

  await page.getByRole('button', { name: 'Make a new address' }).click();
  const dialog = page.getByRole('dialog');
  await see(dialog.getByText('The address you made before stops working'), 'the question before replacing the address');
  await dialog.getByRole('button', { name: 'Make a new address' }).click();
  const second = await until(async () => {
    const value = await page.getByLabel('Your private calendar address').inputValue();
    return value !== first && value;
  }, 'a new address replacing the old one');
  if ((await fetch(first)).status !== 404) fail('the replaced address still opens the feed');
  if ((await fetch(second)).status !== 200) fail('the new address does not open the feed');

  // On a later visit (a new load of the page) the address is not shown again; the page says one works,
  // and it can be turned off.
  await page.reload();
  await see(page.getByText('You have a private calendar address, made'), 'the note that an address works');
  if (await page.getByLabel('Your private calendar address').count()) fail('the address is shown again on a later visit');
  await page.getByRole('button', { name: 'Turn off' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Turn off' }).click();
  await see(page.getByRole('button', { name: 'Make a private calendar address' }), 'the offer to make an address once it is off');
  if ((await fetch(second)).status !== 404) fail('the address turned off still opens the feed');

  const zh = await openSession(browser, j, { locale: 'zh-CN' });
  await logInInChinese(zh.page, member);
  await gotoPage(zh.page, `/#/events/${tea.id}`);
  await see(zh.page.getByRole('link', { name: '添加到日历' }), 'the "Add to calendar" link, in Chinese');
  await gotoPage(zh.page, '/#/settings');
  await see(zh.page.getByRole('heading', { name: '日历', exact: true }), 'the calendar section, in Chinese');
  await zh.page.getByRole('button', { name: '生成私密日历地址' }).click();
  const zhAddress = await see(zh.page.getByLabel('你的私密日历地址'), 'the private address, in Chinese');
  const zhUrl = await zhAddress.inputValue();
  if ((await fetch(zhUrl)).status !== 200) fail('the address made in Chinese does not open the feed');
  // Switching language draws the page again: the address, shown only once, stays on it.
  await zh.page.getByLabel('语言').selectOption('en');
  const kept = await see(zh.page.getByLabel('Your private calendar address'), 'the address still shown after switching to English');
  if ((await kept.inputValue()) !== zhUrl) fail(`after switching language the address shown is ${await kept.inputValue()}`);
  await zh.page.getByLabel('Language').selectOption('zh-CN');
  await see(zh.page.getByLabel('你的私密日历地址'), 'the address still shown after switching back to Chinese');
  await pageBasics(zh.page, 'the Chinese settings with a private calendar address');
});

journey('a member deletes their account: signed out, their comment stays by "deleted user" in both languages', async (j, browser) => {
  const leaver = await registerViaApi(newUser('leaver', { full_name: 'Lee Leaver' }));
  const host = await registerViaApi(newUser('stayer'));
  const event = await createEventViaApi(host, { name: `Book swap ${runId}`, event_time: daysFromNow(3070) });
  await api('POST', `/comments/${event.id}`, { token: leaver.token, json: { content: `Bringing poems ${runId}` } });
  const own = await createEventViaApi(leaver, { name: `Poetry slam ${runId}`, event_time: daysFromNow(3071) });

  const { page } = await openSession(browser, j, { expectStatuses: [400] });
  await logInInUi(page, leaver);
  await gotoPage(page, '/#/settings');
  await see(page.getByRole('heading', { name: 'Delete your account' }), 'the account deletion section of the settings');
  await see(page.getByText('This cannot be undone.'), 'the plain warning before deleting');
  const deleteAccount = async (password) => {
    await page.getByLabel('Your password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete my account' }).click();
  };
  await deleteAccount('not-the-password');
  await see(page.getByText('This is not your password.'), 'the wrong password told at its field');
  await deleteAccount(leaver.password);
  await see(page.getByRole('link', { name: 'Log in' }), 'the "Log in" link once the account is deleted');
  const refused = await fetch(`${BASE}/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: leaver.username, password: leaver.password }) });
  if (refused.status !== 401) fail(`logging in as the deleted account answered ${refused.status}`);

  await gotoPage(page, `/#/events/${event.id}`);
  const comment = page.locator('.comment', { hasText: `Bringing poems ${runId}` });
  await see(comment.getByText('deleted user', { exact: true }), 'the comment kept, by "deleted user"');
  // (The page itself: the toast that welcomed them at login may still be announced in its live region.)
  if (await page.locator('main').getByText('Lee Leaver').count()) fail('the deleted account\'s name is still shown on the event page');
  await pageBasics(page, 'an event with a deleted account\'s comment');
  await gotoPage(page, `/#/events/${own.id}`);
  await see(page.getByText('The organiser deleted their account'), 'the warning on an event whose organiser left');

  const zh = await openSession(browser, j, { locale: 'zh-CN' });
  await logInInChinese(zh.page, host);
  await gotoPage(zh.page, `/#/events/${event.id}`);
  const zhComment = zh.page.locator('.comment', { hasText: `Bringing poems ${runId}` });
  await see(zhComment.getByText('已删除的用户', { exact: true }), 'the comment by "deleted user", in Chinese');
});

journey('notifications read in the reader\'s language, which their account keeps', async (j, browser) => {
  const host = await registerViaApi(newUser('zhhost', { full_name: 'Mei Host' }));
  const guest = await registerViaApi(newUser('zhguest', { full_name: 'Gao Guest' }));
  const event = await createEventViaApi(host, { name: `Tea tasting ${runId}`, event_time: daysFromNow(3080) });
  await api('POST', `/comments/${event.id}`, { token: guest.token, json: { content: `See you there ${runId}` } });

  const { page } = await openSession(browser, j);
  await logInInUi(page, host);
  await gotoPage(page, '/#/notifications');
  await see(page.getByText(`Gao Guest commented on "Tea tasting ${runId}"`), 'the comment notification, in English');
  await page.getByLabel('Language').selectOption('zh-CN');
  await see(page.getByText(`Gao Guest 评论了“Tea tasting ${runId}”`), 'the same notification, in Chinese');
  // The choice is kept on the account, for what Plaza writes to them elsewhere.
  await until(async () => (await api('GET', '/users/me', { token: host.token })).locale === 'zh-CN', 'the account\'s locale to become zh-CN');
  await pageBasics(page, 'the notifications in Chinese');

  // On another device whose browser speaks English and where no language was chosen, the account's wins.
  const other = await openSession(browser, j);
  await other.page.goto(`${BASE}/#/login`);
  await see(h1(other.page, 'Log in'), 'the login page of the other device, in English');
  await other.page.getByLabel('Username').fill(host.username);
  await other.page.getByLabel('Password').fill(host.password);
  await other.page.getByRole('button', { name: 'Log in', exact: true }).click();
  await see(other.page.getByRole('button', { name: '退出登录' }), 'the other device in Chinese once signed in');
  await gotoPage(other.page, '/#/notifications');
  await see(other.page.getByText(`Gao Guest 评论了“Tea tasting ${runId}”`), 'the notification in Chinese on the other device');
});

journey('new notifications arrive live over the stream, and polling stands in without it', async (j, browser) => {
  const owner = await registerViaApi(newUser('live', { full_name: 'Lena Live' }));
  const event = await createEventViaApi(owner, { name: `Pub quiz ${runId}`, event_time: daysFromNow(3003) });
  const isStream = (url) => new URL(url).pathname === '/notifications/stream';
  /** Resolves once the page's live stream has been accepted (200, text/event-stream). */
  const streamOpens = (page) => page.waitForResponse((response) => isStream(response.url()) && response.status() === 200, { timeout: STEP_TIMEOUT })
    .catch(() => fail('the live stream did not open'));

  // The owner in two windows: the notifications page, and the events page with its badge.
  const list = await openSession(browser, j);
  const listStream = streamOpens(list.page);
  await logInInUi(list.page, owner);
  await gotoPage(list.page, '/#/notifications');
  await see(list.page.getByText(/^No notifications yet\./), 'the empty notifications page');
  await listStream;
  const other = await openSession(browser, j);
  const otherStream = streamOpens(other.page);
  await logInInUi(other.page, owner);
  await see(h1(other.page, 'Events'), 'the events page');
  await otherStream;
  const lists = [];
  for (const { page } of [list, other]) {
    await page.evaluate(() => { window.journeyMarker = 'no reload'; });
    page.on('request', (request) => {
      if (request.method() === 'GET' && new URL(request.url()).pathname === '/notifications/') lists.push(request.url());
    });
  }

  // Someone comments on the owner's event; then sends a note.
  const pal = await registerViaApi(newUser('pal', { full_name: 'Pablo Pal' }));
  await api('POST', `/comments/${event.id}`, { token: pal.token, json: { content: 'Count me in for the quiz!' } });
  const rows = list.page.getByRole('list', { name: 'Notifications', exact: true }).getByRole('listitem');
  const comment = rows.filter({ hasText: `Pablo Pal commented on "${event.name}"` });
  await see(comment, 'the comment notification, shown live', LIVE_WAIT);
  await see(comment.getByRole('link', { name: pal.username }), 'the sending account, linked');
  await see(list.page.getByRole('link', { name: 'Notifications, 1 unread' }), 'the badge "Notifications, 1 unread" above the list', LIVE_WAIT);
  await see(other.page.getByRole('link', { name: 'Notifications, 1 unread' }), 'the badge "Notifications, 1 unread" in the other window', LIVE_WAIT);
  await see(other.page.locator('[role="status"][aria-live="polite"]').filter({ hasText: 'Notifications, 1 unread' }), 'the new notification announced to screen readers');
  await see(list.page.getByText('Showing 1–1 of 1 · 1 unread'), 'the summary counting the new notification');
  await api('POST', '/notifications/', { token: pal.token, json: { owner_id: owner.id, sender: 'Quiz desk', message: `Table 4 is yours ${runId}` } });
  const note = rows.filter({ hasText: `Table 4 is yours ${runId}` });
  await see(note, 'the note, shown live', LIVE_WAIT);
  await see(other.page.getByRole('link', { name: 'Notifications, 2 unread' }), 'the badge "Notifications, 2 unread" in the other window', LIVE_WAIT);
  await until(async () => (await rows.count()) === 2, 'exactly two notifications in the list');
  if (!(await rows.first().innerText()).includes(`Table 4 is yours ${runId}`)) fail('the newest notification is not at the top');
  await gone(list.page.getByText('New notifications have arrived.'), 'the offer to show new notifications, though they are shown');

  // Reading one here lowers the badge in the other window too.
  await note.getByRole('button', { name: 'Mark as read' }).click();
  await see(other.page.getByRole('link', { name: 'Notifications, 1 unread' }), 'the badge back to 1 unread in the other window', LIVE_WAIT);
  if (lists.length) fail(`the client fetched the list instead of following the stream: ${lists.join(', ')}`);
  for (const { page } of [list, other]) {
    if ((await page.evaluate(() => window.journeyMarker)) !== 'no reload') fail('a page was reloaded');
  }

  // Logging out closes the stream.
  const closed = other.page.waitForEvent('requestfailed', { predicate: (request) => isStream(request.url()), timeout: STEP_TIMEOUT })
    .catch(() => fail('the stream stayed open after logging out'));
  await other.page.getByRole('button', { name: 'Log out' }).click();
  await see(other.page.getByRole('link', { name: 'Log in' }), 'the "Log in" link after logging out');
  await closed;

  // Where no stream can be had (a proxy refusing it, say), the badge still follows by polling.
  const fallback = await openSession(browser, j, { expectStatuses: [503] });
  let refused = 0;
  await fallback.page.route((url) => url.pathname.startsWith('/notifications/stream'), (route) => {
    refused += 1;
    return route.fulfill({ status: 503, contentType: 'application/json', body: '{"detail":"no streams here","code":"unavailable"}' });
  });
  await logInInUi(fallback.page, owner);
  await see(fallback.page.getByRole('link', { name: 'Notifications, 1 unread' }), 'the badge "Notifications, 1 unread" without the stream');
  await until(() => refused > 0, 'the client to ask for a stream');
  await api('POST', `/comments/${event.id}`, { token: pal.token, json: { content: 'And my sister too.' } });
  await see(fallback.page.getByRole('link', { name: 'Notifications, 2 unread' }), 'the badge "Notifications, 2 unread" by polling', POLL_WAIT);
  await see(list.page.getByRole('link', { name: 'Notifications, 2 unread' }), 'the badge "Notifications, 2 unread" in the live window', LIVE_WAIT);
  await until(async () => (await rows.count()) === 3, 'three notifications in the live list');
});

journey('buying past capacity shows sold out and explains a 409', async (j, browser) => {
  const owner = await registerViaApi(newUser('cap'));
  const buyer = newUser('buyer');
  await registerViaApi(buyer);
  const rival = await registerViaApi(newUser('rival'));
  const event = await createEventViaApi(owner, { name: `Tiny concert ${runId}`, max_tickets: 3, event_time: daysFromNow(3001) });

  // 404: once sold out, the page asks whether the buyer is on its waitlist, and they are not.
  const { page } = await openSession(browser, j, { expectStatuses: [404, 409] });
  await logInInUi(page, buyer);
  await page.goto(`${BASE}/#/events/${event.id}`);
  await see(page.getByText('3 of 3 tickets left'), 'three tickets left');

  // Someone else buys two while this page still says three.
  await api('POST', `/events/${event.id}/tickets`, { token: rival.token, json: { quantity: 2 } });
  await page.getByLabel('Number of tickets').fill('2');
  await page.getByRole('button', { name: 'Buy tickets' }).click();
  await see(page.getByRole('alert').filter({ hasText: 'only 1 left now' }), 'the 409 explained ("only 1 left now")');
  await see(page.getByText('1 of 3 tickets left'), 'the refreshed capacity (1 of 3)');

  // More than is left is refused before asking the server.
  const quantity = page.getByLabel('Number of tickets');
  await quantity.fill('5');
  await page.getByRole('button', { name: 'Buy tickets' }).click();
  await until(async () => (await accessibleDescription(quantity)).includes('Only 1 ticket is left.'), 'the quantity field to say "Only 1 ticket is left."');
  if ((await quantity.getAttribute('aria-invalid')) !== 'true') fail('the quantity field is not marked invalid');

  await quantity.fill('1');
  await page.getByRole('button', { name: 'Buy tickets' }).click();
  await see(page.getByText('Sold out', { exact: true }), 'the sold-out state');
  await see(page.getByText('All 3 tickets are sold.'), '"All 3 tickets are sold."');
  await gone(page.getByRole('button', { name: 'Buy tickets' }), 'the "Buy tickets" button');
  await see(page.getByRole('button', { name: 'Join the waitlist' }), 'the waitlist offered instead');

  // The list says so too.
  await page.getByRole('link', { name: 'All events' }).click();
  await page.getByLabel('Search events').fill(`Tiny concert ${runId}`);
  const card = page.getByRole('listitem').filter({ has: page.getByRole('link', { name: event.name }) });
  await see(card.getByText('Sold out', { exact: true }), 'the sold-out tag in the events list');
});

journey('events show where they happen, past ones stop selling, in English and Chinese', async (j, browser) => {
  const host = await registerViaApi(newUser('where'));
  const fan = newUser('goer');
  await registerViaApi(fan);
  const tag = `Whereabouts${runId}`;
  const placed = await createEventViaApi(host, {
    name: `${tag} picnic`, event_time: daysFromNow(3004), max_tickets: 10,
    venue: 'Augarten meadow', address: 'Obere Augartenstraße 1\n1020 Wien', latitude: 48.2249, longitude: 16.3752,
    online_url: 'https://stream.example.org/picnic',
  });
  await pictureViaApi(host, placed, 'Blankets on the grass under chestnut trees');
  const past = await createEventViaApi(host, { name: `${tag} last year`, event_time: daysFromNow(-300), max_tickets: 10 });
  const online = await createEventViaApi(host, { name: `${tag} call`, event_time: daysFromNow(3005), online_url: 'https://meet.example.org/call' });

  const { page } = await openSession(browser, j);
  await logInInUi(page, fan);
  await page.goto(`${BASE}/#/events?search=${tag.toLowerCase()}`);
  const list = page.getByRole('list', { name: 'Events' });
  await see(list.getByRole('link', { name: placed.name }), 'the upcoming event in the default list');
  await see(list.getByText('Augarten meadow'), 'the venue on its card');
  await see(list.getByRole('img', { name: 'Blankets on the grass under chestnut trees' }), 'the picture on its card, described');
  await see(page.getByRole('listitem').filter({ has: page.getByRole('link', { name: online.name }) }).getByText('Online', { exact: true }), '"Online" on the online event\'s card');
  if (await list.getByRole('link', { name: past.name }).count()) fail('a past event is in the upcoming list');

  await page.getByRole('navigation', { name: 'Which events' }).getByRole('link', { name: 'Past' }).click();
  await see(list.getByRole('link', { name: past.name }), 'the past event under "Past"');
  if (!page.url().includes('when=past')) fail(`the URL does not keep the choice: ${page.url()}`);
  await page.reload();
  await see(page.getByRole('list', { name: 'Events' }).getByRole('link', { name: past.name }), 'the past list after a reload');
  const pastLink = page.getByRole('navigation', { name: 'Which events' }).getByRole('link', { name: 'Past' });
  if ((await pastLink.getAttribute('aria-current')) !== 'page') fail('the "Past" tab is not marked current');

  await page.getByRole('link', { name: past.name }).click();
  await see(h1(page, past.name), 'the past event\'s page');
  await see(page.getByText('This event has started; tickets are no longer sold.'), 'why nothing sells');
  await gone(page.getByRole('button', { name: 'Buy tickets' }), 'the buy button of a past event');
  await see(page.getByText('Place to be announced.'), 'the missing place said');
  await pageBasics(page, 'a past event');

  await page.goto(`${BASE}/#/events/${placed.id}`);
  await see(h1(page, placed.name), 'the placed event\'s page');
  await see(page.getByText('Augarten meadow'), 'the venue');
  await see(page.getByText('Obere Augartenstraße 1'), 'the address');
  const maps = await page.getByRole('link', { name: 'Open in maps' }).getAttribute('href');
  if (!maps.startsWith('geo:48.2249,16.3752?q=') || !maps.includes(encodeURIComponent('Augarten meadow'))) fail(`the map link is ${maps}`);
  const osm = await page.getByRole('link', { name: 'Find on OpenStreetMap' }).getAttribute('href');
  if (!osm.startsWith('https://www.openstreetmap.org/search?query=')) fail(`the address link is ${osm}`);
  if ((await page.getByRole('link', { name: 'Join online' }).getAttribute('href')) !== 'https://stream.example.org/picnic') fail('the online link is wrong');
  await pageBasics(page, 'an event with a place');

  // A purchase the start overtook is explained, not offered again.
  await api('PATCH', `/events/${placed.id}`, { token: host.token, json: { event_time: daysFromNow(-1) } });
  const late = await openSession(browser, j, { expectStatuses: [409] });
  await logInInUi(late.page, fan);
  await late.page.goto(`${BASE}/#/events/${online.id}`);
  await see(late.page.getByRole('button', { name: 'Buy tickets' }), 'the buy form of an event still to come');
  await api('PATCH', `/events/${online.id}`, { token: host.token, json: { event_time: daysFromNow(-1) } });
  await late.page.getByRole('button', { name: 'Buy tickets' }).click();
  await see(late.page.getByRole('alert').filter({ hasText: 'This event has already started' }), 'the 409 event_started explained');
  await gone(late.page.getByRole('button', { name: 'Buy tickets' }), 'the buy button once the event started');

  const zh = await openSession(browser, j, { locale: 'zh-CN' });
  await zh.page.goto(`${BASE}/#/events/${past.id}`);
  await see(zh.page.getByText('地点待定。'), 'the missing place in Chinese');
  await see(zh.page.getByText('活动已经开始，门票已停止销售。'), 'why nothing sells, in Chinese');
  await zh.page.goto(`${BASE}/#/events?when=past&search=${tag.toLowerCase()}`);
  await see(zh.page.getByRole('navigation', { name: '显示哪些活动' }).getByRole('link', { name: '往期' }), 'the Chinese "past" tab');
  await see(zh.page.getByRole('link', { name: placed.name }), 'the now-past event in the Chinese past list');
  await zh.page.goto(`${BASE}/#/events/${placed.id}`);
  await see(zh.page.getByRole('link', { name: '在地图中打开' }), 'the Chinese map link');
  await see(zh.page.getByRole('img', { name: 'Blankets on the grass under chestnut trees' }), 'the picture with its description on the Chinese page');
  await pageBasics(zh.page, 'an event with a place, in Chinese');
});

journey('a login told to wait a moment (a crowded network) waits by itself and gets in', async (j, browser) => {
  const user = newUser('crowd');
  await registerViaApi(user);
  const { page } = await openSession(browser, j, { expectStatuses: [429] });
  let refused = 0;
  await page.route('**/token', async (route) => {
    if (refused < 2) {
      refused += 1;
      await route.fulfill({ status: 429, headers: { 'Retry-After': '1', 'Content-Type': 'application/json' }, body: JSON.stringify({ detail: 'too many requests, try again in 1 seconds', code: 'rate_limited' }) });
      return;
    }
    await route.continue();
  });
  await page.goto(`${BASE}/#/login`);
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await see(page.getByRole('status').filter({ hasText: 'Many people are logging in from your network' }), 'the wait explained while it lasts');
  await see(page.getByRole('button', { name: 'Log out' }), 'the session after waiting out two 429s');
  if (refused !== 2) fail(`the server was asked ${refused} times before the login went through`);
  if (await page.getByRole('alert').count()) fail(`an error was shown: ${await page.getByRole('alert').first().textContent()}`);
});

journey('a forgotten password: a mailed link chooses a new one, once, and the old one stops working (English and Chinese)', async (j, browser) => {
  const user = newUser('forgot', { full_name: 'Fay Forgetful' });
  const newPassword = `new-${user.password}`;
  /** Everything a page logs, to check that a link's token never reaches the console. */
  const consoleOf = (page) => {
    const texts = [];
    page.on('console', (message) => texts.push(message.text()));
    return texts;
  };
  const { page } = await openSession(browser, j, { expectStatuses: [400, 401] });
  const logged = consoleOf(page);

  // Registered, then signed out; the login page leads to the forgotten-password form.
  await registerInUi(page, user);
  await see(page.getByRole('button', { name: 'Log out' }), 'the "Log out" button after registering');
  await landed(page);
  await page.getByRole('button', { name: 'Log out' }).click();
  await (await see(page.getByRole('link', { name: 'Log in', exact: true }), 'the "Log in" link after logging out')).click();
  await see(h1(page, 'Log in'), 'the login page');
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await see(h1(page, 'Forgot your password?'), 'the forgot-password page');
  await pageBasics(page, 'the forgot-password page');
  await page.getByLabel('E-mail').fill(user.email);
  await page.getByRole('button', { name: 'Send me a link' }).click();
  const sent = 'If an account uses this address, we have sent it a link to choose a new password. The link works for 30 minutes.';
  await see(page.getByRole('status').filter({ hasText: sent }), 'the neutral message once the address is sent');
  if (!(await page.evaluate((text) => document.activeElement?.textContent.includes(text) === true, sent))) fail('focus did not move to the message that the link was sent');
  await see(page.getByRole('button', { name: 'Send another link' }), 'the way to send another link');
  await pageBasics(page, 'the forgot-password page once sent');

  // The mail brings the link; the page it opens keeps its token through a reload.
  const { mail, found } = await mailTo(user.email, RESET_LINK);
  if (/[\u4e00-\u9fff]/.test(mail.subject ?? '')) fail(`the mail to an account that reads English has the subject "${mail.subject}"`);
  const token = found[1];
  const link = `/#/reset-password?token=${token}`;
  await page.goto(`${BASE}${link}`);
  await see(h1(page, 'Choose a new password'), 'the reset page the mailed link opens');
  // The token leaves the address (and the history) at once; this tab keeps it, so a reload still works.
  await tokenLeftAddress(page, token, '/#/reset-password');
  await page.reload();
  await see(h1(page, 'Choose a new password'), 'the reset page after a reload');
  await see(page.getByLabel('New password'), 'the form after a reload, the token kept in the tab');
  await pageBasics(page, 'the reset page');
  await page.getByLabel('New password').fill('short');
  await page.getByLabel('Confirm password').fill('short');
  await page.getByRole('button', { name: 'Save new password' }).click();
  await see(page.getByText('Use 8 to 72 bytes'), 'the password rule of registration at its field');
  await page.getByLabel('New password').fill(newPassword);
  await page.getByLabel('Confirm password').fill(newPassword);
  await page.getByRole('button', { name: 'Save new password' }).click();
  await see(h1(page, 'Log in'), 'the login page once the new password is saved');
  await see(page.getByText('Your password was changed, and you were signed out on every device.'), 'the change told on the login page');
  if (page.url().includes(token)) fail('the address still holds the spent link');

  // The old password no longer logs in; the new one does.
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await see(page.getByRole('alert').filter({ hasText: 'Incorrect username or password.' }), 'the old password refused');
  await logInInUi(page, { ...user, password: newPassword }, { from: null });

  // The link works once: opened again (signed in, this time) it says so, and where to ask for another.
  await page.goto(`${BASE}${link}`);
  await see(h1(page, 'Choose a new password'), 'the reset page from the spent link');
  await page.getByLabel('New password').fill(`again-${newPassword}`);
  await page.getByLabel('Confirm password').fill(`again-${newPassword}`);
  await page.getByRole('button', { name: 'Save new password' }).click();
  await see(page.getByRole('alert').filter({ hasText: 'This link does not work any more' }), 'the spent link refused');
  await see(page.getByRole('button', { name: 'Log out' }), 'the session kept after a refused link');
  await pageBasics(page, 'the refused link');
  await page.getByRole('link', { name: 'Ask for a new link' }).click();
  await see(h1(page, 'Forgot your password?'), 'the forgot-password page, from the refused link');
  if (logged.some((text) => text.includes(token))) fail('the link\'s token was written to the console');

  // In Chinese, at phone width: the texts, and the same way for an account that reads Chinese (its mail too).
  const zhUser = newUser('zhforgot');
  await api('POST', '/users/', { json: { username: zhUser.username, email: zhUser.email, password: zhUser.password, full_name: null, locale: 'zh-CN' } });
  const zhNew = `new-${zhUser.password}`;
  const zh = await openSession(browser, j, { viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true });
  const zhLogged = consoleOf(zh.page);
  await zh.page.goto(`${BASE}/#/login`);
  await see(h1(zh.page, 'Log in'), 'the login page before switching to Chinese');
  await zh.page.getByLabel('Language').selectOption('zh-CN');
  await see(h1(zh.page, '登录'), 'the login page in Chinese');
  await zh.page.getByRole('link', { name: '忘记密码？' }).click();
  await see(h1(zh.page, '找回密码'), 'the forgot-password page in Chinese');
  await see(zh.page.getByText('请输入你账号的电子邮件地址，我们会向它发送一个设置新密码的链接。'), 'what to do, in Chinese');
  await see(zh.page.getByRole('link', { name: '返回登录' }), 'the way back to the login page, in Chinese');
  await noHorizontalOverflow(zh.page, 360, 'the forgot-password page in Chinese');
  await pageBasics(zh.page, 'the forgot-password page in Chinese');
  await zh.page.getByLabel('电子邮件').fill(zhUser.email);
  await zh.page.getByRole('button', { name: '发送链接' }).click();
  await see(zh.page.getByRole('status').filter({ hasText: '如果有账号使用这个地址，我们已向它发送了一个设置新密码的链接。链接在 30 分钟内有效。' }), 'the neutral message in Chinese');
  await see(zh.page.getByRole('button', { name: '再发送一个链接' }), 'the way to send another link, in Chinese');
  await noHorizontalOverflow(zh.page, 360, 'the Chinese forgot-password page once sent');
  const { mail: zhMail, found: zhFound } = await mailTo(zhUser.email, RESET_LINK);
  if (!/[\u4e00-\u9fff]/.test(zhMail.subject ?? '')) fail(`the mail to an account that reads Chinese has the subject "${zhMail.subject}"`);
  await zh.page.goto(`${BASE}/#/reset-password?token=${zhFound[1]}`);
  await see(h1(zh.page, '设置新密码'), 'the reset page in Chinese');
  await noHorizontalOverflow(zh.page, 360, 'the reset page in Chinese');
  await pageBasics(zh.page, 'the reset page in Chinese');
  await zh.page.getByLabel('新密码').fill(zhNew);
  await zh.page.getByLabel('确认密码').fill(zhNew);
  await zh.page.getByRole('button', { name: '保存新密码' }).click();
  await see(h1(zh.page, '登录'), 'the Chinese login page once the new password is saved');
  await see(zh.page.getByText('你的密码已修改，所有设备均已退出登录。请用新密码登录。'), 'the change told in Chinese');
  await logInInChinese(zh.page, { ...zhUser, password: zhNew });
  if (zhLogged.some((text) => text.includes(zhFound[1]))) fail('the Chinese link\'s token was written to the console');
}, { skip: options.mailDir ? null : 'needs --mail-dir DIR, the folder where the test SMTP server writes the mail Plaza sends' });

journey('an e-mail address is confirmed from the mailed link: the reminder, the link sent again, the page the link opens, a new address in Settings (English and Chinese)', async (j, browser) => {
  const user = newUser('verify', { full_name: 'Vera Verified' });
  const { page } = await openSession(browser, j, { expectStatuses: [400] });
  const banner = page.getByRole('region', { name: 'Verify your inbox' });

  // A new account is reminded, on every page, until its address is confirmed.
  await registerInUi(page, user);
  await see(page.getByRole('button', { name: 'Log out' }), 'the "Log out" button after registering');
  await landed(page);
  await see(banner.getByText(`Please confirm your e-mail address ${user.email}. Check your inbox for our link.`), 'the reminder to confirm the address');
  await pageBasics(page, 'a page with the reminder');

  // Dismissed, it stays away while the page is open, and comes back with the next load.
  await banner.getByRole('button', { name: 'Dismiss' }).click();
  await gone(banner, 'the dismissed reminder');
  if (!(await page.evaluate(() => document.activeElement?.id === 'main'))) fail('focus did not move to the main content once the reminder was dismissed');
  await page.getByRole('link', { name: 'Posts', exact: true }).click();
  await see(h1(page, 'Posts'), 'the posts page');
  if (await banner.count()) fail('the dismissed reminder came back on the next page');
  await page.reload();
  await see(banner, 'the reminder after a reload');

  // It sends the link again, and says so.
  await banner.getByRole('button', { name: 'Send the link again' }).click();
  await see(banner.getByRole('status').filter({ hasText: `We sent a new link to ${user.email}. It works for 24 hours.` }), 'the link sent again');

  // The newest link (registering sent the first) confirms the address; the token leaves the address bar.
  const mails = await mailsTo(user.email, VERIFY_LINK, { subject: 'Confirm your e-mail address', count: 2 });
  const token = mails.at(-1).found[1];
  await page.goto(`${BASE}/#/verify-email?token=${token}`);
  await see(h1(page, 'Your address is confirmed'), 'the address confirmed by the mailed link');
  await tokenLeftAddress(page, token, '/#/verify-email');
  await pageBasics(page, 'the confirmed address');
  await page.reload();
  await see(h1(page, 'Your address is confirmed'), 'the confirmation after a reload');
  await gotoPage(page, '/#/events');
  await see(page.getByRole('link', { name: user.username }), 'the account in the header after a reload');
  if (await banner.count()) fail('the reminder is still shown once the address is confirmed');
  const { access_token: apiToken } = await api('POST', '/token', { form: { username: user.username, password: user.password } });
  const confirmed = await api('GET', '/users/me', { token: apiToken });
  if (confirmed.email_verified !== true) fail(`GET /users/me says email_verified ${confirmed.email_verified}`);

  // The spent link, opened again, says the address is confirmed all the same.
  await page.goto(`${BASE}/#/verify-email?token=${token}`);
  await see(page.getByText(`This link was used already, and your address ${user.email} is confirmed.`), 'the spent link, with the address confirmed');

  // A new address in Settings is unconfirmed: the reminder comes back, with it.
  const newEmail = `new.${user.email}`;
  await gotoPage(page, '/#/settings');
  await see(h1(page, 'Your account'), 'the account page');
  await page.getByLabel('E-mail', { exact: true }).fill(newEmail);
  await page.getByRole('button', { name: 'Save profile' }).click();
  await see(page.getByRole('status').getByText(`We sent a link to ${newEmail}`), 'the new address told it gets a link');
  await see(banner.getByText(`Please confirm your e-mail address ${newEmail}.`), 'the reminder for the new address');
  await see(page.getByText(`Mail is only sent to a confirmed address: open the link we sent to ${newEmail} first.`), 'the word beside the choice of notification mail');

  // In Chinese: the reminder speaks Chinese; the new address's link confirms it, and the reminder goes.
  await page.getByLabel('Language').selectOption('zh-CN');
  await see(h1(page, '你的账号'), 'the account page in Chinese');
  const zhBanner = page.getByRole('region', { name: '地址确认' });
  await see(zhBanner.getByText(`请确认你的电子邮件地址 ${newEmail}。请在收件箱中查找我们发送的链接。`), 'the reminder in Chinese');
  await see(zhBanner.getByRole('button', { name: '重新发送链接' }), 'the button that sends the link again, in Chinese');
  await pageBasics(page, 'the account page with the reminder, in Chinese');
  const [{ found: newFound }] = await mailsTo(newEmail, VERIFY_LINK);
  await page.goto(`${BASE}/#/verify-email?token=${newFound[1]}`);
  await see(h1(page, '你的地址已确认'), 'the new address confirmed, in Chinese');
  await gotoPage(page, '/#/events');
  await see(h1(page, '活动'), 'the events page in Chinese');
  if (await zhBanner.count()) fail('the reminder stayed once the new address was confirmed');
}, { skip: options.mailDir ? null : 'needs --mail-dir DIR, the folder where the test SMTP server writes the mail Plaza sends' });

journey('a server that wants confirmed addresses: a new post says to confirm the address first, and the link can be asked for from there', async (j, browser) => {
  const user = await registerViaApi(newUser('unconfirmed'));
  const { page } = await openSession(browser, j, { expectStatuses: [403, 429] });
  await logInInUi(page, user);
  // As a server run with REQUIRE_VERIFIED_EMAIL=true answers, whatever this one was started with; and the
  // link asked for too often.
  await page.route('**/posts/', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    return route.fulfill({ status: 403, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ detail: 'confirm your e-mail address first', code: 'email_unverified' }) });
  });
  await page.route('**/users/me/email-verification', (route) =>
    route.fulfill({ status: 429, headers: { 'Content-Type': 'application/json', 'Retry-After': '1800' }, body: JSON.stringify({ detail: 'too many links', code: 'rate_limited' }) }));

  await gotoPage(page, '/#/posts');
  await page.getByText('Write a post').click();
  await page.getByLabel('Title').fill(`Unconfirmed ${runId}`);
  await page.getByLabel('Text').fill('Will this be published?');
  await page.getByRole('button', { name: 'Publish' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'Please confirm your e-mail address first: open the link we sent you, then try again.' });
  await see(alert, 'the refusal explained, not a generic failure');
  await pageBasics(page, 'the refusal to publish');
  await alert.getByRole('button', { name: 'Send the link again' }).click();
  await see(alert.getByText('You have asked for several links in the last hour. Please try again in 30 minutes.'), 'the limit on links explained, with when to try again');
  if ((await page.getByLabel('Title').inputValue()) !== `Unconfirmed ${runId}`) fail('the post being written was lost');
});

journey('notification mail and the time zone are chosen in Settings and kept (English and Chinese)', async (j, browser) => {
  const user = await registerViaApi(newUser('mailprefs', { full_name: 'Mo Mailer' }));
  const { page } = await openSession(browser, j);
  await logInInUi(page, user);
  await gotoPage(page, '/#/settings');
  await see(h1(page, 'Your account'), 'the account page');
  const section = page.getByRole('region', { name: 'Notification mail' });
  const choice = section.getByRole('group', { name: 'Mail me about notifications' });
  const zone = section.getByLabel('Time zone', { exact: true });
  await see(choice, 'the choice of notification mail');
  for (const label of ['Off', 'As they come (at most one mail every 10 minutes)', 'Once a day (08:00 in my time zone)']) {
    await see(choice.getByLabel(label, { exact: true }), `the choice "${label}"`);
  }
  await see(section.getByText(`Mail is only sent to a confirmed address: open the link we sent to ${user.email} first.`), 'the word that mail needs a confirmed address');
  if ((await zone.inputValue()) !== 'UTC') fail(`a new account's time zone shows as ${await zone.inputValue()}, not UTC`);
  await pageBasics(page, 'the account page with notification mail');

  // Once a day, in Shanghai: saved, and still chosen after a reload.
  await choice.getByLabel('Once a day', { exact: false }).check();
  await zone.selectOption('Asia/Shanghai');
  await section.getByRole('button', { name: 'Save mail settings' }).click();
  await see(page.getByRole('status').getByText('Your mail settings were saved.'), 'the mail settings saved');
  const saved = await api('GET', '/users/me', { token: user.token });
  if (saved.email_notifications !== 'daily' || saved.time_zone !== 'Asia/Shanghai') fail(`GET /users/me has ${saved.email_notifications} and ${saved.time_zone}`);
  if (saved.username !== user.username || saved.email !== user.email || saved.full_name !== 'Mo Mailer') fail(`saving the mail settings changed the profile: ${JSON.stringify(saved)}`);
  await page.reload();
  await see(h1(page, 'Your account'), 'the account page after a reload');
  await see(choice, 'the choice after a reload');
  if (!(await choice.getByLabel('Once a day', { exact: false }).isChecked())) fail('"Once a day" is not chosen after a reload');
  if ((await zone.inputValue()) !== 'Asia/Shanghai') fail(`the time zone shows as ${await zone.inputValue()} after a reload`);

  // This browser's zone (the context's Europe/Berlin) in one press; as they come; the profile's own save
  // leaves both alone.
  await section.getByRole('button', { name: /time zone \(Europe\/Berlin\)$/ }).click();
  if ((await zone.inputValue()) !== 'Europe/Berlin') fail(`"use this browser's time zone" chose ${await zone.inputValue()}`);
  await choice.getByLabel('As they come', { exact: false }).check();
  await section.getByRole('button', { name: 'Save mail settings' }).click();
  await see(page.getByRole('status').getByText('Your mail settings were saved.'), 'the mail settings saved again');
  await page.getByLabel('Full name').fill('Mo M. Mailer');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await see(page.getByRole('status').getByText('Your profile was saved.'), 'the profile saved');
  const after = await api('GET', '/users/me', { token: user.token });
  if (after.email_notifications !== 'each' || after.time_zone !== 'Europe/Berlin' || after.full_name !== 'Mo M. Mailer') fail(`GET /users/me has ${after.email_notifications}, ${after.time_zone} and ${after.full_name}`);

  // In Chinese.
  await page.getByLabel('Language').selectOption('zh-CN');
  await see(h1(page, '你的账号'), 'the account page in Chinese');
  const zhSection = page.getByRole('region', { name: '通知邮件' });
  const zhChoice = zhSection.getByRole('group', { name: '通过邮件通知我' });
  await see(zhChoice, 'the choice of notification mail in Chinese');
  for (const label of ['关闭', '随时发送（每 10 分钟最多一封）', '每天一次（我所在时区的 08:00）']) {
    await see(zhChoice.getByLabel(label, { exact: true }), `the choice "${label}"`);
  }
  if (!(await zhChoice.getByLabel('随时发送（每 10 分钟最多一封）', { exact: true }).isChecked())) fail('the saved choice is not shown in Chinese');
  if ((await zhSection.getByLabel('时区', { exact: true }).inputValue()) !== 'Europe/Berlin') fail('the saved time zone is not shown in Chinese');
  await see(zhSection.getByRole('button', { name: '保存邮件设置' }), 'the save button in Chinese');
  await see(zhSection.getByText('邮件只会发送到已确认的地址'), 'the word that mail needs a confirmed address, in Chinese');
  await pageBasics(page, 'the account page with notification mail, in Chinese');
});

journey('the unsubscribe link changes nothing when opened; its button asks, and a bad link is refused (English and Chinese)', async (j, browser) => {
  const { page } = await openSession(browser, j, { expectStatuses: [400] });
  const asked = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/unsubscribe') asked.push(request.method());
  });
  await page.goto(`${BASE}/#/unsubscribe?token=bogus`);
  await see(h1(page, 'Stop notification mail?'), 'the unsubscribe page');
  await tokenLeftAddress(page, 'bogus', '/#/unsubscribe');
  await see(page.getByRole('button', { name: 'Stop notification mail' }), 'the button that turns mail off');
  await pageBasics(page, 'the unsubscribe page');
  // A reload keeps the token (in this tab), and opening the page still asks nothing.
  await page.reload();
  await see(page.getByRole('button', { name: 'Stop notification mail' }), 'the button after a reload');
  await page.getByLabel('Language').selectOption('zh-CN');
  await see(h1(page, '停止通知邮件？'), 'the unsubscribe page in Chinese');
  await see(page.getByRole('button', { name: '停止通知邮件' }), 'the button in Chinese');
  await pageBasics(page, 'the unsubscribe page in Chinese');
  await page.getByLabel('语言').selectOption('en');
  await see(h1(page, 'Stop notification mail?'), 'the unsubscribe page in English again');
  await page.waitForTimeout(500);
  if (asked.length) fail(`opening the page asked the server: ${asked.join(', ')}`);

  // The button asks; the server does not know the link.
  await page.getByRole('button', { name: 'Stop notification mail' }).click();
  const refused = page.getByRole('alert').filter({ hasText: 'This link is not valid.' });
  await see(refused, 'the bad link refused');
  if (asked.join(' ') !== 'POST') fail(`the button asked ${asked.join(', ')}`);
  await until(() => refused.evaluate((el) => el === document.activeElement), 'focus on the refusal');
  await see(page.getByRole('link', { name: 'Go to your account settings' }), 'where mail is turned off instead');
  await pageBasics(page, 'the refused unsubscribe link');

  // A link without a token is refused at once, with nothing to press.
  await page.goto(`${BASE}/#/unsubscribe?token=`);
  await see(page.getByRole('alert').filter({ hasText: 'This link is not valid.' }), 'a link without its token refused');
  if (await page.getByRole('button', { name: 'Stop notification mail' }).count()) fail('a link without its token offers the button');
  if (asked.length !== 1) fail(`a link without its token asked the server (${asked.join(', ')})`);
});

journey('an event page loads light on a slow network: one answer for the code, one for the data, nothing on a later visit', async (j, browser) => {
  const host = await registerViaApi(newUser('fast'));
  const event = await createEventViaApi(host, { name: `Fast page ${runId}`, event_time: daysFromNow(3006), venue: 'Quick hall', description: 'Measured on Fast 3G.' });
  await api('POST', `/comments/${event.id}`, { token: host.token, json: { content: 'The first comment.' } });

  /** Records, in the page, when the event's name and its comment are first on screen: the frame after
   * both are in the document, in ms from the start of the navigation (the harness's own overhead left
   * out). */
  const watchForContent = (name) => {
    const watch = () => {
      const heading = [...document.querySelectorAll('h1')].some((el) => el.textContent.includes(name));
      if (heading && document.body.textContent.includes('The first comment.') && !window.__contentAt) {
        window.__contentAt = -1;
        requestAnimationFrame(() => { window.__contentAt = performance.now(); });
      }
    };
    new MutationObserver(watch).observe(document, { subtree: true, childList: true, characterData: true });
  };

  /** Loads the event page on DevTools' "Fast 3G" and reports what crossed the network. */
  async function measure(context, page, { later = false } = {}) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 562.5, downloadThroughput: (1.6 * 1024 * 1024 * 0.9) / 8, uploadThroughput: (750 * 1024 * 0.9) / 8 });
    const requests = new Map();
    cdp.on('Network.responseReceived', ({ requestId, response }) => {
      requests.set(requestId, { id: requestId, url: response.url, network: !response.fromDiskCache && !response.fromMemoryCache && !response.fromServiceWorker && !response.fromPrefetchCache, worker: Boolean(response.fromServiceWorker), encoding: response.headers['content-encoding'] ?? response.headers['Content-Encoding'] ?? null, bytes: 0 });
    });
    cdp.on('Network.loadingFinished', ({ requestId, encodedDataLength }) => {
      const entry = requests.get(requestId);
      if (entry) entry.bytes = encodedDataLength;
    });
    // A later visit (not a reload, which revalidates on purpose): leave, then come back.
    if (later) await page.goto('about:blank');
    await page.goto(`${BASE}/#/events/${event.id}`);
    await see(h1(page, event.name), 'the event on Fast 3G', 30_000);
    await see(page.getByText('The first comment.'), 'its comment on Fast 3G', 30_000);
    await until(async () => (await page.evaluate(() => window.__contentAt ?? 0)) > 0, 'the content painted');
    const visibleAfter = Math.round(await page.evaluate(() => window.__contentAt));
    await cdp.detach();
    const all = [...requests.values()];
    const fetched = all.filter((entry) => entry.network);
    return { visibleAfter, all, fetched, bytes: fetched.reduce((sum, entry) => sum + entry.bytes, 0) };
  }
  const path = (entry) => new URL(entry.url).pathname;

  const { context, page } = await openSession(browser, j);
  await context.addInitScript(watchForContent, event.name);
  const cold = await measure(context, page);
  const page1 = cold.fetched.find((entry) => path(entry) === '/');
  if (!page1 || !['br', 'gzip'].includes(page1.encoding)) fail(`the page came ${page1?.encoding ?? 'not at all'}`);
  for (const entry of cold.fetched.filter((item) => /\/app\/.*\.(js|css)$/.test(item.url))) {
    if (!/\/app\/v-[0-9a-f]{12}\//.test(entry.url)) fail(`${entry.url} is not under the build's version`);
    if (!['br', 'gzip'].includes(entry.encoding)) fail(`${entry.url} came ${entry.encoding ?? 'uncompressed'}`);
  }
  // The code and styles come in the page; besides it, only the reader's language, the event's one
  // overview (not the event, its comments and its people one after another) and the icon.
  const scripts = cold.fetched.filter((item) => /\.(js|css)$/.test(path(item)));
  if (scripts.some((item) => !/\/src\/i18n\/en\.js$/.test(path(item)))) fail(`a first visit fetched code besides its language: ${scripts.map(path).join(', ')}`);
  if (cold.fetched.some((item) => item.url.includes('/i18n/zh-CN.js'))) fail('an English reader loaded the Chinese messages');
  const reads = cold.all.filter((item) => !path(item).startsWith('/app/') && path(item) !== '/');
  if (reads.length !== 1 || path(reads[0]) !== `/events/${event.id}/overview`) fail(`the event page read ${reads.map((item) => item.url).join(', ')}`);
  // Wait for the service worker to keep the page, as a reader's next visit would find it.
  await until(() => page.evaluate(async () => Boolean(await caches.keys().then((keys) => keys.find((key) => key.startsWith('plaza-page-'))))), 'the page kept by the service worker');
  const warm = await measure(context, page, { later: true });
  const asked = warm.fetched.filter((item) => path(item) !== `/events/${event.id}/overview`);
  if (asked.length) fail(`a later visit asked the network again for ${asked.map((item) => item.url).join(', ')}`);
  if (!warm.all.some((item) => path(item) === '/' && item.worker)) fail('a later visit did not get the page from the service worker');
  console.log(`# event page on Fast 3G: cold ${cold.fetched.length} requests, ${Math.round(cold.bytes / 1024)} KiB, content after ${cold.visibleAfter} ms; warm ${warm.fetched.length} requests, ${Math.round(warm.bytes / 1024)} KiB, ${warm.visibleAfter} ms`);

  const zh = await openSession(browser, j, { locale: 'zh-CN' });
  await zh.context.addInitScript(watchForContent, event.name);
  const chinese = await measure(zh.context, zh.page);
  if (chinese.fetched.some((item) => item.url.includes('/i18n/en.js'))) fail('a Chinese reader loaded the English messages too');
  if (!chinese.fetched.some((item) => item.url.includes('/i18n/zh-CN.js'))) fail('the Chinese messages were not loaded');
  console.log(`# event page on Fast 3G in Chinese: cold ${chinese.fetched.length} requests, ${Math.round(chinese.bytes / 1024)} KiB, content after ${chinese.visibleAfter} ms`);
});

journey('tickets people hold: buy, see each with its code and QR code, give one back (English and Chinese)', async (j, browser) => {
  const host = await registerViaApi(newUser('door'));
  const event = await createEventViaApi(host, { name: `Held night ${runId}`, event_time: daysFromNow(3010), max_tickets: 3 });
  const buyer = newUser('hold');
  await registerViaApi(buyer);
  const { page } = await openSession(browser, j);
  await logInInUi(page, buyer);
  await page.goto(`${BASE}/#/events/${event.id}`);
  await see(h1(page, event.name), 'the event');
  await page.getByLabel('Number of tickets').fill('2');
  await page.getByRole('button', { name: 'Buy tickets' }).click();
  await see(page.getByText('You bought 2 tickets.'), 'the purchase');
  await page.getByRole('link', { name: 'See my tickets' }).click();
  await see(h1(page, 'My tickets'), 'my tickets');
  const held = page.getByRole('listitem').filter({ hasText: event.name });
  await until(async () => (await held.count()) === 2, 'both tickets listed');
  const qrCodes = page.getByRole('img', { name: `QR code of your ticket for ${event.name}` });
  await until(async () => (await qrCodes.count()) === 2, 'a QR code on each ticket');
  await until(() => qrCodes.first().evaluate((img) => img.complete && img.naturalWidth >= 200), 'the QR code drawn');
  const codes = await page.locator('.ticket-code code').allTextContents();
  if (codes.length !== 2 || codes.some((code) => !/^[A-Za-z0-9_-]{43}$/.test(code)) || codes[0] === codes[1]) fail(`the codes shown: ${codes.join(', ')}`);
  await pageBasics(page, 'my tickets');
  await screenshot(page, 'tickets.png');

  await held.first().getByRole('button', { name: `Cancel ticket for ${event.name}` }).click();
  const dialog = page.getByRole('dialog', { name: 'Cancel this ticket?' });
  await see(dialog, 'the confirmation');
  await dialog.getByRole('button', { name: 'Cancel ticket' }).click();
  await see(page.getByText(`Your ticket for "${event.name}" is cancelled.`), 'the cancellation');
  await until(async () => page.evaluate(() => document.activeElement?.classList.contains('summary')), 'focus on the list after cancelling');
  await see(held.filter({ hasText: 'Cancelled' }), 'the cancelled ticket marked');
  await until(async () => (await qrCodes.count()) === 1, 'no QR code on the cancelled ticket');
  await until(async () => (await api('GET', `/events/${event.id}`)).tickets_sold === 1, 'the place freed');
  await page.getByRole('link', { name: 'Cancelled', exact: true }).click();
  await until(async () => (await held.count()) === 1, 'the cancelled one alone under "Cancelled"');

  // The same page in Chinese.
  const zh = await openSession(browser, j, { locale: 'zh-CN' });
  await logInInChinese(zh.page, buyer);
  await zh.page.getByRole('link', { name: '门票', exact: true }).click();
  await see(h1(zh.page, '我的门票'), 'my tickets in Chinese');
  await see(zh.page.getByRole('button', { name: `取消门票：${event.name}` }), 'the Chinese cancel button');
  await see(zh.page.getByText('已取消').first(), 'the cancelled ticket in Chinese');
  await pageBasics(zh.page, 'my tickets in Chinese');
});

journey('check-in at the door: admitted, then already checked in, then not valid (English and Chinese)', async (j, browser) => {
  const owner = newUser('gate');
  const host = await registerViaApi(owner);
  const event = await createEventViaApi(host, { name: `Door night ${runId}`, event_time: daysFromNow(3011), max_tickets: 5 });
  const guest = await registerViaApi(newUser('guest'));
  await api('POST', `/events/${event.id}/tickets`, { token: guest.token, json: { quantity: 2 } });
  const held = await api('GET', '/users/me/tickets', { token: guest.token });
  const [first, second] = held.map((ticket) => ticket.code);
  await api('POST', `/tickets/${held[1].id}/cancel`, { token: guest.token });

  const { page } = await openSession(browser, j, { expectStatuses: [404, 409], expectOffline: true });
  await logInInUi(page, owner);
  await page.goto(`${BASE}/#/events/${event.id}`);
  await see(h1(page, event.name), 'the event');
  await page.getByRole('link', { name: 'Check in', exact: true }).click();
  // The first scan reaches the server, but its answer is lost on the way back: the page must retry with
  // the same nonce and say "Admitted", not "Already checked in".
  let lostAnswers = 0;
  await page.route('**/check-ins', async (route) => {
    await route.fetch();
    lostAnswers += 1;
    await route.abort('internetdisconnected');
  }, { times: 1 });
  await see(h1(page, 'Check-in at the door'), 'the door page');
  const code = page.getByLabel('Ticket code');
  // Keyboard only: type the code, press Enter; after each answer the field is ready for the next code.
  await code.fill(first);
  await code.press('Enter');
  const result = page.getByRole('status').filter({ hasText: /Admitted|Already|Not valid/ });
  await see(page.getByText('Admitted', { exact: true }), 'the admission');
  if (lostAnswers !== 1) fail(`the first answer was lost ${lostAnswers} times, not once`);
  await until(() => code.evaluate((el) => el === document.activeElement && el.value === ''), 'the code field empty and focused again');
  await pageBasics(page, 'the door page');
  await code.fill(first);
  await code.press('Enter');
  await see(page.getByText('Already checked in', { exact: true }), 'the second scan refused');
  await see(page.getByText(/This ticket was let in on/), 'when it was let in');
  await code.fill(second);
  await page.getByRole('button', { name: 'Check in', exact: true }).click();
  await see(page.getByText('Not valid', { exact: true }), 'the cancelled ticket refused');
  await see(page.getByText('This ticket was cancelled by its holder.'), 'why it is not valid');
  await code.fill('not-a-ticket-code');
  await code.press('Enter');
  await see(page.getByText('No ticket of this event has this code.'), 'an unknown code refused');
  if ((await result.count()) !== 1) fail('the answer is not one live region');
  const mine = await api('GET', '/users/me/tickets?status=checked_in', { token: guest.token });
  if (mine.length !== 1 || mine[0].code !== first) fail(`checked in: ${JSON.stringify(mine)}`);
  await noHorizontalOverflow(page, 1280, 'the door page');

  const zh = await openSession(browser, j, { locale: 'zh-CN', viewport: { width: 360, height: 740 }, expectStatuses: [409] });
  await logInInChinese(zh.page, owner);
  await zh.page.goto(`${BASE}/#/events/${event.id}/check-in`);
  await see(h1(zh.page, '入场检票'), 'the door page in Chinese');
  await zh.page.getByLabel('票码').fill(first);
  await zh.page.getByLabel('票码').press('Enter');
  await see(zh.page.getByText('已经入场', { exact: true }), 'already checked in, in Chinese');
  await noHorizontalOverflow(zh.page, 360, 'the door page on a phone');
  await pageBasics(zh.page, 'the door page in Chinese');
});

journey('buy → my tickets → cancel → waitlist filled: the one waiting gets the ticket and is told', async (j, browser) => {
  const host = await registerViaApi(newUser('line'));
  const event = await createEventViaApi(host, { name: `Last seat ${runId}`, event_time: daysFromNow(3012), max_tickets: 1 });
  const holder = newUser('seat');
  await registerViaApi(holder);
  const hopeful = newUser('wait');
  const waiter = await registerViaApi(hopeful);

  // The first buys the only ticket. (404: a sold-out page asks whether its reader waits, and they do not.)
  const a = await openSession(browser, j, { expectStatuses: [404] });
  await logInInUi(a.page, holder);
  await a.page.goto(`${BASE}/#/events/${event.id}`);
  await see(h1(a.page, event.name), 'the event');
  await a.page.getByRole('button', { name: 'Buy tickets' }).click();
  await see(a.page.getByText('You bought 1 ticket.'), 'the purchase');
  await see(a.page.getByText('Sold out', { exact: true }), 'the event sold out');

  // The second finds it sold out and joins the waitlist.
  const b = await openSession(browser, j, { expectStatuses: [404] });
  await logInInUi(b.page, hopeful);
  await b.page.goto(`${BASE}/#/events/${event.id}`);
  await see(h1(b.page, event.name), 'the sold-out event');
  await see(b.page.getByText('Sold out', { exact: true }), 'the sold-out state');
  await gone(b.page.getByRole('button', { name: 'Buy tickets' }), 'the buy button of a sold-out event');
  await b.page.getByLabel('Number of tickets').fill('1');
  await b.page.getByRole('button', { name: 'Join the waitlist' }).click();
  await see(b.page.getByText('You are number 1 on the waitlist for 1 ticket.'), 'the place in line');
  await until(() => b.page.evaluate(() => document.activeElement?.classList.contains('waitlist-status')), 'focus on the place in line');
  await see(b.page.getByRole('button', { name: 'Leave the waitlist' }), 'the way to leave the waitlist');
  await pageBasics(b.page, 'a sold-out event with its waitlist');
  const entry = await api('GET', `/events/${event.id}/waitlist`, { token: waiter.token });
  if (entry.position !== 1 || entry.quantity !== 1) fail(`the server has the place as ${JSON.stringify(entry)}`);
  await b.page.reload();
  await see(b.page.getByText('You are number 1 on the waitlist for 1 ticket.'), 'the place in line after a reload');
  await b.page.getByRole('link', { name: 'See my tickets' }).click();
  await see(h1(b.page, 'My tickets'), 'my tickets, waiting');
  const line = b.page.getByRole('region', { name: 'Waitlist' });
  const place = line.getByRole('listitem').filter({ hasText: event.name });
  await see(place.getByText('Number 1 in line for 1 ticket'), 'the place on My tickets');
  await see(place.getByRole('button', { name: `Leave the waitlist for ${event.name}` }), 'the Leave button on My tickets');
  await see(b.page.getByText('You hold no tickets yet.'), 'no ticket held yet');
  await pageBasics(b.page, 'my tickets with a waitlist');

  // The first gives the ticket back, on My tickets, after confirming.
  await a.page.getByRole('link', { name: 'See my tickets' }).click();
  await see(h1(a.page, 'My tickets'), 'my tickets, holding');
  await a.page.getByRole('button', { name: `Cancel ticket for ${event.name}` }).click();
  const dialog = a.page.getByRole('dialog', { name: 'Cancel this ticket?' });
  await see(dialog, 'the confirmation');
  await dialog.getByRole('button', { name: 'Cancel ticket' }).click();
  await see(a.page.getByText(`Your ticket for "${event.name}" is cancelled.`), 'the cancellation');

  // The place goes to the one waiting, who is told (live, or by the next poll at the latest) …
  await see(b.page.getByRole('link', { name: 'Notifications, 1 unread' }), 'the badge "Notifications, 1 unread" of the one waiting', POLL_WAIT);
  await b.page.getByRole('link', { name: 'Notifications, 1 unread' }).click();
  await see(h1(b.page, 'Notifications'), 'the notifications page');
  await see(b.page.getByRole('listitem').filter({ hasText: 'You have 1 ticket' }).filter({ hasText: event.name }), 'the notification of the tickets');
  // … and holds it, off the waitlist.
  await b.page.getByRole('link', { name: 'Tickets', exact: true }).click();
  await see(h1(b.page, 'My tickets'), 'my tickets, filled');
  const held = b.page.getByRole('listitem').filter({ hasText: event.name }).filter({ hasText: 'Active' });
  await see(held, 'the active ticket from the waitlist');
  await see(held.getByRole('img', { name: `QR code of your ticket for ${event.name}` }), 'its QR code');
  await gone(b.page.getByRole('region', { name: 'Waitlist' }), 'the waitlist section');
  const tickets = await api('GET', '/users/me/tickets', { token: waiter.token });
  if (tickets?.length !== 1 || tickets[0].status !== 'active' || tickets[0].event.id !== event.id) fail(`the one waiting holds ${JSON.stringify(tickets)}`);
  const waiting = await api('GET', '/users/me/waitlist', { token: waiter.token });
  if (waiting?.length) fail(`still waiting: ${JSON.stringify(waiting)}`);
  if ((await api('GET', `/events/${event.id}`)).tickets_sold !== 1) fail('the event does not count the ticket from the waitlist as sold');
});

journey('wanting more tickets than are left: the waitlist for all of them, with the place in line', async (j, browser) => {
  const host = await registerViaApi(newUser('room'));
  const event = await createEventViaApi(host, { name: `Few left ${runId}`, event_time: daysFromNow(3013), max_tickets: 3 });
  const early = await registerViaApi(newUser('early'));
  await api('POST', `/events/${event.id}/tickets`, { token: early.token, json: { quantity: 2 } });
  const group = newUser('group');
  const grouped = await registerViaApi(group);

  // 404: asking whether the reader waits, before they do.
  const { page } = await openSession(browser, j, { expectStatuses: [404] });
  await logInInUi(page, group);
  await page.goto(`${BASE}/#/events/${event.id}`);
  await see(h1(page, event.name), 'the event');
  await see(page.getByText('1 of 3 tickets left'), 'one ticket left');
  await page.getByRole('button', { name: 'Need more than 1? Join the waitlist' }).click();
  await see(page.getByRole('button', { name: 'Join the waitlist' }), 'the form to join the waitlist');
  await page.locator('.waitlist').getByLabel('Number of tickets').fill('2');
  await page.getByRole('button', { name: 'Join the waitlist' }).click();
  await see(page.getByText('You are number 1 on the waitlist for 2 tickets.'), 'the place in line for two');
  await see(page.getByRole('button', { name: 'Buy tickets' }), 'buying the one left still offered');
  const entry = await api('GET', `/events/${event.id}/waitlist`, { token: grouped.token });
  if (entry.quantity !== 2 || entry.position !== 1) fail(`the server has the place as ${JSON.stringify(entry)}`);
  await pageBasics(page, 'an event with a few tickets left and the reader waiting for more');
});

journey('the organiser\'s attendee list: checked in or not, and the whole list as a CSV file (English and Chinese)', async (j, browser) => {
  const owner = newUser('roll');
  const host = await registerViaApi(owner);
  const event = await createEventViaApi(host, { name: `Guest list ${runId}`, event_time: daysFromNow(3013), max_tickets: 5 });
  const guest = await registerViaApi(newUser('came', { full_name: 'Cora Came' }));
  const other = await registerViaApi(newUser('away'));
  await api('POST', `/events/${event.id}/tickets`, { token: guest.token, json: { quantity: 1 } });
  await api('POST', `/events/${event.id}/tickets`, { token: other.token, json: { quantity: 2 } });
  const [guestTicket] = await api('GET', '/users/me/tickets', { token: guest.token });
  const [, givenBack] = await api('GET', '/users/me/tickets', { token: other.token });
  await api('POST', `/tickets/${givenBack.id}/cancel`, { token: other.token });

  const { page } = await openSession(browser, j);
  await logInInUi(page, owner);
  await page.goto(`${BASE}/#/events/${event.id}`);
  await see(h1(page, event.name), 'the event');
  await page.getByRole('link', { name: 'Attendees', exact: true }).click();
  await see(h1(page, 'Attendees'), 'the attendee list');
  const table = page.getByRole('table');
  const guestRow = table.getByRole('row').filter({ hasText: guest.username });
  await see(guestRow.getByText('Not checked in', { exact: true }), 'the guest not checked in yet');
  await see(guestRow.getByText('Cora Came', { exact: true }), 'the guest\'s full name');
  await see(page.getByText('Showing 1–3 of 3 · 0 checked in on this page'), 'the totals before the door opens');

  // A check-in at the door shows on the list.
  await page.getByRole('link', { name: 'Check in', exact: true }).click();
  await see(h1(page, 'Check-in at the door'), 'the door page');
  await page.getByLabel('Ticket code').fill(guestTicket.code);
  await page.getByLabel('Ticket code').press('Enter');
  await see(page.getByText('Admitted', { exact: true }), 'the guest admitted');
  await page.goBack();
  await see(h1(page, 'Attendees'), 'the attendee list again');
  // The time alone on the event's day; here, years before it, the date too.
  await see(guestRow.getByText(/^Checked in at \S.*\d{1,2}:\d{2}( [AP]M)?$/), 'the guest checked in, with the time');
  const otherRows = table.getByRole('row').filter({ hasText: other.username });
  await until(async () => (await otherRows.count()) === 2, 'both of the other holder\'s tickets listed');
  await see(otherRows.getByText('Cancelled', { exact: true }), 'the ticket given back, cancelled');
  await see(otherRows.getByText('Not checked in', { exact: true }), 'the other ticket, not checked in');
  await see(page.getByText('Showing 1–3 of 3 · 1 checked in on this page'), 'the totals after the check-in');
  await pageBasics(page, 'the attendee list');

  // The whole list as CSV, fetched with the session's token and saved under the event's name.
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: STEP_TIMEOUT }),
    page.getByRole('button', { name: 'Download CSV' }).click(),
  ]);
  if (download.suggestedFilename() !== `event-${event.id}-attendees.csv`) fail(`the file is named ${download.suggestedFilename()}`);
  const csv = await readFile(await download.path(), 'utf8');
  const lines = csv.split('\r\n').filter(Boolean);
  if (lines[0] !== 'ticket_id,status,code,holder_id,username,full_name,created_at,checked_in_at,cancelled_at') fail(`the CSV's header row is ${JSON.stringify(lines[0])}`);
  if (lines.length !== 4) fail(`the CSV has ${lines.length - 1} rows, not 3`);
  const guestLine = lines.find((item) => item.includes(guestTicket.code)) ?? fail('the guest\'s ticket is not in the CSV');
  // (A code starting with "-" is written with a leading "'", so that no spreadsheet runs it.)
  const cells = guestLine.split(',');
  if (cells[0] !== String(guestTicket.id) || cells[1] !== 'checked_in' || cells[2].replace(/^'/, '') !== guestTicket.code || cells[3] !== String(guest.id) || cells[4] !== guest.username || cells[5] !== 'Cora Came' || !cells[7]) fail(`the guest's row is ${guestLine}`);
  await see(page.getByText(`The whole list is being saved as event-${event.id}-attendees.csv.`), 'the download announced');

  // In Chinese, on a phone.
  const zh = await openSession(browser, j, { locale: 'zh-CN', viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true });
  await logInInChinese(zh.page, owner);
  await zh.page.goto(`${BASE}/#/events/${event.id}`);
  await see(h1(zh.page, event.name), 'the event in Chinese');
  await zh.page.getByRole('link', { name: '参加者', exact: true }).click();
  await see(h1(zh.page, '参加者名单'), 'the attendee list in Chinese');
  await see(zh.page.getByRole('row').filter({ hasText: guest.username }).getByText(/^已于 .+ 入场$/), 'the guest checked in, in Chinese');
  await see(zh.page.getByRole('button', { name: '下载 CSV' }), 'the Chinese download button');
  await noHorizontalOverflow(zh.page, 360, 'the attendee list on a phone');
  await pageBasics(zh.page, 'the attendee list in Chinese on a phone');
});

journey('a notification opens the comment it announces, on its page, and reads it', async (j, browser) => {
  const owner = newUser('talk');
  const account = await registerViaApi(owner);
  const chatty = await registerViaApi(newUser('chat'));
  const event = await createEventViaApi(account, { name: `Long thread ${runId}`, event_time: daysFromNow(3007) });
  // 25 comments: the last ones are on the second page of twenty.
  for (let n = 1; n <= 25; n += 1) {
    await api('POST', `/comments/${event.id}`, { token: chatty.token, json: { content: `Comment number ${n}` } });
  }
  const { page } = await openSession(browser, j);
  await logInInUi(page, owner);
  await page.goto(`${BASE}/#/notifications`);
  const newest = page.getByRole('listitem').filter({ hasText: `commented on "${event.name}"` }).first();
  await see(newest, 'the newest comment notification');
  await newest.getByRole('link', { name: 'View event' }).click();
  await see(h1(page, event.name), 'the event page from the notification');
  const target = page.getByRole('listitem').filter({ hasText: 'Comment number 25' });
  await see(target, 'the announced comment, on the second page');
  await until(async () => target.evaluate((el) => el === document.activeElement), 'focus on the announced comment');
  if (!page.url().includes('cskip=20')) fail(`the page of the comment is not in the URL: ${page.url()}`);
  const { access_token: ownerToken } = await api('POST', '/token', { form: { username: owner.username, password: owner.password } });
  await until(async () => {
    const response = await fetch(`${BASE}/notifications/?limit=1`, { headers: { Authorization: `Bearer ${ownerToken}` } });
    return response.headers.get('X-Unread-Count') === '24';
  }, 'the followed notification to be read (24 unread left)');
});

journey('the light or dark theme is the reader\'s choice and is remembered; toasts stay on their page', async (j, browser) => {
  const { page } = await openSession(browser, j, { colorScheme: 'light' });
  await page.goto(`${BASE}/#/events`);
  const toggle = page.getByRole('button', { name: 'Dark theme' });
  await see(toggle, 'the theme toggle');
  if ((await toggle.getAttribute('aria-pressed')) !== 'false') fail('dark is on before it was chosen');
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const light = await background();
  await toggle.click();
  await until(async () => (await page.evaluate(() => document.documentElement.dataset.theme)) === 'dark', 'the page to turn dark');
  if ((await background()) === light) fail('the background did not change with the theme');
  await page.reload();
  await see(page.getByRole('button', { name: 'Dark theme', pressed: true }), 'dark remembered after a reload');
  await pageBasics(page, 'the events list in dark');
  await page.getByRole('button', { name: 'Dark theme' }).click();
  await until(async () => (await background()) === light, 'the light theme again');

  // A toast from one page does not follow the reader to the next.
  const host = await registerViaApi(newUser('toast'));
  const event = await createEventViaApi(host, { name: `Toast talk ${runId}`, event_time: daysFromNow(3009) });
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
  await page.goto(`${BASE}/#/events/${event.id}`);
  await see(h1(page, event.name), 'the event page');
  await page.getByRole('button', { name: 'Copy link' }).click();
  await see(page.getByText('The link to this event is copied.'), 'the toast');
  await page.waitForTimeout(1600);
  await page.getByRole('link', { name: 'Posts', exact: true }).click();
  await see(h1(page, 'Posts'), 'the posts page');
  await gone(page.getByText('The link to this event is copied.'), 'the toast after navigating away');
});

journey('keyboard only: buy tickets, comment, copy the link; focus follows each result; errors offer Retry', async (j, browser) => {
  const host = await registerViaApi(newUser('keys'));
  const buyer = newUser('kbd');
  await registerViaApi(buyer);
  const event = await createEventViaApi(host, { name: `Keyboard gig ${runId}`, event_time: daysFromNow(3008), max_tickets: 10 });
  const { context, page } = await openSession(browser, j, { expectStatuses: [503] });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
  await logInInUi(page, buyer);
  await page.goto(`${BASE}/#/events/${event.id}`);
  await see(h1(page, event.name), 'the event page');

  // Tab to the quantity, type, Enter: nothing but the keyboard.
  const focusedName = () => page.evaluate(() => document.activeElement?.getAttribute('name'));
  for (let presses = 0; presses < 60 && (await focusedName()) !== 'quantity'; presses += 1) await page.keyboard.press('Tab');
  if ((await focusedName()) !== 'quantity') fail('Tab never reached the number of tickets');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('2');
  await page.keyboard.press('Enter');
  await see(page.getByText('8 of 10 tickets left'), 'the purchase made with the keyboard');
  await until(async () => page.evaluate(() => document.activeElement?.classList.contains('tickets-count')), 'focus on the tickets left after buying');

  // Posting a comment leaves focus on it.
  await page.getByLabel('Your comment').fill('Typed without a mouse.');
  await page.getByRole('button', { name: 'Post comment' }).click();
  const mine = page.getByRole('listitem').filter({ hasText: 'Typed without a mouse.' });
  await see(mine, 'the new comment');
  await until(async () => mine.evaluate((el) => el === document.activeElement), 'focus on the new comment');

  // The link goes to the clipboard.
  await page.getByRole('button', { name: 'Copy link' }).click();
  await see(page.getByText('The link to this event is copied.'), 'the copy confirmed');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  if (copied !== `${BASE}/#/events/${event.id}`) fail(`the clipboard holds ${copied}`);

  // A failing list offers Retry, and Retry loads it.
  let failures = 0;
  await page.route('**/events/?*', async (route) => {
    if (route.request().resourceType() === 'fetch' && failures < 1) {
      failures += 1;
      await route.fulfill({ status: 503, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ detail: 'busy', code: 'unavailable' }) });
      return;
    }
    await route.continue();
  });
  await page.goto(`${BASE}/#/events?when=all&search=${encodeURIComponent(`keyboard gig ${runId}`)}`);
  await see(page.getByRole('alert').filter({ hasText: 'temporarily unavailable' }), 'the error');
  await page.getByRole('button', { name: 'Retry' }).click();
  await see(page.getByRole('link', { name: event.name }), 'the list after Retry');
});

journey('an ended session keeps the comment being written and the user name, and returns to both', async (j, browser) => {
  const host = await registerViaApi(newUser('draft'));
  const writer = await registerViaApi(newUser('writer'));
  const event = await createEventViaApi(host, { name: `Draft rescue ${runId}`, event_time: daysFromNow(3009) });
  const { page } = await openSession(browser, j, { expectStatuses: [401] });
  await logInInUi(page, writer);
  await page.goto(`${BASE}/#/events/${event.id}`);
  await see(h1(page, event.name), 'the event page');
  const words = 'Half a thought about the venue, and another half I must not lose.';
  await page.getByLabel('Your comment').fill(words);

  // The session ends while the page sits idle (here: the password changed elsewhere); the badge's next
  // poll finds out.
  await api('PUT', `/users/${writer.id}`, { token: writer.token, json: { username: writer.username, email: writer.email, password: `${writer.password}-new` } });
  await see(page.getByRole('alert').getByText('Your session has ended. Please log in again.'), 'the session-ended message', POLL_WAIT);
  if ((await page.getByLabel('Username').inputValue()) !== writer.username) fail('the user name is not filled in');
  await page.getByLabel('Password').fill(`${writer.password}-new`);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await see(h1(page, event.name), 'the event page again after logging in');
  await until(async () => (await page.getByLabel('Your comment').inputValue()) === words, 'the unsent comment back in its field');
  await see(page.getByText('What you were writing before your session ended is back.'), 'a word that it was kept');
});

journey('a bad e-mail address is explained beside the e-mail field', async (j, browser) => {
  const taken = await registerViaApi(newUser('taken'));
  const user = newUser('mail');
  const { page } = await openSession(browser, j, { expectStatuses: [400, 409] });
  await registerInUi(page, { ...user, email: 'not-an-email' });
  const email = page.getByLabel('E-mail');
  await until(async () => (await accessibleDescription(email)).includes('Enter a valid e-mail address'), 'the e-mail field\'s description to explain the error');
  if ((await email.getAttribute('aria-invalid')) !== 'true') fail('the e-mail field is not aria-invalid');
  if ((await page.getByLabel('Username').getAttribute('aria-invalid')) === 'true') fail('the username field is marked invalid too');
  await see(page.getByRole('alert').filter({ hasText: 'Please correct the marked fields.' }), 'the form-level alert');
  if (!(await email.evaluate((el) => el === document.activeElement))) fail('focus did not move to the e-mail field');

  // A taken user name is shown beside the username field.
  await page.getByLabel('Username').fill(taken.username.toUpperCase());
  await email.fill(user.email);
  await page.getByRole('button', { name: 'Create account' }).click();
  const username = page.getByLabel('Username');
  await until(async () => (await accessibleDescription(username)).includes('This username is taken'), 'the username field to say it is taken');

  // Fixing it registers and logs in.
  await username.fill(user.username);
  await page.getByRole('button', { name: 'Create account' }).click();
  await see(page.getByRole('link', { name: user.username }), 'the new user\'s name in the header');
});

journey('markup in user text stays text everywhere', async (j, browser) => {
  const payload = '<img src=x onerror=alert(1)>';
  const owner = newUser('own');
  const writer = await registerViaApi(newUser('xss', { full_name: '<script>alert(2)</script>' }));
  const a = await openSession(browser, j);
  await registerInUi(a.page, owner);
  await see(a.page.getByRole('button', { name: 'Log out' }), 'the logged-in header');
  await landed(a.page);
  // The event name is entered through the form.
  await a.page.goto(`${BASE}/#/events/new`);
  await see(h1(a.page, 'New event'), 'the new-event form');
  await a.page.getByLabel('Name').fill(payload);
  await a.page.getByLabel('Starts at').fill('2032-01-10T12:00');
  await a.page.getByLabel('Description').fill(`<b>not bold</b> ${payload}`);
  await a.page.getByRole('button', { name: 'Create event' }).click();
  await see(h1(a.page, payload), 'the event name as literal text in the heading');
  const eventId = Number(/#\/events\/(\d+)/.exec(a.page.url())[1]);
  await until(async () => (await a.page.title()).startsWith(payload), 'the document title to start with the literal name');

  // A comment with the same text, by someone whose full name is a script tag.
  const b = await openSession(browser, j);
  await logInInUi(b.page, writer);
  await b.page.goto(`${BASE}/#/events/${eventId}`);
  await b.page.getByLabel('Your comment').fill(payload);
  await b.page.getByRole('button', { name: 'Post comment' }).click();
  await see(b.page.getByText(payload, { exact: true }).nth(1), 'the comment as literal text');
  await see(b.page.getByText(`<b>not bold</b> ${payload}`, { exact: true }), 'the description as literal text');

  // In the events list (found by searching for its words) and in the organiser's notifications.
  await b.page.goto(`${BASE}/#/events?search=${encodeURIComponent('img onerror alert')}`);
  await see(b.page.getByRole('link', { name: payload, exact: true }), 'the literal name in the events list');
  await a.page.goto(`${BASE}/#/notifications`);
  await see(a.page.getByText(`<script>alert(2)</script> commented on "${payload}"`, { exact: true }), 'the notification message as literal text');
  await see(a.page.getByText('<script>alert(2)</script>', { exact: true }), 'the sender text as literal text');

  await a.page.waitForTimeout(500);
  for (const { page } of [a, b]) {
    const images = await page.locator('img[src="x"], main script, main b').count();
    if (images > 0) fail(`${images} element(s) were created from user text`);
  }
  if (j.dialogs.length) fail(`a dialog opened: ${j.dialogs.join(', ')}`);
});

journey('a Chinese browser gets Chinese, and the header switches language', async (j, browser) => {
  const { page } = await openSession(browser, j, { locale: 'zh-CN' });
  await page.goto(`${BASE}/`);
  await see(h1(page, '活动'), 'the Chinese heading 活动');
  const nav = page.getByRole('navigation', { name: '主导航' });
  await see(nav.getByRole('link', { name: '帖子' }), 'the Chinese navigation');
  await see(page.getByRole('link', { name: '登录' }), 'the Chinese login link');
  if ((await page.evaluate(() => document.documentElement.lang)) !== 'zh-CN') fail('<html lang> is not zh-CN');
  if (!(await page.title()).startsWith('活动')) fail(`the title is ${await page.title()}`);

  // Every language defines every key English has.
  const missing = await page.evaluate(async () => {
    const tags = document.querySelector('meta[name="plaza-locales"]').content.split(',');
    const english = (await import('/app/src/i18n/en.js')).default;
    const report = [];
    for (const tag of tags) {
      const messages = (await import(`/app/src/i18n/${tag}.js`)).default;
      const lacking = Object.keys(english).filter((key) => !(key in messages));
      if (lacking.length) report.push(`${tag}: ${lacking.join(', ')}`);
    }
    return report;
  });
  if (missing.length) fail(`untranslated keys: ${missing.join('; ')}`);

  await page.getByLabel('语言').focus();
  await page.getByLabel('语言').selectOption('en');
  await see(h1(page, 'Events'), 'the English heading after switching');
  await see(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Posts' }), 'the English navigation');
  if ((await page.evaluate(() => document.documentElement.lang)) !== 'en') fail('<html lang> did not follow the switch');
  if (!(await page.getByLabel('Language').evaluate((el) => el === document.activeElement))) fail('focus left the language switcher');

  // Every page, in Chinese at desktop width, has no accessibility violation axe can find.
  await page.getByLabel('Language').selectOption('zh-CN');
  await see(h1(page, '活动'), 'Chinese for the sweep');
  for (const route of ['/#/events', '/#/login', '/#/register', '/#/posts', '/#/users', '/#/no-such-page']) {
    await gotoPage(page, route);
    await pageBasics(page, `${route} in Chinese`);
  }
  await gotoPage(page, '/#/events');
  await page.getByLabel('语言').selectOption('en');
  await see(h1(page, 'Events'), 'English again');

  await page.reload();
  await see(h1(page, 'Events'), 'English kept after a reload');
  await page.getByLabel('Language').focus();
  await page.getByLabel('Language').selectOption('zh-CN');
  await see(h1(page, '活动'), 'Chinese again');
});

journey('logging out protects pages, and a revoked session ends with a message', async (j, browser) => {
  const user = await registerViaApi(newUser('out'));
  const { page } = await openSession(browser, j, { expectStatuses: [401] });
  await logInInUi(page, user);

  // The keyboard: the first Tab reaches "Skip to content", which moves focus to the main content; following
  // a link moves focus to the new page's heading.
  await page.goto(`${BASE}/#/posts`);
  await page.reload();
  await see(h1(page, 'Posts'), 'the posts page');
  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => document.activeElement?.textContent);
  if (first !== 'Skip to content') fail(`the first Tab reached "${first}", not "Skip to content"`);
  await page.keyboard.press('Enter');
  if (!(await page.evaluate(() => document.activeElement?.id === 'main'))) fail('"Skip to content" did not move focus to the main content');
  await page.getByRole('link', { name: 'Notifications', exact: true }).focus();
  await page.keyboard.press('Enter');
  await see(h1(page, 'Notifications'), 'the notifications page while logged in');
  await until(() => page.evaluate(() => document.activeElement?.tagName === 'H1' && document.activeElement.textContent === 'Notifications'), 'focus to move to the new page\'s h1');

  await page.getByRole('button', { name: 'Log out' }).click();
  await see(page.getByRole('link', { name: 'Log in' }), 'the "Log in" link');
  await see(page.getByRole('status').getByText('You have logged out.'), 'the logged-out message');
  if (await page.evaluate(() => localStorage.getItem('plaza.session'))) fail('the token is still stored');

  for (const route of ['/#/notifications', '/#/settings', '/#/events/new']) {
    await page.goto(`${BASE}${route}`);
    await see(h1(page, 'Log in'), `the login page instead of ${route}`);
    await see(page.getByText('Log in to continue.'), 'the reason to log in');
  }
  // Logging in from there leads back to the page that was asked for.
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await see(h1(page, 'New event'), 'the page asked for before logging in');

  // A password change elsewhere revokes this session's token: the next call ends the session.
  await api('PUT', `/users/${user.id}`, { token: user.token, json: { username: user.username, email: user.email, password: `${user.password}-new` } });
  // The live stream may end the session first (its `end` event says `signed_out`), and the header then no
  // longer has the link; otherwise the call the link makes ends it. Either way the message below follows.
  await page.getByRole('link', { name: 'Notifications', exact: true }).click({ timeout: 3000 }).catch(() => {});
  await see(page.getByRole('alert').getByText('Your session has ended. Please log in again.'), 'the session-ended message', POLL_WAIT);
  await see(h1(page, 'Log in'), 'the login page after the session ended');
  await see(page.getByRole('link', { name: 'Log in' }), 'the logged-out header');
});

journey('a session lasts: renewed before it expires, Remember me, each device listed and signed out, in English and Chinese', async (j, browser) => {
  const user = await registerViaApi(newUser('stay'));
  const { page } = await openSession(browser, j, { expectStatuses: [401] });
  // The page's clock is ours to move: half an hour passes in a moment.
  await page.clock.install();
  await page.goto(`${BASE}/#/login`);
  await see(h1(page, 'Log in'), 'the login page');
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByLabel('Keep me signed in on this device').check();
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await see(page.getByRole('button', { name: 'Log out' }), 'the "Log out" button');
  const saved = () => page.evaluate(() => JSON.parse(localStorage.getItem('plaza.session')));
  const first = await saved();
  if (typeof first.refreshToken !== 'string' || first.remember !== true) fail('the session was not kept with its refresh token and "Remember me"');

  // The access token lasts 30 minutes; 29½ minutes later the page has renewed it by itself.
  await page.clock.fastForward('29:30');
  await until(async () => (await saved()).refreshToken !== first.refreshToken, 'the session to be renewed before the token expired');
  const renewed = await saved();
  if (renewed.sessionId !== first.sessionId) fail('renewing started another session');
  await page.getByRole('link', { name: 'Notifications', exact: true }).click();
  await see(h1(page, 'Notifications'), 'the notifications page with the renewed token');
  const [session] = (await api('GET', '/users/me/sessions', { token: renewed.token })).filter((item) => item.current);
  if (!session?.remember_me) fail(`the server does not list a remembered session: ${JSON.stringify(session)}`);

  // A second device; the first lists both and signs the second out.
  const phone = await openSession(browser, j, { expectStatuses: [401], userAgent: 'PlazaTest Phone' });
  await logInInUi(phone.page, user);
  await page.goto(`${BASE}/#/settings`);
  await see(page.getByRole('heading', { name: 'Where you are signed in' }), 'the list of sessions');
  await see(page.getByText('This device'), 'this device marked');
  await see(page.getByRole('heading', { name: 'PlazaTest Phone' }), 'the phone listed by its name');
  await page.getByRole('button', { name: 'Sign out PlazaTest Phone' }).click();
  await gone(page.getByRole('heading', { name: 'PlazaTest Phone' }), 'the phone in the list');
  await see(page.getByRole('status').getByText('PlazaTest Phone was signed out.'), 'the sign-out announced');
  await phone.page.getByRole('link', { name: 'Notifications', exact: true }).click();
  await see(phone.page.getByRole('alert').getByText('Your session has ended. Please log in again.'), 'the phone told its session ended');

  // Logging out ends the session on the server too: its token is refused from then on.
  await page.getByRole('button', { name: 'Log out' }).click();
  await see(page.getByRole('link', { name: 'Log in' }), 'the "Log in" link');
  await until(async () => (await fetch(`${BASE}/users/me`, { headers: { Authorization: `Bearer ${renewed.token}` } })).status === 401, 'the logged-out token to be refused');

  // The same in Chinese.
  const zh = await openSession(browser, j, { locale: 'zh-CN' });
  await zh.page.goto(`${BASE}/#/login`);
  await see(h1(zh.page, '登录'), 'the Chinese login page');
  await zh.page.getByLabel('用户名').fill(user.username);
  await zh.page.getByLabel('密码').fill(user.password);
  await zh.page.getByLabel('在此设备上保持登录').check();
  await zh.page.getByRole('button', { name: '登录', exact: true }).click();
  await see(zh.page.getByRole('button', { name: '退出登录' }), 'the Chinese "Log out" button');
  await zh.page.goto(`${BASE}/#/settings`);
  await see(zh.page.getByRole('heading', { name: '已登录的设备' }), 'the Chinese list of sessions');
  await see(zh.page.getByText('此设备'), 'this device marked in Chinese');
  await see(zh.page.getByText('保持登录', { exact: false }).first(), 'the remembered session marked in Chinese');
});

journey('the API docs authorize with a password and call GET /users/me', async (j, browser) => {
  const user = await registerViaApi(newUser('docs', { full_name: 'Dora Docs' }));
  const spec = await api('GET', '/openapi.json');
  if (!spec?.paths?.['/users/me']?.get) fail('/openapi.json does not describe GET /users/me yet, so /docs cannot list it');
  const { page } = await openSession(browser, j);
  await page.goto(`${BASE}/docs`);
  const authorize = page.getByRole('button', { name: 'Authorize' });
  await see(authorize, 'Swagger UI\'s "Authorize" button', 30_000);
  await authorize.first().click();
  // Swagger UI's modal has no dialog role; its heading names it.
  const dialog = page.locator('.modal-ux').filter({ has: page.getByRole('heading', { name: 'Available authorizations' }) });
  await see(dialog, 'the "Available authorizations" dialog');
  await dialog.getByLabel('username:').fill(user.username);
  await dialog.getByLabel('password:').fill(user.password);
  // The button reads "Authorize"; its accessible name is "Apply given OAuth2 credentials".
  await dialog.getByRole('button', { name: /^(Authorize|Apply given OAuth2 credentials)$/ }).click();
  await see(dialog.getByRole('button', { name: /^(Logout|Remove authorization)$/ }), 'the authorized state (a "Logout" button) in the dialog', 20_000);
  // One Close button per security scheme (OAuth2 and the pasted bearer token): any closes the dialog.
  await dialog.getByRole('button', { name: 'Close' }).first().click();

  const operation = page.locator('.opblock').filter({ has: page.locator('.opblock-summary-method', { hasText: /^GET$/ }) }).filter({ has: page.locator('.opblock-summary-path', { hasText: /^\/users\/me$/ }) });
  await see(operation, 'the GET /users/me operation');
  await operation.getByRole('button', { expanded: false }).first().click();
  // "Try it out" is on by default in Plaza's configuration; press it when it is offered.
  const tryItOut = operation.getByRole('button', { name: 'Try it out' });
  if (await tryItOut.count()) await tryItOut.click();
  await operation.getByRole('button', { name: 'Execute' }).click();
  const responses = operation.locator('.live-responses-table');
  await until(async () => (await responses.innerText()).includes(`"username": "${user.username}"`), 'the user\'s name in the response body', 20_000);
  const text = await responses.innerText();
  if (!text.includes('"full_name": "Dora Docs"')) fail('the response body lacks the full name');
  if (!/^\s*200\b/m.test(text)) fail(`the response was not 200: ${text.slice(0, 200)}`);
});

journey('a member edits their profile, avatar, password, posts and events', async (j, browser) => {
  const user = await registerViaApi(newUser('member', { full_name: 'Mia Member' }));
  const event = await createEventViaApi(user, { name: `Book swap ${runId}`, max_tickets: 20, event_time: daysFromNow(3002), description: 'Bring one, take one.' });
  const { page } = await openSession(browser, j, { expectStatuses: [415] });
  await logInInUi(page, user);

  // Profile and avatar.
  await page.getByRole('link', { name: user.username }).click();
  await see(h1(page, user.username), 'the own profile page');
  await see(page.getByText('Mia Member', { exact: true }), 'the full name on the profile');
  await page.getByRole('link', { name: 'Edit profile' }).click();
  await see(h1(page, 'Your account'), 'the account page');

  const picker = page.getByLabel('Choose a picture');
  const upload = page.getByRole('button', { name: 'Upload picture' });
  await picker.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a picture') });
  await until(async () => (await accessibleDescription(picker)).includes('Choose a PNG, JPEG, GIF or WebP image.'), 'the type check beside the picker');
  if (!(await upload.isDisabled())) fail('upload is possible with a text file');
  await picker.setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: Buffer.alloc(2 * 1024 * 1024 + 100 * 1024, 1) });
  await until(async () => (await accessibleDescription(picker)).includes('the limit is 2 MiB'), 'the size check beside the picker');
  // Looks like a PNG by its name and type, but the server reads the bytes: 415.
  await picker.setInputFiles({ name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('this is text pretending to be a PNG') });
  await see(page.getByRole('img', { name: 'Preview of the new picture' }), 'the preview of the chosen file');
  await upload.click();
  await until(async () => (await accessibleDescription(picker)).includes('it is not a PNG, JPEG, GIF or WebP image'), 'the server\'s 415 explained beside the picker');
  await picker.setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: gradientPng() });
  const preview = page.getByRole('img', { name: 'Preview of the new picture' });
  await see(preview, 'the preview of the real picture');
  if (!(await preview.getAttribute('src'))?.startsWith('blob:')) fail('the preview is not a local blob: URL');
  await upload.click();
  await see(page.getByRole('status').getByText('Your picture was updated.'), 'the upload confirmation');
  const headerAvatar = page.locator('header img.avatar');
  await until(async () => (await headerAvatar.getAttribute('src'))?.startsWith('/avatars/'), 'the new avatar in the header');
  await until(async () => page.evaluate(() => [...document.querySelectorAll('img.avatar:not([hidden])')].every((img) => img.complete && img.naturalWidth > 0)), 'the avatar images to load');
  const uploadedUrl = await headerAvatar.getAttribute('src');

  // Removing the picture asks first; afterwards the initial stands in, and the file is gone.
  const removePicture = page.getByRole('button', { name: 'Remove picture' });
  await removePicture.click();
  const asked = page.getByRole('dialog', { name: 'Remove your picture?' });
  await see(asked, 'the removal asked first');
  await asked.getByRole('button', { name: 'Cancel' }).click();
  if ((await headerAvatar.getAttribute('src')) !== uploadedUrl) fail('a cancelled removal changed the picture');
  await removePicture.click();
  await asked.getByRole('button', { name: 'Remove picture' }).click();
  await see(page.getByRole('status').getByText('Your picture was removed.'), 'the removal confirmed');
  await until(async () => (await page.locator('header img.avatar').count()) === 0 && (await page.locator('header .avatar-initial').count()) === 1, 'the initial in the header instead of the picture');
  if (await removePicture.isVisible()) fail('"Remove picture" still offered without a picture');
  const removedFile = await fetch(`${BASE}${uploadedUrl}`);
  if (removedFile.status !== 404) fail(`the removed picture still answers ${removedFile.status}`);

  await page.getByLabel('Full name').fill('Mia M. Member');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await see(page.getByRole('status').getByText('Your profile was saved.'), 'the profile saved');

  // Password: the confirmation must match; afterwards the session goes on with a new token.
  await page.getByLabel('New password').fill('a-brand-new-password');
  await page.getByLabel('Confirm password').fill('a-different-password');
  await page.getByRole('button', { name: 'Change password' }).click();
  await until(async () => (await accessibleDescription(page.getByLabel('Confirm password'))).includes('The passwords do not match.'), 'the mismatch explained beside the confirmation');
  await page.getByLabel('Confirm password').fill('a-brand-new-password');
  await page.getByRole('button', { name: 'Change password' }).click();
  await see(page.getByRole('status').getByText('Your password was changed.'), 'the password changed');
  await page.getByRole('link', { name: 'Notifications', exact: true }).click();
  await see(h1(page, 'Notifications'), 'a protected page still open after the password change');
  const fresh = await api('POST', '/token', { form: { username: user.username, password: 'a-brand-new-password' } });
  if (!fresh.access_token) fail('the new password does not log in');

  // Posts: write, filter to mine, delete (cancelling once).
  const title = `Reading list ${runId}`;
  await page.getByRole('link', { name: 'Posts', exact: true }).click();
  await page.getByText('Write a post').click();
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Text').fill('Three books for the winter:\n1. …\n2. …\n3. …');
  await page.getByRole('button', { name: 'Publish' }).click();
  await see(page.getByRole('link', { name: title }), 'the new post in the list');

  // Edit it in place: the form holds the post, only what changed is sent, and it then says "edited".
  await page.getByRole('link', { name: title }).click();
  await see(h1(page, title), 'the post page');
  // After a reload the session comes back after the page: the author's buttons still appear.
  await page.reload();
  await see(h1(page, title), 'the post page after a reload');
  await page.getByRole('button', { name: 'Edit' }).click();
  await see(h1(page, 'Edit post'), 'the edit form');
  if ((await page.getByLabel('Title').inputValue()) !== title) fail('the edit form does not hold the title');
  const editedTitle = `${title} (winter)`;
  const postPatch = page.waitForRequest((request) => request.method() === 'PATCH' && request.url().includes('/posts/'));
  await page.getByLabel('Title').fill(editedTitle);
  await page.getByRole('button', { name: 'Save changes' }).click();
  const sentPatch = (await postPatch).postDataJSON();
  if (JSON.stringify(sentPatch) !== JSON.stringify({ title: editedTitle })) fail(`the edit sent ${JSON.stringify(sentPatch)}, not only the new title`);
  await see(page.getByRole('status').getByText('Your post was saved.'), 'the edit saved');
  await see(h1(page, editedTitle), 'the new title on the post page');
  await see(page.locator('.page-post .meta .edited'), 'the post marked as edited');
  await page.getByRole('link', { name: 'All posts' }).click();

  await page.getByRole('link', { name: 'My posts' }).click();
  const mine = page.getByRole('listitem').filter({ has: page.getByRole('link', { name: editedTitle }) });
  await see(mine, 'the edited post under "My posts"');
  await see(mine.locator('.edited'), 'the edited mark in the list');
  await mine.getByRole('button', { name: `Delete “${editedTitle}”` }).click();
  const confirmPost = page.getByRole('dialog', { name: 'Delete this post?' });
  await see(confirmPost, 'the delete confirmation');
  await confirmPost.getByRole('button', { name: 'Cancel' }).click();
  await gone(confirmPost, 'the confirmation after cancelling');
  await see(mine, 'the post, still there after cancelling');
  await mine.getByRole('button', { name: `Delete “${editedTitle}”` }).click();
  await confirmPost.getByRole('button', { name: 'Delete post' }).click();
  await gone(page.getByRole('link', { name: editedTitle }), 'the deleted post');

  // Event: edit sends only what changed; delete asks first.
  const patches = [];
  page.on('request', (request) => {
    if (request.method() === 'PATCH') patches.push(request.postDataJSON());
  });
  await page.goto(`${BASE}/#/events/${event.id}`);
  await see(h1(page, event.name), 'the own event');
  await page.getByRole('link', { name: 'Edit' }).click();
  await see(h1(page, 'Edit event'), 'the edit form');
  await page.getByLabel('Name').fill(`${event.name} (winter edition)`);
  await page.getByLabel('Tickets available').fill('25');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await see(h1(page, `${event.name} (winter edition)`), 'the edited name');
  await see(page.getByText('25 of 25 tickets left'), 'the new capacity');
  if (patches.length !== 1 || Object.keys(patches[0]).sort().join(',') !== 'max_tickets,name') fail(`PATCH sent ${JSON.stringify(patches)}`);
  await page.getByRole('button', { name: 'Delete' }).click();
  const confirmEvent = page.getByRole('dialog', { name: 'Delete this event?' });
  await see(confirmEvent, 'the event delete confirmation');
  await confirmEvent.getByRole('button', { name: 'Delete event' }).click();
  await see(h1(page, 'Events'), 'the events list after deleting');
  const check = await fetch(`${BASE}/events/${event.id}`);
  if (check.status !== 404) fail(`the deleted event answers ${check.status}`);
});

journey('errors are explained: throttling, offline, server errors, missing pages', async (j, browser) => {
  const user = await registerViaApi(newUser('err'));
  const { context, page } = await openSession(browser, j, { expectStatuses: [404, 429, 500, 503], expectOffline: true });

  // Ten wrong passwords, then the login page says when to try again.
  for (let i = 0; i < 10; i += 1) {
    const response = await fetch(`${BASE}/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: user.username, password: 'wrong-password' }) });
    if (response.status !== 401) fail(`wrong password ${i + 1} answered ${response.status}`);
  }
  await page.goto(`${BASE}/#/login`);
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await see(page.getByRole('alert').filter({ hasText: /Too many attempts\. Try again in \d+ minutes?\./ }), 'the 429 with the time to wait');

  // Missing things.
  await page.goto(`${BASE}/#/events/987654321`);
  await see(h1(page, 'Event not found'), 'the missing-event page');
  await page.goto(`${BASE}/#/no/such/page`);
  await see(h1(page, 'Page not found'), 'the client\'s own not-found page');

  // A server error shows the request id to report; a busy database says to retry (answers simulated here).
  await page.route('**/events/?*', (route) => route.fulfill({ status: 500, headers: { 'X-Request-Id': 'req-journey-500' }, contentType: 'application/json', body: '{"detail":"internal error","code":"internal"}' }), { times: 1 });
  await page.goto(`${BASE}/#/events?skip=0`);
  await see(page.getByRole('alert').filter({ hasText: 'Something went wrong on the server. If you report this, quote request ID req-journey-500.' }), 'the 500 with its request id');
  await page.route('**/events/?*', (route) => route.fulfill({ status: 503, headers: { 'X-Request-Id': 'req-journey-503' }, contentType: 'application/json', body: '{"detail":"database unavailable","code":"unavailable"}' }), { times: 1 });
  await page.getByLabel('Search events').fill('anything');
  await see(page.getByRole('alert').filter({ hasText: 'Plaza is temporarily unavailable.' }), 'the 503 explained');

  // Offline: a clear message, and things work again once back online.
  await page.goto(`${BASE}/#/events`);
  await see(h1(page, 'Events'), 'the events page');
  await context.setOffline(true);
  await page.getByLabel('Search events').fill('offline test');
  await see(page.getByRole('alert').filter({ hasText: 'Plaza cannot be reached. Check your connection and try again.' }), 'the network failure explained');
  await context.setOffline(false);
  await page.getByLabel('Search events').fill('');
  await gone(page.getByRole('alert'), 'the network error after coming back online');
});

// ---------------------------------------------------------------- runner

async function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new JourneyError(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function main() {
  try {
    const health = await fetch(`${BASE}/health`, { signal: AbortSignal.timeout(10_000) });
    if (!health.ok) throw new Error(`/health answered ${health.status}`);
  } catch (error) {
    console.log(`FAIL - Plaza is not reachable at ${BASE}: ${error.message}`);
    console.log('journeys: 0 passed, 1 failed');
    process.exit(1);
  }

  if (options.screenshots) await mkdir(options.screenshots, { recursive: true });

  let browser;
  try {
    browser = await chromium.launch(LAUNCH);
  } catch (error) {
    console.log(`FAIL - Chromium cannot start (${CHROMIUM}): ${error.message.split('\n')[0]}`);
    console.log('journeys: 0 passed, 1 failed');
    process.exit(1);
  }

  const selected = options.only ? journeys.filter((item) => item.name.includes(options.only)) : journeys;
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const { name, run, skip } of selected) {
    if (skip) {
      skipped += 1;
      console.log(`skip - ${name}: ${skip}`);
      continue;
    }
    const state = { contexts: [], problems: [], dialogs: [] };
    let reason = null;
    try {
      await withTimeout(run(state, browser), JOURNEY_TIMEOUT, 'the journey');
      // Let late console messages arrive before judging.
      await new Promise((resolve) => setTimeout(resolve, 300));
      if (state.problems.length) reason = state.problems.join(' | ');
    } catch (error) {
      reason = error instanceof JourneyError ? error.message : (error?.stack ?? String(error)).split('\n').slice(0, 3).join(' ');
      if (state.problems.length) reason += ` | also: ${state.problems.join(' | ')}`;
    }
    if (reason) {
      // What each page showed when the journey failed: its alerts and status lines, in the log itself (the
      // screenshots stay on the machine that ran it).
      const shown = [];
      for (const context of state.contexts) {
        for (const page of context.pages()) {
          const texts = await page
            .evaluate(() => [...document.querySelectorAll('[role="alert"], [role="status"]')]
              .filter((element) => !element.hidden && element.offsetParent !== null && element.textContent.trim())
              .map((element) => element.textContent.trim().slice(0, 200)))
            .catch(() => []);
          shown.push(`${page.url().replace(BASE, '')} [${texts.join(' / ')}]`);
        }
      }
      if (shown.length) reason += ` | the pages showed: ${shown.join('; ')}`;
    }
    if (reason && options.failures) {
      await mkdir(options.failures, { recursive: true });
      const slug = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40);
      let n = 0;
      for (const context of state.contexts) {
        for (const page of context.pages()) {
          n += 1;
          await page.screenshot({ path: path.join(options.failures, `${slug}-${n}.png`), fullPage: true }).catch(() => {});
        }
      }
    }
    await Promise.all(state.contexts.map((context) => context.close().catch(() => {})));
    if (reason) {
      failed += 1;
      console.log(`FAIL - ${name}: ${reason.replace(/\s+/g, ' ')}`);
    } else {
      passed += 1;
      console.log(`ok - ${name}`);
    }
  }
  await browser.close().catch(() => {});
  console.log(`journeys: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed > 0 ? 1 : 0);
}

await main();
