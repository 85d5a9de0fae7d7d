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

// A word count across several text boxes (a rating review request: at most N words across the ratings
// challenged). The form carries data-app-word-count-form="N"; each box data-app-word-group, counted when its
// checkbox ("challenge-<key>" for a box "grounds-<key>") is ticked. Words are counted as the server counts
// them: "well-led" and "don't" are one word each; stray dashes are none.
(function () {
  "use strict";
  var wordPattern = /[\p{L}\p{M}\p{N}_'’‘-]+/gu;
  function words(text) {
    return (text.match(wordPattern) || []).filter(function (t) {
      return /[\p{L}\p{N}]/u.test(t);
    }).length;
  }
  document.querySelectorAll("form[data-app-word-count-form]").forEach(function (form) {
    var limit = parseInt(form.getAttribute("data-app-word-count-form"), 10);
    var message = form.querySelector("[data-app-word-count-message]");
    if (!message) return;
    function update() {
      var total = 0;
      form.querySelectorAll("[data-app-word-group]").forEach(function (box) {
        var box_checkbox = document.getElementById(box.id.replace(/^grounds-/, "challenge-"));
        if (!box_checkbox || box_checkbox.checked) total += words(box.value);
      });
      var left = limit - total;
      message.textContent =
        left >= 0
          ? "You have " + left + " word" + (left === 1 ? "" : "s") + " remaining (" + total + " of " + limit + ")"
          : "You have " + -left + " word" + (left === -1 ? "" : "s") + " too many (" + total + " of " + limit + ")";
      message.classList.toggle("govuk-error-message", left < 0);
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    update();
  });
})();
