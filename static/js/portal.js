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
