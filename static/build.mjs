// Copies the built front-end files into static/build/ (run by `npm run build`, after Sass).
//
// GOV.UK Frontend's JavaScript comes from node_modules. Its images (favicons, app icons, the
// opengraph image, the royal crest) all show the crown, and its fonts are GDS Transport: both are
// for GOV.UK only, so none of them is copied. The portal's own icons come from static/images/.

import { copyFileSync, cpSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const staticDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(staticDir);
const build = join(staticDir, "build");
const govuk = join(root, "node_modules", "govuk-frontend", "dist", "govuk");

mkdirSync(build, { recursive: true });

for (const [from, to] of [
  [join(govuk, "govuk-frontend.min.js"), "govuk-frontend.min.js"],
  [join(govuk, "govuk-frontend.min.js.map"), "govuk-frontend.min.js.map"],
  [join(staticDir, "js", "portal.js"), "portal.js"],
  [join(staticDir, "js", "js-enabled.js"), "js-enabled.js"],
  [join(staticDir, "js", "start-govuk-frontend.js"), "start-govuk-frontend.js"],
  [join(staticDir, "css", "admin.css"), "admin.css"],
]) {
  copyFileSync(from, join(build, to));
}

// Start from an empty images folder so an icon removed from static/images/ does not linger.
rmSync(join(build, "images"), { recursive: true, force: true });
cpSync(join(staticDir, "images"), join(build, "images"), { recursive: true });

const copied = readdirSync(build, { recursive: true }).sort();
console.log(`static/build: ${copied.join(", ")}`);
