// Service worker: precaches the site (module, data, pages) on the first visit
// so it keeps working offline; scripts/build-site.mjs fills in the version and
// the file list, so a new build replaces the cache.
const VERSION = '__FTCONFIG_VERSION__';
const FILES = [/* __FTCONFIG_FILES__ */];
const CACHE = `ftconfig-${VERSION}`;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('ftconfig-') && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

// Cache first (the cache is replaced as a whole by a new version), network
// for anything not precached. The query string is the request, not the file.
self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(caches.open(CACHE)
    .then((cache) => cache.match(request, { ignoreSearch: true }))
    .then((hit) => hit || fetch(request)));
});
