/**
 * Preloaded (NODE_OPTIONS) by test/tools/runner-inspector.test.ts: appends a line to
 * $LYRA_INSPECTOR_SESSIONS_LOG each time the process connects an inspector session.
 */
"use strict";
const fs = require("node:fs");
const inspector = require("node:inspector");

const connect = inspector.Session.prototype.connect;
inspector.Session.prototype.connect = function () {
  fs.appendFileSync(process.env.LYRA_INSPECTOR_SESSIONS_LOG, `${process.pid}\n`);
  return connect.apply(this, arguments);
};
