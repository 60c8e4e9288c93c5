#!/usr/bin/env node
// The `valence` command as npm links it. Committed (not built) because npm links a bin only when its
// target exists at install time: in a fresh clone `npm ci` runs before dist/ is built, and a bin
// pointing into dist/ was never linked ("valence: not found"). The CLI itself is dist/cli/main.js.
"use strict";
/* eslint-disable @typescript-eslint/no-require-imports -- plain CommonJS: it runs before anything is built */
const { existsSync } = require("node:fs");
const { join } = require("node:path");

const main = join(__dirname, "..", "dist", "cli", "main.js");
if (!existsSync(main)) {
  console.error(
    `valence: the CLI is not built yet (${main} is missing).\n` +
      "In a clone of the repository, run `npm run setup` (or `npm start`) first; it builds it.",
  );
  process.exit(1);
}
require(main);
