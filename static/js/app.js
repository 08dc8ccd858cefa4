// Small enhancements; every form works without them.
(function () {
  "use strict";

  // One tap saves once: disable the save button after the first submit.
  // (The server also refuses a second referral from the same form.)
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.hasAttribute("data-once")) {
      if (button.dataset.sent) { event.preventDefault(); return; }
      button.dataset.sent = "1";
      setTimeout(function () { button.disabled = true; }, 0);
    }
  });

  // Picking a known client folds the new-client fields away; "a new client" opens them.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.name !== "client" || input.type !== "radio") return;
    var details = document.getElementById("new-client");
    if (details) details.open = input.value === "";
  });

  // Enter in the search box searches instead of saving the deflection.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.name === "search") {
      event.preventDefault();
      if (window.htmx) window.htmx.trigger(event.target, "search");
    }
  });
})();
