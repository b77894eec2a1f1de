// The first thing the page runs, written into it by the server (so it costs no request, and the policy
// allows it by its hash). It starts, in parallel with the client's script, what the first screen will
// wait for, so that on a slow network the page costs two round trips instead of four:
// - the reader's language: chosen here once (a saved choice, else the browser's languages), and its
//   messages preloaded;
// - the first public answer the page will ask for (today the event page's overview), fetched at once
//   and handed to the client's API layer, which takes it instead of asking again.
// It also registers the service worker that keeps the page for the next visit.
(function () {
  'use strict';
  var FALLBACK = 'en';
  var CHOICE_KEY = 'plaza.locale';
  var TAG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
  // The event page asks for its first page of comments with the event; the client uses the same size.
  var COMMENTS_PER_PAGE = 20;

  function meta(name) {
    var element = document.querySelector('meta[name="' + name + '"]');
    return element ? element.getAttribute('content') || '' : '';
  }

  var assets = meta('plaza-assets');
  var available = meta('plaza-locales')
    .split(',')
    .map(function (tag) { return tag.trim(); })
    .filter(function (tag) { return TAG.test(tag); });
  if (available.length === 0) available = [FALLBACK];

  /** The best of the available languages for the preferred tags: exact (any case), then the same base
   * language, then English. */
  function negotiate(preferred) {
    var lower = available.map(function (tag) { return tag.toLowerCase(); });
    var i;
    var at;
    for (i = 0; i < preferred.length; i += 1) {
      at = lower.indexOf(String(preferred[i]).toLowerCase());
      if (at !== -1) return available[at];
    }
    for (i = 0; i < preferred.length; i += 1) {
      var base = String(preferred[i]).toLowerCase().split('-')[0];
      for (at = 0; at < lower.length; at += 1) {
        if (lower[at].split('-')[0] === base) return available[at];
      }
    }
    return available.indexOf(FALLBACK) !== -1 ? FALLBACK : available[0];
  }

  function savedChoice() {
    try {
      var saved = window.localStorage.getItem(CHOICE_KEY);
      return saved && available.indexOf(saved) !== -1 ? saved : null;
    } catch (error) {
      return null;
    }
  }

  var locale = savedChoice() || negotiate(navigator.languages || [navigator.language || FALLBACK]);
  var preload = document.createElement('link');
  preload.rel = 'modulepreload';
  preload.href = assets + '/src/i18n/' + locale + '.js';
  document.head.appendChild(preload);

  /** What the first screen of the route in the address's fragment will ask for, if it is known here. */
  function firstRead(fragment) {
    var raw = fragment.replace(/^#/, '');
    var at = raw.indexOf('?');
    var path = at === -1 ? raw : raw.slice(0, at);
    var query = new URLSearchParams(at === -1 ? '' : raw.slice(at + 1));
    var event = /^\/events\/([1-9][0-9]{0,17})$/.exec(path); // as isId in components/page.js
    if (event && !query.has('comment_at')) {
      var cskip = query.get('cskip');
      var skip = cskip !== null && /^\d{1,9}$/.test(cskip) ? Number(cskip) : 0; // as dom.js's intParam
      return '/events/' + event[1] + '/overview?skip=' + skip + '&limit=' + COMMENTS_PER_PAGE;
    }
    return null;
  }

  var early = {};
  var url = firstRead(window.location.hash);
  if (url) {
    early[url] = fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' });
    // Not taken (another route drew first): a failure here must not surface as an unhandled rejection.
    early[url].catch(function () {});
  }

  window.plazaBoot = { locale: locale, early: early };

  if ('serviceWorker' in navigator && window.isSecureContext) {
    window.addEventListener('load', function () {
      navigator.serviceWorker.register(assets.replace(/\/v-[0-9a-f]+$/, '') + '/sw.js', { scope: '/' }).catch(function () {});
    });
  }
})();
