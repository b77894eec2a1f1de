// Keeps the client's page for the next visit, so that a later visit asks the network only for data.
//
// The server writes this build's version into the script, so every release is a new worker: the
// browser installs it beside the old one, it stores the new page, and from then on serves that page. The
// page's scripts and styles need no copy here: they are named under the version and cached for good by
// the browser's own cache. Nothing but the page is answered from here; every API request, and every
// other navigation, goes to the network untouched.
const VERSION = '%PLAZA_VERSION%';
const CACHE = `plaza-page-${VERSION}`;
const PAGE = '/';

/** The page, kept only if it is this worker's own build: during a rolling release another instance may
 * still answer with the previous page, and keeping that one would serve it for the whole release. A
 * failed install is tried again at the next visit. */
async function keepPage() {
  const response = await fetch(new Request(PAGE, { cache: 'no-store' }));
  if (!response.ok) throw new Error(`the page answered ${response.status}`);
  const text = await response.clone().text();
  if (!text.includes(`/app/v-${VERSION}`)) throw new Error('the page is of another build');
  const cache = await caches.open(CACHE);
  await cache.put(PAGE, response);
}

self.addEventListener('install', (event) => {
  event.waitUntil(keepPage().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name.startsWith('plaza-page-') && name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.mode !== 'navigate' || request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname !== PAGE) return;
  event.respondWith(
    caches
      .open(CACHE)
      .then((cache) => cache.match(PAGE))
      // Not stored (yet, or the storage was cleared): the network, as without a worker.
      .then((stored) => stored ?? fetch(request))
      .catch(() => fetch(request)),
  );
});
