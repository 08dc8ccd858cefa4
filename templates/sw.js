// The service worker: what lets an officer log a deflection with no signal.
// What is kept, and nothing else: the static assets (public files) and the officer's log form
// (the page shell from CONFIG.shell: their partners and their name, never a client), for the
// officer it was made for and for CONFIG.shellMaxAgeHours. Pages are always fetched from the
// network first; with no signal a page is answered with the shell. Nothing else is cached:
// every other answer may name a client. The deflections themselves wait in IndexedDB,
// encrypted, kept by the page's script (static/js/offline.js), never here.
"use strict";
const CONFIG = {{ config|safe }};
{% verbatim %}
const STATIC_CACHE = "deflection-static-" + CONFIG.version;
// offline.js deletes it when the officer signs out.
const SHELL_CACHE = "deflection-shell";
const SAVED_AT = "X-Shell-Saved-At";
const VERSION = "X-Shell-Version";
// The shell is fetched again after this long, so its partners and defaults stay current.
const REFRESH_MS = 60 * 60 * 1000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(STATIC_CACHE)
      .then((cache) => cache.addAll(CONFIG.assets))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    // A shell drawn for the previous assets refers to their URLs: fetch it again (the
    // officer may be signed out now: then the old assets stay until it can be).
    await refreshShell(null);
    const kept = await keptShell();
    if (!kept || kept.headers.get(VERSION) === CONFIG.version) await dropOldAssets();
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  const message = event.data || {};
  const user = String(message.user || "");
  if (message.type === "user") {
    // Someone signed in on this page: another officer's shell is not theirs to see.
    event.waitUntil(forgetShellUnlessFor(user));
  } else if (message.type === "keep-shell") {
    // An officer's page, with signal: keep their log form for when there is none.
    event.waitUntil(forgetShellUnlessFor(user).then(() => refreshShell(user)));
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;  // posts go to the network, as without a worker
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith(CONFIG.staticPrefix)) {
    event.respondWith(staticAsset(request));
  } else if (request.mode === "navigate") {
    event.respondWith(pageOrShell(request));
  }
  // Anything else (htmx fragments, the manifest, this script): the network only.
});

async function staticAsset(request) {
  const kept = await caches.match(request, { ignoreVary: true });
  if (kept) return kept;
  const response = await fetch(request);
  const path = new URL(request.url).pathname;
  if (response.ok && CONFIG.assets.includes(path)) {
    const cache = await caches.open(STATIC_CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

async function pageOrShell(request) {
  try {
    return await fetch(request);
  } catch (error) {
    // No signal: the log form, if one is kept and still fresh enough to trust.
    const shell = await keptShell();
    if (shell && Date.now() - Number(shell.headers.get(SAVED_AT)) < CONFIG.shellMaxAgeHours * 3600 * 1000) {
      return shell;
    }
    throw error;
  }
}

async function keptShell() {
  const cache = await caches.open(SHELL_CACHE);
  return cache.match(CONFIG.shell, { ignoreVary: true });
}

async function forgetShellUnlessFor(user) {
  const shell = await keptShell();
  if (shell && shell.headers.get(CONFIG.shellUserHeader) !== user) {
    await caches.delete(SHELL_CACHE);
  }
}

async function dropOldAssets() {
  const names = await caches.keys();
  await Promise.all(names
    .filter((name) => name.startsWith("deflection-static-") && name !== STATIC_CACHE)
    .map((name) => caches.delete(name)));
}

// Fetch the officer's shell again when it is missing, older than REFRESH_MS, drawn for
// other assets or for another user. `user` null (a new worker): only a kept shell, for
// whoever is signed in now.
async function refreshShell(user) {
  const kept = await keptShell();
  if (user === null && !kept) return;
  if (kept && kept.headers.get(VERSION) === CONFIG.version) {
    const theirs = user === null || kept.headers.get(CONFIG.shellUserHeader) === user;
    if (theirs && Date.now() - Number(kept.headers.get(SAVED_AT)) < REFRESH_MS) return;
  }
  let response;
  try {
    // Not the officer's activity: it must not keep an idle session alive.
    response = await fetch(CONFIG.shell, {
      credentials: "same-origin",
      cache: "no-store",
      redirect: "manual",
      headers: { "X-Background-Refresh": "1" },
    });
  } catch (error) {
    return;  // no signal: the kept shell stays as it is
  }
  const owner = response.headers.get(CONFIG.shellUserHeader);
  if (response.type === "opaqueredirect" || !response.ok || !owner) return;  // signed out
  // The page's own headers (its Content-Security-Policy above all), and when it was kept.
  const headers = new Headers(response.headers);
  headers.set(SAVED_AT, String(Date.now()));
  headers.set(VERSION, CONFIG.version);
  const cache = await caches.open(SHELL_CACHE);
  await cache.put(CONFIG.shell, new Response(await response.blob(), { headers }));
  await dropOldAssets();
}
{% endverbatim %}
