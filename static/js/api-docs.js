// The API reference page (templates/api/docs.html): Swagger UI on the OpenAPI description.
// A static file, so the page keeps the app's CSP (no inline script).
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-schema-url"),
    dom_id: "#swagger-ui",
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: false,
    // The token stays in this page's memory only; "Try it out" sends it as a Bearer header.
    persistAuthorization: false,
    // Examples are made up, but nothing should invite pasting real client data into a browser.
    tryItOutEnabled: false,
    // The highlighting's colours (inline, on the dark example box) fall below WCAG AA contrast.
    syntaxHighlight: { activated: false },
  });
  // Swagger UI's dialogs close with a button that is an icon only: give it a name.
  var closeLabel = root.getAttribute("data-close-label");
  new MutationObserver(function () {
    root.querySelectorAll("button.close-modal:not([aria-label])").forEach(function (button) {
      button.setAttribute("aria-label", closeLabel);
    });
  }).observe(root, { childList: true, subtree: true });
})();
