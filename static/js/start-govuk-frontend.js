// Starts GOV.UK Frontend's components (an ES module beside this file in static/build/).
import { initAll } from "./govuk-frontend.min.js";

initAll();
