// Small enhancements; every form works without them.
(function () {
  "use strict";

  // At 2 a.m. a white screen glares and lights up the officer: follow the phone's dark
  // setting with Bootstrap's colour modes. This file loads in <head>, before the page is
  // drawn, so the page never flashes white first.
  var darkQuery = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  function applyColourMode() {
    document.documentElement.setAttribute("data-bs-theme", darkQuery && darkQuery.matches ? "dark" : "light");
  }
  applyColourMode();
  if (darkQuery && darkQuery.addEventListener) darkQuery.addEventListener("change", applyColourMode);

  // The menus are <details> and work without this; Escape closes the one the focus is in, as
  // it would close any menu, and leaves the focus on its button. The one with a button shown:
  // on a phone "More" and the account lie open inside the Menu, and on a wide screen the Menu
  // has no button.
  var MENUS = "details.nav-menu[open], details.nav-dropdown[open]";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !document.activeElement) return;
    var menu = document.activeElement.closest(MENUS);
    while (menu && !menu.querySelector(":scope > summary").getClientRects().length) {
      menu = menu.parentElement.closest(MENUS);
    }
    if (!menu) return;
    menu.open = false;
    menu.querySelector(":scope > summary").focus();
  });
  // On a wide screen a dropdown lies over the page: a click anywhere else closes it, as it
  // would close any menu. (On a phone they lie open inside the Menu, with no button shown.)
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.nav-dropdown[open]").forEach(function (menu) {
      var summary = menu.querySelector(":scope > summary");
      if (!menu.contains(event.target) && summary.getClientRects().length) menu.open = false;
    });
  });

  // One tap saves once: ignore a second submit from the same button, or from its copy that
  // Enter presses (the log form's default button: the same name and value).
  // (The server also refuses a second referral from the same form, by its submission token.)
  function sameButtons(button) {
    if (!button.form) return [button];
    return Array.prototype.filter.call(button.form.elements, function (other) {
      return other.hasAttribute("data-once") && other.name === button.name && other.value === button.value;
    });
  }
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.hasAttribute("data-once")) {
      if (button.dataset.sent) { event.preventDefault(); return; }
      var same = sameButtons(button);
      same.forEach(function (each) {
        each.dataset.sent = "1";
        each.setAttribute("aria-disabled", "true");
      });
      // Disabled after this tick, so that the button's own name and value are still sent.
      setTimeout(function () { same.forEach(function (each) { each.disabled = true; }); }, 0);
    }
  });

  // Back from the confirmation (the page comes from the back/forward cache): the
  // officer may correct and save again; the server knows whether it was saved.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("[data-once]").forEach(function (button) {
      delete button.dataset.sent;
      button.disabled = false;
      button.removeAttribute("aria-disabled");
    });
  });

  function newClientDetails() { return document.getElementById("new-client"); }

  // A new client's name, from what was typed in the search, so the officer need not type
  // it twice: "First Last" or "Last, First"; a whole date of birth (1988-06-14 or
  // 6/14/1988) fills that field. Each search that finds nobody fills them again (the
  // officer may have paused mid-name), but never a field the officer typed into.
  var WHOLE_DATE = /(?:^|\s)(?:(\d{4})-(\d{2})-(\d{2})|(\d{1,2})\/(\d{1,2})\/(\d{4}))(?=\s|$)/;

  function fillNewClientFromSearch() {
    var search = document.querySelector("input[name=search]");
    var first = document.getElementById("id_first_name");
    var last = document.getElementById("id_last_name");
    var born = document.getElementById("id_date_of_birth");
    if (!search || !first || !last) return;
    var text = search.value.trim();
    var iso = "";
    var date = text.match(WHOLE_DATE);
    if (date) {
      var y = date[1] || date[6], m = date[2] || date[4], d = date[3] || date[5];
      iso = y + "-" + ("0" + m).slice(-2) + "-" + ("0" + d).slice(-2);
      text = text.replace(date[0], " ").trim();
    }
    // Anything else with a digit in it is a date still being typed: not a name.
    text = text.split(/\s+/).filter(function (word) { return !/\d/.test(word); }).join(" ");
    var firstName = "", lastName = "";
    if (text.indexOf(",") >= 0) {
      lastName = text.split(",")[0].trim();
      firstName = text.split(",").slice(1).join(" ").trim();
    } else {
      var words = text.split(/\s+/).filter(Boolean);
      if (words.length >= 2) { firstName = words[0]; lastName = words.slice(1).join(" "); }
    }
    function fill(field, value) {
      if (!field || field.dataset.typed) return;
      if (field.value && !field.dataset.autofilled) return;  // there before: not ours to change
      field.value = value;
      if (value) { field.dataset.autofilled = "1"; } else { delete field.dataset.autofilled; }
    }
    fill(first, firstName);
    fill(last, lastName);
    fill(born, iso);
  }
  // offline.js fills them the same way when there is no signal to search with.
  window.deflection = { fillNewClientFromSearch: fillNewClientFromSearch };
  document.addEventListener("input", function (event) {
    var id = event.target.id;
    if (id === "id_first_name" || id === "id_last_name" || id === "id_date_of_birth") event.target.dataset.typed = "1";
  });

  // Picking a known client answers what the last save said of the client: its error under
  // the search, and the new client's fields' (folded away now), leave the page and the
  // summary of what to fix; the summary goes when nothing is left in it.
  function clearClientErrors(details) {
    var search = document.querySelector("input[name=search]");
    var error = document.getElementById("client-error");
    if (error) error.remove();
    if (search) {
      search.classList.remove("is-invalid");
      var described = (search.getAttribute("aria-describedby") || "").split(" ");
      search.setAttribute("aria-describedby", described.filter(function (id) { return id && id !== "client-error"; }).join(" "));
    }
    var summary = document.getElementById("error-summary");
    if (!summary) return;
    // The client's, and "Is it one of these people?", answered by the pick.
    var answered = ["div_id_search", "div_id_confirm_new"];
    summary.querySelectorAll("li").forEach(function (item) {
      var link = item.querySelector("a[href^='#']");
      var target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (target && (answered.indexOf(target.id) >= 0 || (details && details.contains(target)))) item.remove();
    });
    if (!summary.querySelector("li")) summary.remove();
  }

  // Picking a known client folds the new-client fields away.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.name !== "client" || input.type !== "radio" || !input.checked) return;
    var details = newClientDetails();
    if (details) { details.open = false; details.hidden = true; }
    clearClientErrors(details);
  });

  // "None of these: a new client" opens the new-client fields with the name searched for,
  // here and now. (Without JavaScript the button posts the form and the server does it.)
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.client-new");
    var details = newClientDetails();
    if (!button || !details) return;
    event.preventDefault();
    document.querySelectorAll("input[name=client]:checked").forEach(function (radio) { radio.checked = false; });
    details.hidden = false;
    details.open = true;
    fillNewClientFromSearch();
    var first = document.getElementById("id_first_name");
    if (first) first.focus();
  });

  // Enter in the search box searches instead of saving the deflection (the form's default
  // button, which Enter presses in every other field, is the save). Without htmx it presses
  // Search, which posts the form back with the matches, as a tap on it does.
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (event.key !== "Enter" || box.name !== "search" || !box.form) return;
    if (window.htmx) {
      event.preventDefault();
      window.htmx.trigger(box, "search");
      return;
    }
    var search = box.form.querySelector("button[name=action][value=search]");
    if (search) {
      event.preventDefault();
      search.click();
    }
  });

  // A request htmx makes on its own (the queue's refresh every 30 seconds) has no triggering
  // event: say so, so that it does not count as activity and an unattended screen still
  // signs out after 30 minutes idle.
  document.addEventListener("htmx:configRequest", function (event) {
    if (!event.detail.triggeringEvent) event.detail.headers["X-Background-Refresh"] = "1";
  });

  // Signed out meanwhile (after 30 minutes idle): htmx would follow the redirect
  // and paste the sign-in page into the results. Reload instead, so the officer signs in
  // before typing anything more.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var loginUrl = document.body.getAttribute("data-login-url");
    var xhr = event.detail.xhr;
    if (!loginUrl || !xhr || !xhr.responseURL) return;
    if (new URL(xhr.responseURL, window.location.href).pathname === loginUrl) {
      event.detail.shouldSwap = false;
      event.stopImmediatePropagation();
      window.location.reload();
    }
  });

  // Search as you type replaces the results: keep the client already picked, so
  // that refining the search never silently drops the officer's choice.
  var kept = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    kept = null;
    if (!target || target.id !== "client-results") return;
    var checked = target.querySelector("input[name=client]:checked");
    if (!checked || !checked.value) return;
    var group = checked.closest("[role=radiogroup]");
    var none = target.querySelector("button.client-new");
    kept = {
      picked: checked.closest("label").cloneNode(true),
      none: none ? none.cloneNode(true) : null,
      groupLabel: group ? group.getAttribute("aria-label") : null
    };
  });
  // Nobody found: the new-client fields take the name searched for.
  document.addEventListener("htmx:afterSwap", function (event) {
    var results = event.detail.target;
    if (results && results.id === "client-results" && results.querySelector("#no-client-found")) {
      fillNewClientFromSearch();
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var results = event.detail.target;
    if (!kept || !results || results.id !== "client-results") return;
    var value = kept.picked.querySelector("input").value;
    var same = results.querySelector('input[name=client][value="' + value + '"]');
    if (same) {
      same.checked = true;
    } else {
      var group = results.querySelector("[role=radiogroup]");
      if (!group) {
        group = document.createElement("div");
        group.setAttribute("role", "radiogroup");
        if (kept.groupLabel) group.setAttribute("aria-label", kept.groupLabel);
        results.insertBefore(group, results.firstChild);
        if (kept.none) group.after(kept.none);
      }
      group.insertBefore(kept.picked, group.firstChild);
      kept.picked.querySelector("input").checked = true;
    }
    kept = null;
  });

  // The held charge's deadline follows its condition until the officer sets it: the days to
  // reach intake, and as many more as the days to stay engaged (they count from intake), so
  // that the date offered is one the condition can be met by. The form gives the agency's
  // today and both limits (referrals/charge_forms.py).
  function offeredDeadline(deadline) {
    var form = deadline.form;
    var engaged = form.querySelector("input[name=charge_condition][value=engaged_days]");
    var days = form.querySelector("input[name=charge_engaged_days]");
    var extra = engaged && engaged.checked && days && /^\d+$/.test(days.value.trim()) ? Number(days.value) : 0;
    var ahead = Math.min(Number(deadline.dataset.intakeDays) + extra, Number(deadline.dataset.longestDays));
    var day = deadline.dataset.firstDay.split("-").map(Number);
    return new Date(Date.UTC(day[0], day[1] - 1, day[2] + ahead)).toISOString().slice(0, 10);
  }
  function chargeDeadline() {
    var deadline = document.getElementById("id_charge_deadline");
    return deadline && deadline.dataset.firstDay ? deadline : null;
  }
  // A date the officer typed (any other than the one last offered) stays theirs; `again`:
  // offered anyway, on a blank form.
  function followDeadline(again) {
    var deadline = chargeDeadline();
    if (!deadline || !(again === true || deadline.value === deadline.dataset.offered)) return;
    deadline.value = deadline.dataset.offered = offeredDeadline(deadline);
  }
  // offline.js offers it again on the blank form it leaves for the next deflection.
  window.deflection.followDeadline = followDeadline;
  document.addEventListener("input", function (event) {
    if (event.target.name === "charge_engaged_days") followDeadline();
  });
  document.addEventListener("change", function (event) {
    if (event.target.name === "charge_condition") followDeadline();
  });
  // The form as the server drew it, new or back with errors: its date is the one offered, or
  // the officer's.
  document.addEventListener("DOMContentLoaded", function () {
    var deadline = chargeDeadline();
    if (deadline && deadline.value === offeredDeadline(deadline)) deadline.dataset.offered = deadline.value;
  });

  // A line of the error summary takes the officer into the field itself, not just near it.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    if (!link) return;
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    var field = target.matches("input, select, textarea") ? target
      : target.querySelector("input:not([type=hidden]):checked, input:not([type=hidden]), select, textarea");
    if (!field) return;
    event.preventDefault();
    var details = field.closest("details");
    if (details) { details.hidden = false; details.open = true; }
    target.scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  });

  // After a failed save, take the officer (and a screen reader) to the list of what to fix;
  // on a page whose small form came back (a withdraw, a check-in), to its first field in error.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); return; }
    var sent = document.querySelector("details[data-errors]");
    if (!sent) return;
    var field = sent.querySelector(".is-invalid, [aria-invalid=true]") || sent.querySelector("summary");
    // After the page has gone to the form's anchor: going to an anchor clears the focus.
    window.addEventListener("load", function () { setTimeout(function () { field.focus(); }, 0); });
  });
  // Back to the queue's tab: refresh it at once. (An htmx trigger condition would need
  // eval, which the Content-Security-Policy forbids.)
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && window.htmx && document.querySelector("[data-refresh-on-return]")) {
      window.htmx.trigger(document.body, "queue-refresh");
    }
  });
})();
