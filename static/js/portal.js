// The portal's own progressive enhancements: a plain script with no imports and no dependencies.
//
// GOV.UK Frontend itself is started by the <script type="module"> at the end of templates/base.html,
// which imports initAll from build/govuk-frontend.min.js (an ES module in GOV.UK Frontend 5).
//
// Enhancements here:
// - [data-app-print]: a button that prints the page (for example an inspection report). Give it the
//   class app-js-only so that it is shown only when this script can run.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-app-print]") : null;
    if (target) {
      event.preventDefault();
      window.print();
    }
  });
})();

// Drafts the browser keeps (factual accuracy comments): a text box with data-app-autosave="key" is copied to
// localStorage as the person types. If the page is opened again with the box empty (a session that timed out
// and lost the post, a closed tab, a crash), the text comes back, with a note saying so. A form marked
// data-app-autosave-clear="true" is shown after a successful save, so the copy is removed.
(function () {
  "use strict";
  var store;
  try {
    store = window.localStorage;
    store.setItem("app-autosave-test", "1");
    store.removeItem("app-autosave-test");
  } catch (e) {
    return; // private browsing with storage off: the server-side drafts still work
  }
  var prefix = "app-autosave:";
  document.querySelectorAll("form[data-app-autosave-form]").forEach(function (form) {
    if (form.getAttribute("data-app-autosave-clear") === "true") {
      form.querySelectorAll("[data-app-autosave]").forEach(function (box) {
        store.removeItem(prefix + box.getAttribute("data-app-autosave"));
      });
    }
  });
  document.querySelectorAll("[data-app-autosave]").forEach(function (box) {
    var key = prefix + box.getAttribute("data-app-autosave");
    var kept = store.getItem(key);
    if (kept && !box.value.trim()) {
      box.value = kept;
      var note = document.createElement("p");
      note.className = "govuk-inset-text app-autosave-note";
      note.textContent = "We have put back text you typed here earlier that was not saved. Check it, then save.";
      box.parentNode.insertBefore(note, box);
      box.dispatchEvent(new Event("input", { bubbles: true })); // refresh the character count
    }
    box.addEventListener("input", function () {
      if (box.value.trim()) {
        store.setItem(key, box.value);
      } else {
        store.removeItem(key);
      }
    });
  });
})();
