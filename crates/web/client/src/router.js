// A hash router: client routes live in the fragment (`/#/events/5?cskip=10`), so they can never shadow
// the API's own paths (`/events/5`).
//
// A route is a pattern (`/events/:id`) and a lazy page module. A page module's default export is called
// with a context and returns { el, title, ready?, onQuery?, destroy? }:
// - el: the page's element, mounted at once (it may show a loading state);
// - title: the document title (a page may change it later through ctx.setTitle);
// - ready: a promise settled when the page has its data; focus moves to its <h1> after it;
// - onQuery(query): when only the query part changes (paging, search), the page updates in place;
// - destroy(): called when the page is left. ctx.signal is aborted then too.

const routes = [];
let outlet = null;
let current = null;
let generation = 0;
let hooks = { guard: () => null, afterRender: () => {} };
let firstRender = true;
/** Set when the next render must build the page afresh (not hand the query to the current page). */
let forced = false;

/** Registers `pattern` (`/events/:id`) for a page module loaded by `load()`. Options: { auth: true }. */
export function route(pattern, load, options = {}) {
  const names = [];
  const source = pattern
    .split('/')
    .map((part) => {
      if (part.startsWith(':')) {
        names.push(part.slice(1));
        return '([^/]+)';
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  routes.push({ pattern, regex: new RegExp(`^${source}/?$`), names, load, options });
}

/** Starts loading the module of the page the address names, without rendering it: the first page's
 * code then arrives while the language loads, not after it. */
export function preloadCurrentPage() {
  match(location().path)?.route.load().catch(() => {});
}

/** The current location: { path, query: URLSearchParams }. */
export function location() {
  const raw = window.location.hash.replace(/^#/, '') || '/';
  const at = raw.indexOf('?');
  const path = at === -1 ? raw : raw.slice(0, at);
  const query = new URLSearchParams(at === -1 ? '' : raw.slice(at + 1));
  return { path: path.startsWith('/') ? path : `/${path}`, query };
}

/** `#/path?query` for links. `query` is an object (empty values left out) or URLSearchParams. */
export function href(path, query) {
  const params = query instanceof URLSearchParams ? query : new URLSearchParams();
  if (!(query instanceof URLSearchParams)) {
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== null && value !== undefined && value !== '' && value !== false) params.set(key, String(value));
    }
  }
  const search = params.toString();
  return `#${path}${search ? `?${search}` : ''}`;
}

/**
 * Goes to `to` (`/events/5?x=1`). `replace` keeps the history entry; `force` renders the page afresh even
 * when it is the current one (after logging in or out, what it shows has changed).
 */
export function navigate(to, { replace = false, force = false } = {}) {
  if (force) forced = true;
  const target = `#${to.startsWith('/') ? to : `/${to}`}`;
  if (target === window.location.hash) {
    render();
  } else if (replace) {
    window.history.replaceState(null, '', target);
    render();
  } else {
    window.location.hash = target;
  }
}

/** Updates the query of the current route without a history entry and without re-rendering (search as you type). */
export function replaceQuery(query) {
  window.history.replaceState(null, '', href(location().path, query));
}

/** The current location as `/path?query`, for ?next= links. */
export function currentTarget() {
  const { path, query } = location();
  const search = query.toString();
  return `${path}${search ? `?${search}` : ''}`;
}

function match(path) {
  for (const candidate of routes) {
    const found = candidate.regex.exec(path);
    if (found) {
      const params = {};
      candidate.names.forEach((name, index) => {
        params[name] = decodeURIComponent(found[index + 1]);
      });
      return { route: candidate, params };
    }
  }
  return null;
}

/** Starts routing into `element`. hooks.guard(route, location) may return a path to redirect to. */
export function start(element, options = {}) {
  outlet = element;
  hooks = { ...hooks, ...options };
  window.addEventListener('hashchange', () => render());
  rememberScroll();
  return render();
}

/** Keeps the scroll position in the history entry, so that Back (or a reload) returns to where the reader
 * was in a list instead of to its top. */
function rememberScroll() {
  if ('scrollRestoration' in window.history) window.history.scrollRestoration = 'manual';
  let pending = false;
  window.addEventListener('scroll', () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      window.history.replaceState({ ...(window.history.state ?? {}), scroll: window.scrollY }, '');
    });
  }, { passive: true });
}

/** Where this history entry was scrolled to when the reader left it; null for an entry never shown. */
const savedScroll = () => {
  const value = window.history.state?.scroll;
  return typeof value === 'number' ? value : null;
};

/** Renders the current location again (e.g. after the language changed). */
export function refresh() {
  forced = true;
  const focusWasInPage = outlet?.contains(document.activeElement);
  return render({ keepFocus: true }).then(() => {
    // the old page is gone: don't leave focus on <body>
    if (focusWasInPage) focusHeading(outlet);
  });
}

export async function render({ keepFocus = false } = {}) {
  const loc = location();
  const found = match(loc.path) ?? match('/404');
  const key = `${found.route.pattern}|${JSON.stringify(found.params)}`;

  const fresh = forced;
  forced = false;
  if (!fresh && current && current.key === key && current.page.onQuery) {
    current.page.onQuery(loc.query);
    return;
  }

  const redirect = hooks.guard(found.route, loc);
  if (redirect) {
    navigate(redirect, { replace: true });
    return;
  }

  generation += 1;
  const mine = generation;
  // Only the page the app opens on keeps focus where the browser put it; every later one takes it, even
  // when the reader moved on before the first page had its data.
  const opening = firstRender;
  firstRender = false;
  // Read before this render scrolls to the top (which records 0 in the entry).
  const returning = keepFocus ? null : savedScroll();
  if (current) {
    current.controller.abort();
    current.page.destroy?.();
  }
  current = null;

  const module = await found.route.load();
  if (mine !== generation) return;

  const controller = new AbortController();
  const ctx = {
    params: found.params,
    query: loc.query,
    signal: controller.signal,
    setTitle: (title) => {
      if (mine === generation) setDocumentTitle(title);
    },
  };
  const page = module.default(ctx);
  current = { key, page, controller };
  outlet.replaceChildren(page.el);
  setDocumentTitle(page.title);
  if (!keepFocus) window.scrollTo(0, 0);
  hooks.afterRender(found.route, loc);

  try {
    await page.ready;
  } catch {
    // the page shows its own error
  }
  if (mine !== generation) return;
  hooks.afterReady?.(found.route, loc);
  // A page may know better where the reader is headed (the comment a notification announced).
  if (!opening && !keepFocus && !page.focus?.()) focusHeading(outlet, { preventScroll: returning !== null });
  if (returning !== null) window.scrollTo(0, returning);
}

/** Moves focus to the page's h1, so keyboard and screen reader users start at the new content. */
export function focusHeading(container = outlet, { preventScroll = false } = {}) {
  const heading = container?.querySelector('h1');
  if (!heading) return;
  heading.setAttribute('tabindex', '-1');
  heading.focus({ preventScroll });
}

let siteName = 'Plaza';
export function setSiteName(name) {
  siteName = name;
}

function setDocumentTitle(title) {
  // document.title is text: a title such as "<img …>" stays those characters.
  document.title = title ? `${title} · ${siteName}` : siteName;
}
