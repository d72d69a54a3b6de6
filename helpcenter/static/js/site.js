// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // "Copy link" next to headings: the anchor works without JavaScript; with it, the full URL is copied.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-copy-link]");
    if (!link || !navigator.clipboard) { return; }
    event.preventDefault();
    var url = new URL(link.getAttribute("href"), window.location.href).href;
    navigator.clipboard.writeText(url).then(function () {
      history.replaceState(null, "", link.getAttribute("href"));
      var status = link.parentNode.querySelector(".copy-status");
      if (!status) {
        status = document.createElement("span");
        status.className = "copy-status";
        status.setAttribute("role", "status");
        link.parentNode.appendChild(status);
      }
      status.textContent = link.getAttribute("data-copied-text") || "";
    });
  });

  // Seat count stepper: the number field works alone; buttons are added when scripting runs.
  document.querySelectorAll("[data-stepper]").forEach(function (wrapper) {
    var input = wrapper.querySelector("input[type=number]");
    if (!input) { return; }
    function makeButton(delta, label, text) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "button-secondary";
      b.textContent = text;
      b.setAttribute("aria-label", label);
      b.addEventListener("click", function () {
        var min = parseInt(input.min || "1", 10), max = parseInt(input.max || "500", 10);
        var value = parseInt(input.value || "0", 10);
        if (isNaN(value)) { value = min; }
        input.value = Math.min(max, Math.max(min, value + delta));
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
      return b;
    }
    wrapper.insertBefore(makeButton(-1, wrapper.getAttribute("data-decrease-label") || "-", "−"), input);
    wrapper.appendChild(makeButton(1, wrapper.getAttribute("data-increase-label") || "+", "+"));
  });
})();

// Workflows: focus the error summary, and ignore a second click on "Place order" (the server
// already makes it harmless). The new-card fields show and hide by CSS alone (site.css), laid
// out right from the first paint.
(function () {
  "use strict";

  var summary = document.querySelector("[data-focus-on-load]");
  if (summary) { summary.focus(); }

  document.querySelectorAll("button[data-prevent-double-submit]").forEach(function (button) {
    var form = button.form;
    if (!form) { return; }
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-submitted")) { event.preventDefault(); return; }
      form.setAttribute("data-submitted", "true");
      button.setAttribute("aria-disabled", "true");
    });
  });
})();
