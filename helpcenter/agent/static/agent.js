// Progressive enhancement: without JavaScript every link is visible and selectable.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy-url]").forEach(function (holder) {
    if (!navigator.clipboard) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button-secondary copy-button";
    button.textContent = holder.getAttribute("data-copy-label") || "Copy";
    // Many buttons share the visible word: the hidden part says which link each one copies.
    var what = document.createElement("span");
    what.className = "visually-hidden";
    what.textContent = " – " + (holder.getAttribute("data-copy-what") || "");
    button.appendChild(what);
    var status = document.createElement("span");
    status.className = "copy-status";
    status.setAttribute("role", "status");
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(holder.getAttribute("data-copy-url")).then(function () {
        status.textContent = holder.getAttribute("data-copied-text") || "";
      });
    });
    holder.appendChild(button);
    holder.appendChild(status);
  });
})();
