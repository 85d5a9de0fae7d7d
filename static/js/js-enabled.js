// Marks the page as able to run JavaScript, before it is drawn (GOV.UK Frontend's js-enabled class).
// A file rather than an inline <script>, because the Content Security Policy allows no inline script.
document.body.className +=
  " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
