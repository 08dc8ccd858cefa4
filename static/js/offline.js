// Logging a deflection with no signal. The service worker (served at /sw.js) keeps the log
// form and its assets on the phone; this script keeps what the officer saves with no signal,
// each deflection encrypted, and sends it once the signal returns (and whenever the app is
// opened again), with the submission token it was saved under, so that the server saves it
// once however often it arrives. With signal, and without JavaScript, the form posts as it
// always has.
//
// Kept on the phone, in IndexedDB ("deflection-offline"):
//   keys:   per officer, an AES-GCM key made here and never extractable (no script can read
//           its bytes, this one included); deleted when they sign out.
//   outbox: per deflection, its token, its officer's id, when it was saved and the form's
//           fields sealed with that key (AES-GCM; the token and officer bound in as
//           additional data). Deleted as soon as the server confirms it.
(function () {
  "use strict";
  if (!window.isSecureContext || !window.indexedDB || !window.crypto || !window.crypto.subtle) return;

  var DB_NAME = "deflection-offline";
  var body, user, words, logUrl, sendUrl, shellUrl, onShell;

  // ---------------------------------------------------------------- storage

  function promised(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  var opened = null;
  function database() {
    if (!opened) {
      var opening = indexedDB.open(DB_NAME, 1);
      opening.onupgradeneeded = function () {
        opening.result.createObjectStore("keys", { keyPath: "user" });
        opening.result.createObjectStore("outbox", { keyPath: "token" }).createIndex("user", "user");
      };
      opened = promised(opening);
    }
    return opened;
  }

  // One request per transaction: awaiting anything else in between would end it.
  async function run(storeName, mode, call) {
    var db = await database();
    return promised(call(db.transaction(storeName, mode).objectStore(storeName)));
  }
  function recordsOf(owner) {
    return run("outbox", "readonly", function (s) { return s.index("user").getAll(owner); })
      .then(function (records) { return records.sort(function (a, b) { return a.savedAt - b.savedAt; }); });
  }
  function keep(record) { return run("outbox", "readwrite", function (s) { return s.put(record); }); }
  function drop(token) { return run("outbox", "readwrite", function (s) { return s.delete(token); }); }

  async function keyOf(owner, make) {
    var kept = await run("keys", "readonly", function (s) { return s.get(owner); });
    if (kept || !make) return kept ? kept.key : null;
    var key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
    try {
      // add, not put: another tab's key, made at the same moment, must not be overwritten.
      await run("keys", "readwrite", function (s) { return s.add({ user: owner, key: key }); });
      return key;
    } catch (error) {
      return keyOf(owner, false);
    }
  }

  function bound(owner, token) { return new TextEncoder().encode("deflection:" + owner + ":" + token); }

  async function seal(owner, token, payload) {
    var key = await keyOf(owner, true);
    var iv = crypto.getRandomValues(new Uint8Array(12));
    var plain = new TextEncoder().encode(JSON.stringify(payload));
    var sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv: iv, additionalData: bound(owner, token) }, key, plain);
    // What the server said stops it (problems) is kept in the clear: its own words about
    // fields, never what was typed.
    return { token: token, user: owner, savedAt: Date.now(), iv: iv, sealed: sealed, problems: null };
  }

  async function unseal(record) {
    var key = await keyOf(record.user, false);
    if (!key) throw new Error("no key");
    var plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: record.iv, additionalData: bound(record.user, record.token) }, key, record.sealed);
    return JSON.parse(new TextDecoder().decode(plain));
  }

  function newToken() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  // ---------------------------------------------------------------- words and elements

  function say(name, values) {
    return (words[name] || "").replace(/\{(\w+)\}/g, function (all, key) {
      return values && key in values ? String(values[key]) : all;
    });
  }
  function clock(ms) {
    return new Date(ms).toLocaleTimeString(document.documentElement.lang || [], { hour: "2-digit", minute: "2-digit" });
  }
  function byId(id) { return document.getElementById(id); }
  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }
  function link(parent, href, text) {
    var a = make("a", "alert-link", text);
    a.href = href;
    parent.append(" ", a);
  }
  function tell(text, kind) {
    var region = byId("offline-sent");
    if (!region) return null;
    var box = make("div", "alert alert-" + (kind || "success"), text);
    region.append(box);
    return box;
  }

  // ---------------------------------------------------------------- what waits

  async function showOutbox() {
    var panel = byId("offline-outbox");
    if (!panel || !user) return;
    var waiting = await recordsOf(user);
    panel.hidden = waiting.length === 0;
    if (!waiting.length) {
      // "Saved on this phone, sent when the signal returns" is no longer true once all is sent.
      document.querySelectorAll("#offline-sent [data-queued]").forEach(function (box) { box.remove(); });
    }
    byId("offline-waiting").textContent = say("waiting", { count: waiting.length });
    var list = byId("offline-records");
    list.replaceChildren();
    waiting.forEach(function (record) {
      var item = make("li");
      var time = { time: clock(record.savedAt) };
      if (record.unreadable) {
        item.textContent = say("recordUnreadable", time);
      } else if (record.problems && record.problems.length) {
        item.textContent = say("recordProblem", time);
        var problems = make("ul", "mb-1");
        record.problems.forEach(function (text) { problems.append(make("li", "", text)); });
        item.append(problems);
        if (byId("log-form")) {
          var open = make("button", "btn btn-sm btn-outline-dark mb-2", words.openInForm);
          open.type = "button";
          open.addEventListener("click", function () { openInForm(record.token); });
          item.append(open);
        } else {
          link(item, logUrl, words.fixOnLog);
        }
      } else {
        item.textContent = say("recordWaiting", time);
      }
      list.append(item);
    });
  }

  // ---------------------------------------------------------------- sending

  var sending = null;
  function sendWaiting() {
    if (!sending) {
      var send = navigator.locks ? navigator.locks.request("deflection-outbox", sendAll) : sendAll();
      sending = send.catch(function () {}).then(function () { sending = null; return showOutbox(); });
    }
    return sending;
  }

  async function sendAll() {
    if (!user || !sendUrl || !navigator.onLine) return;
    var waiting = await recordsOf(user);
    for (var i = 0; i < waiting.length; i++) {
      var record = waiting[i];
      var payload;
      try {
        payload = await unseal(record);
      } catch (error) {
        record.unreadable = true;
        await keep(record);
        continue;
      }
      var answer = await post(record, payload);
      if (!answer) return;  // no signal after all, or signed out: all of them wait
      if (answer.status === 200 || answer.status === 201) {
        await drop(record.token);  // saved: nothing about the client stays on the phone
        confirmSent(record, answer.data);
      } else if (answer.status === 422) {
        record.problems = answer.data.errors || [];
        await keep(record);
      }
    }
  }

  var csrf = null;
  function pageCsrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // A current CSRF token, read from the log form's page shell: the one in a page the phone
  // kept is stale once its officer has signed in again. None when signed out.
  async function freshCsrf() {
    try {
      var response = await fetch(shellUrl, {
        credentials: "same-origin", cache: "no-store", redirect: "manual", headers: { "X-Background-Refresh": "1" },
      });
      if (!response.ok) return null;
      var page = new DOMParser().parseFromString(await response.text(), "text/html");
      var input = page.querySelector("input[name=csrfmiddlewaretoken]");
      return input ? input.value : null;
    } catch (error) {
      return null;
    }
  }

  async function post(record, payload) {
    for (var attempt = 0; attempt < 2; attempt++) {
      var data = new URLSearchParams();
      payload.fields.forEach(function (pair) { data.append(pair[0], pair[1]); });
      data.set("submission_token", record.token);
      data.set("queued_by", record.user);
      data.set("csrfmiddlewaretoken", csrf || pageCsrf());
      var response;
      try {
        // Sent on its own, not by the officer's hand: it does not keep an idle session alive.
        response = await fetch(sendUrl, {
          method: "POST", body: data, credentials: "same-origin", redirect: "manual",
          headers: { "Accept": "application/json", "X-Background-Refresh": "1" },
        });
      } catch (error) {
        return null;
      }
      if (response.type === "opaqueredirect") {
        signedOut();
        return null;
      }
      if (response.status === 403 && attempt === 0) {
        csrf = await freshCsrf();
        if (!csrf) { signedOut(); return null; }
        continue;
      }
      var answer = {};
      try { answer = await response.json(); } catch (error) { /* not JSON: a refusal */ }
      return { status: response.status, data: answer };
    }
    return null;
  }

  function confirmSent(record, data) {
    var time = clock(record.savedAt);
    var text = data.result === "already" ? say("already", { time: time })
      : say(data.contact ? "sentContact" : "sent", { time: time, partner: data.partner || "" });
    var box = tell(text, data.flagged ? "warning" : "success");
    if (!box) return;
    if (data.url) link(box, data.url, words.open);
    if (data.flagged && data.check_url) {
      box.append(" " + words.flagged);
      link(box, data.check_url, words.check);
    }
  }

  var toldSignedOut = false;
  function signedOut() {
    if (toldSignedOut) return;
    toldSignedOut = true;
    var box = tell(words.signInToSend, "warning");
    if (box) link(box, body.getAttribute("data-login-url") + "?next=" + encodeURIComponent(logUrl), words.signIn);
  }

  // ---------------------------------------------------------------- saving with no signal

  // The save button again, for the next deflection: after app.js's own tick, which disables
  // it and the copy of it that Enter presses.
  function release(form) {
    setTimeout(function () {
      form.querySelectorAll("[data-once]").forEach(function (button) {
        delete button.dataset.sent;
        button.disabled = false;
        button.removeAttribute("aria-disabled");
      });
    }, 0);
  }

  function setToken(form, token) {
    var input = form.querySelector("input[name=submission_token]");
    if (input) input.value = token;
  }

  function newClientFields(show) {
    var details = byId("new-client");
    if (details && show) { details.hidden = false; details.open = true; }
  }

  // What the server would refuse at once, checked here: with no signal there is nobody to ask.
  function check(form) {
    var problems = [];
    function filled(name) { var f = form.querySelector("[name=" + name + "]"); return f && f.value.trim() !== ""; }
    function picked(name) { return !!form.querySelector("input[name=" + name + "]:checked"); }
    if (!picked("client")) {
      if (!filled("first_name")) problems.push(["id_first_name", words.firstName]);
      if (!filled("last_name")) problems.push(["id_last_name", words.lastName]);
    }
    if (!picked("pathway")) problems.push(["div_id_pathway", words.pathway]);
    if (!picked("partner")) problems.push(["div_id_partner", words.partner]);
    var minutes = form.querySelector("[name=officer_minutes]");
    if (!minutes || !/^\d+$/.test(minutes.value.trim())) problems.push(["id_officer_minutes", words.minutes]);
    return problems;
  }

  function showProblems(form, problems) {
    var old = byId("offline-error-summary");
    if (old) old.remove();
    // The same list as the server's (app.js takes a tap on a line into its field).
    var summary = make("div", "alert alert-danger error-summary");
    summary.id = "offline-error-summary";
    summary.tabIndex = -1;
    summary.append(make("h2", "h6 mb-1", words.fixHeading));
    var list = make("ul", "mb-0 ps-3");
    problems.forEach(function (problem) {
      var item = make("li");
      var a = make("a", "alert-link", problem[1]);
      a.href = "#" + problem[0];
      item.append(a);
      list.append(item);
    });
    summary.append(list);
    form.prepend(summary);
    summary.focus();
  }

  // A blank form for the next deflection. Not form.reset() alone: a page that came back
  // with errors holds what was typed as its defaults.
  function clearForm(form) {
    form.reset();
    form.querySelectorAll("input, textarea").forEach(function (field) {
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = false;
      } else if (field.type !== "hidden" && field.name !== "officer_minutes") {
        field.value = "";
      }
      delete field.dataset.typed;
      delete field.dataset.autofilled;
    });
    // Names found online (search results, possible matches): not left on screen either.
    var results = byId("client-results");
    if (results) results.replaceChildren();
    var searchNote = byId("search-no-signal");
    if (searchNote) searchNote.textContent = "";
    ["div_id_confirm_new", "offline-error-summary", "error-summary"].forEach(function (id) {
      var node = byId(id);
      if (node) node.remove();
    });
    form.querySelectorAll("input[data-restored]").forEach(function (input) { input.remove(); });
    delete form.dataset.recordToken;
    setToken(form, newToken());
    newClientFields(true);
    // A held charge's deadline is offered again, as on a form just opened.
    if (window.deflection && window.deflection.followDeadline) window.deflection.followDeadline(true);
  }

  async function saveOnPhone(form) {
    var token = form.dataset.recordToken || newToken();
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && ["csrfmiddlewaretoken", "submission_token", "search", "action"].indexOf(name) < 0) {
        fields.push([name, value]);
      }
    });
    await keep(await seal(user, token, { fields: fields }));
    clearForm(form);
    var queued = tell(words.queued, "info");
    if (queued) queued.dataset.queued = "";
    await showOutbox();
    window.scrollTo(0, 0);
  }

  // Post the form as the browser would, with the button's name and value, without the
  // submit event (which would bring it back here).
  function postForm(form, button) {
    if (button && button.name) {
      var pressed = make("input");
      pressed.type = "hidden";
      pressed.name = button.name;
      pressed.value = button.value;
      form.append(pressed);
    }
    HTMLFormElement.prototype.submit.call(form);
  }

  async function submitted(form, button) {
    var action = button && button.name === "action" ? button.value : "save";
    try {
      if (navigator.onLine && onShell) {
        // The phone's copy of the form, with signal again: post it as the page would, with
        // a current token. Signed out meanwhile: it waits on the phone like the others.
        var token = await freshCsrf();
        if (token) {
          document.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (i) { i.value = token; });
          release(form);
          postForm(form, button);
          return;
        }
        signedOut();
      }
      if (action === "search") {
        searchNeedsSignal();
        return;
      }
      if (action !== "save") {
        newClientFields(true);
        return;
      }
      var problems = check(form);
      if (problems.length) {
        showProblems(form, problems);
      } else {
        await saveOnPhone(form);
      }
    } finally {
      release(form);
    }
  }

  async function openInForm(token) {
    var form = byId("log-form");
    var record = (await recordsOf(user)).filter(function (r) { return r.token === token; })[0];
    if (!form || !record) return;
    var payload = await unseal(record);
    clearForm(form);
    payload.fields.forEach(function (pair) {
      var found = false;
      form.querySelectorAll("[name='" + CSS.escape(pair[0]) + "']").forEach(function (input) {
        if (input.type === "checkbox" || input.type === "radio") {
          if (input.value === pair[1]) { input.checked = true; found = true; }
        } else {
          input.value = pair[1];
          found = true;
        }
      });
      if (!found) {  // a client picked online, say: sent with the form all the same
        var hidden = make("input");
        hidden.type = "hidden";
        hidden.name = pair[0];
        hidden.value = pair[1];
        hidden.dataset.restored = "1";
        form.append(hidden);
      }
    });
    // Saved again under the same token: whichever way it reaches the server, it is saved once.
    form.dataset.recordToken = token;
    setToken(form, token);
    form.scrollIntoView({ block: "start" });
  }

  // ---------------------------------------------------------------- signing out

  async function forgetHere(discard) {
    if (discard) {
      var waiting = await recordsOf(user);
      for (var i = 0; i < waiting.length; i++) await drop(waiting[i].token);
    }
    await run("keys", "readwrite", function (s) { return s.delete(user); });
    // The log form the service worker keeps for this officer (its cache, named in sw.js).
    if (window.caches) await caches.delete("deflection-shell");
  }

  async function signOut(form) {
    var waiting = await recordsOf(user);
    if (waiting.length && navigator.onLine) {
      await sendWaiting();
      waiting = await recordsOf(user);
    }
    if (!waiting.length) {
      await forgetHere(false);
      HTMLFormElement.prototype.submit.call(form);
      return;
    }
    // Never discarded without the officer saying so.
    document.querySelectorAll("details.nav-menu, details.nav-dropdown").forEach(function (menu) { menu.open = false; });
    var warning = byId("offline-sign-out-warning");
    byId("offline-sign-out-text").textContent = say("signOutWarning", { count: waiting.length });
    warning.hidden = false;
    warning.focus();
    warning.querySelector("[data-offline-stay]").onclick = function () { warning.hidden = true; };
    warning.querySelector("[data-offline-discard]").onclick = function () {
      forgetHere(true).then(function () { HTMLFormElement.prototype.submit.call(form); });
    };
  }

  // Warn before an idle session ends: what waits stays, and is sent after signing in again.
  function watchIdle() {
    var limit = Number(body.getAttribute("data-idle-seconds") || 0);
    if (!limit) return;
    var endsAt = Date.now() + limit * 1000;
    setTimeout(function () {
      recordsOf(user).then(function (waiting) {
        var panel = byId("offline-outbox");
        if (!waiting.length || !panel || byId("offline-idle-warning")) return;
        var warning = make("p", "fw-semibold mb-1", say("idleWarning", { time: clock(endsAt), count: waiting.length }));
        warning.id = "offline-idle-warning";
        warning.setAttribute("role", "alert");
        panel.append(warning);
      });
    }, Math.max(limit - 300, limit / 2) * 1000);
  }

  // ---------------------------------------------------------------- no signal on the page

  // A search with no signal: said beside the search box (and read out), with what the officer
  // can do instead; what was typed goes to the new client's fields.
  function searchNeedsSignal() {
    var note = byId("search-no-signal");
    if (note) note.textContent = words.searchNoSignal;
    if (window.deflection) window.deflection.fillNewClientFromSearch();
    newClientFields(true);
  }

  // Signal again: the search the officer tried runs now.
  function searchAgain() {
    var note = byId("search-no-signal");
    if (!note || !note.textContent) return;
    note.textContent = "";
    var search = document.querySelector("input[name=search]");
    if (search && search.value.trim() && window.htmx) window.htmx.trigger(search, "search");
  }

  function showSignal() {
    var note = byId("offline-note");
    if (note) note.hidden = navigator.onLine;
    if (!navigator.onLine) newClientFields(true);
  }

  async function signalBack() {
    showSignal();
    if (onShell) {
      // This page came from the phone: its CSRF token may be stale, and the search needs one.
      var token = await freshCsrf();
      if (token) document.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (i) { i.value = token; });
    }
    searchAgain();
    sendWaiting();
  }

  function start() {
    body = document.body;
    var strings = byId("offline-strings");
    if (!strings) return;
    words = {};
    Object.keys(strings.dataset).forEach(function (key) { words[key] = strings.dataset[key]; });
    user = body.getAttribute("data-user-id");
    logUrl = body.getAttribute("data-log-url");
    sendUrl = body.getAttribute("data-send-url");
    shellUrl = body.getAttribute("data-offline-shell-url");
    onShell = body.hasAttribute("data-offline-shell");

    if (!user) {
      // Signed out: say what waits on the phone (without opening a database that is not there).
      var note = byId("offline-signed-out");
      var exists = indexedDB.databases ? indexedDB.databases() : Promise.resolve([{ name: DB_NAME }]);
      exists.then(function (dbs) {
        if (!note || !dbs.some(function (d) { return d.name === DB_NAME; })) return null;
        return run("outbox", "readonly", function (s) { return s.count(); }).then(function (count) {
          if (!count) return;
          note.textContent = say("signedOut", { count: count });
          note.hidden = false;
        });
      }).catch(function () {});
      return;
    }

    if ("serviceWorker" in navigator && body.getAttribute("data-sw-url")) {
      navigator.serviceWorker.register(body.getAttribute("data-sw-url"), { scope: "/" }).catch(function () {});
      navigator.serviceWorker.ready.then(function (registration) {
        if (registration.active) registration.active.postMessage({ type: shellUrl ? "keep-shell" : "user", user: user });
      });
    }

    var form = byId("log-form");
    if (form && onShell) setToken(form, newToken());  // the kept page's token may have been used
    document.addEventListener("submit", function (event) {
      var target = event.target;
      if (target.hasAttribute("data-sign-out")) {
        event.preventDefault();
        signOut(target);
        return;
      }
      if (target.id !== "log-form" || event.defaultPrevented) return;
      if (navigator.onLine && !onShell) return;  // with signal, the form posts as it always has
      event.preventDefault();
      submitted(target, event.submitter);
    });
    // With no signal htmx has nobody to ask: the search's words go to the new client's fields.
    document.addEventListener("htmx:beforeRequest", function (event) {
      if (navigator.onLine) return;
      event.preventDefault();
      if (event.target.name === "search") searchNeedsSignal();
      showSignal();
    });
    window.addEventListener("online", signalBack);
    window.addEventListener("offline", showSignal);
    showSignal();
    watchIdle();
    showOutbox().then(function () { if (navigator.onLine) return onShell ? signalBack() : sendWaiting(); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
