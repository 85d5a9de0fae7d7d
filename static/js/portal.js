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

// Drafts the browser keeps (factual accuracy comments, representations, rating reviews, and any text box): a text box with data-app-autosave="key" is copied to
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
  // Every other text box in a form that is posted is kept too, keyed by page and field. Its copy is
  // dropped when the form is sent while the session is still alive (the server then has the text: saved,
  // or shown again with an error); if the session had ended, the copy stays for after signing in.
  document.querySelectorAll("form[method=post] textarea:not([data-app-autosave])").forEach(function (box) {
    if (!box.name) return;
    box.setAttribute("data-app-autosave", "page:" + window.location.pathname + ":" + box.name);
    box.setAttribute("data-app-autosave-generic", "");
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var endsAt = typeof window.appSessionEndsAt === "function" ? window.appSessionEndsAt() : null;
    if (endsAt !== null && Date.now() > endsAt - 5000) return; // about to be refused: keep the copies
    form.querySelectorAll("[data-app-autosave-generic]").forEach(function (box) {
      store.removeItem(prefix + box.getAttribute("data-app-autosave"));
    });
  });
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

// The session time-out warning (signed-in pages): the body carries data-app-session-seconds (how long the
// session has left without activity) and data-app-session-warning-seconds. Before the end, a modal dialog
// asks "Stay signed in"; that POSTs to the keep-alive page, which counts as activity. If nobody answers,
// the page goes to the sign-in page (with ?timeout=1 and the way back) when the session ends. Text typed
// into forms is already kept in localStorage by the drafts script above, and put back after signing in.
// The clock is wall time, so a laptop that slept past the end is sent to sign in as soon as it wakes.
(function () {
  "use strict";
  var body = document.body;
  var seconds = parseInt(body.getAttribute("data-app-session-seconds"), 10);
  var warning = parseInt(body.getAttribute("data-app-session-warning-seconds"), 10);
  var dialog = document.getElementById("app-timeout-dialog");
  if (isNaN(seconds) || isNaN(warning) || !dialog || typeof dialog.showModal !== "function") return;
  var endsAt = Date.now() + seconds * 1000;
  var countdown = dialog.querySelector("[data-app-timeout-countdown]");
  var live = dialog.querySelector("[data-app-timeout-live]");
  var stay = dialog.querySelector("[data-app-timeout-stay]");
  var lastSpoken = null;
  window.appSessionEndsAt = function () {
    return endsAt;
  };

  function describe(left) {
    if (left >= 60) {
      var minutes = Math.ceil(left / 60);
      return minutes + " minute" + (minutes === 1 ? "" : "s");
    }
    return left + " second" + (left === 1 ? "" : "s");
  }

  function timedOut() {
    var here = window.location.pathname + window.location.search;
    window.location.assign("/accounts/sign-in/?timeout=1&next=" + encodeURIComponent(here));
  }

  function tick() {
    var left = Math.round((endsAt - Date.now()) / 1000);
    // Two seconds' grace after the end, so the server has surely ended the session too.
    if (left <= -2) {
      timedOut();
      return;
    }
    left = Math.max(left, 0);
    if (left <= warning) {
      if (!dialog.open) {
        dialog.showModal();
        stay.focus();
      }
      var text = describe(left);
      countdown.textContent = text;
      // Screen readers hear the time at the start and then each minute, not every second.
      var spoken = left >= 60 ? text : left <= 20 ? "20 seconds" : "1 minute";
      if (spoken !== lastSpoken) {
        live.textContent = "You will be signed out in " + spoken + ".";
        lastSpoken = spoken;
      }
    }
  }

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  stay.addEventListener("click", function () {
    fetch("/accounts/session/keep-alive/", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error("signed out");
        return response.json();
      })
      .then(function (data) {
        endsAt = Date.now() + data.seconds_left * 1000;
        lastSpoken = null;
        dialog.close();
      })
      .catch(timedOut);
  });
  // Escape would close the dialog without keeping the session alive: treat it as "stay signed in".
  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();
    stay.click();
  });
  window.setInterval(tick, 1000);
  document.addEventListener("visibilitychange", tick);
  tick();
})();
