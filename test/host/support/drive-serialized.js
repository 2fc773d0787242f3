// Loads serialized host providers the way Pulumi's dynamic provider host does
// (require-from-string, then .handler()), in a plain Node.js process with no TypeScript loader,
// and drives them against an SSH server. Prints one JSON object of observations.
// Usage: node drive-serialized.js <dir with serialized providers> <connection JSON> <scratch dir>
"use strict";
const fs = require("fs");
const path = require("path");
const requireFromString = require("require-from-string");
const crypto = require("crypto");

const [dir, connectionJson, scratch] = process.argv.slice(2);
const connection = JSON.parse(connectionJson);
const load = (name) => requireFromString(fs.readFileSync(path.join(dir, `${name}.js`), "utf8")).handler();
const sha = (text) => crypto.createHash("sha256").update(text).digest("hex");

async function main() {
  const file = load("file");
  const directory = load("directory");
  const unit = load("systemdUnit");
  const apt = load("aptPackages");
  const out = {};
  const target = path.join(scratch, "served/by/serialized.conf");
  const inputs = (content) => ({
    connection,
    path: target,
    content,
    sha256: sha(content),
    mode: "0640",
    owner: "root",
    group: "root",
  });

  const created = await file.create(inputs("one\n"));
  out.createdId = created.id;
  out.contentOnDisk = fs.readFileSync(target, "utf8");
  const read = await file.read(created.id, created.outs);
  out.readSha256 = read.props.sha256;
  out.diffSame = await file.diff(created.id, read.props, inputs("one\n"));
  out.diffChanged = await file.diff(created.id, read.props, inputs("two\n"));
  await file.update(created.id, read.props, inputs("two\n"));
  out.contentAfterUpdate = fs.readFileSync(target, "utf8");
  await file.delete(created.id, read.props);
  out.existsAfterDelete = fs.existsSync(target);

  const dirPath = path.join(scratch, "a-directory");
  const dirCreated = await directory.create({ connection, path: dirPath, mode: "0700", owner: "root", group: "root" });
  out.directoryMode = (fs.statSync(dirPath).mode & 0o7777).toString(8);
  await directory.delete(dirCreated.id, dirCreated.outs);
  out.directoryExistsAfterDelete = fs.existsSync(dirPath);

  const aptRead = await apt.read("x:apt:coreutils", {
    connection,
    packages: ["coreutils"],
    timeoutSeconds: 60,
    installed: {},
  });
  out.coreutilsInstalled = typeof aptRead.props.installed.coreutils === "string";

  const unitOlds = {
    connection,
    name: "a.service",
    ownsUnitFile: true,
    sha256: sha("x"),
    dropInSha256: "",
    enabled: true,
    active: true,
    triggers: ["1"],
    startTimeoutSeconds: 60,
    needsDaemonReload: false,
  };
  const unitNews = {
    connection,
    name: "a.service",
    content: "x",
    sha256: sha("x"),
    dropInSha256: "",
    enabled: true,
    active: true,
    triggers: ["2"],
    startTimeoutSeconds: 60,
  };
  out.unitDiff = await unit.diff("x:a.service", unitOlds, unitNews);
  out.unitCheck = await unit.check({}, { ...unitNews, name: "nope" });

  // The whole-host resource: a directory, a plain and a secret file; no units (this is no lab host).
  const hostState = load("hostState");
  const root = path.join(scratch, "host-state");
  const meta = { mode: "0750", owner: "root", group: "root" };
  const hostInputs = (content) => ({
    connection,
    packages: [],
    directories: { [root]: meta },
    files: { [`${root}/plain.conf`]: { content, ...meta } },
    secretFiles: { [`${root}/secret.conf`]: { content: "s3cret\n", ...meta } },
    units: {},
  });
  const hostCreated = await hostState.create(hostInputs("a\n"));
  out.hostStateFiles = ["plain.conf", "secret.conf"].map((f) => fs.readFileSync(path.join(root, f), "utf8"));
  const hostRead = await hostState.read(hostCreated.id, hostCreated.outs);
  out.hostStateSame = await hostState.diff(hostCreated.id, hostRead.props, hostInputs("a\n"));
  out.hostStateChanged = await hostState.diff(hostCreated.id, hostRead.props, hostInputs("b\n"));
  // A host that does not answer at refresh: marked, not an error (isHostError survived serialization).
  const gone = (await hostState.read(hostCreated.id, { ...hostCreated.outs, connection: { ...connection, port: 1 } }))
    .props;
  out.hostStateUnreadable = { unreadable: gone.unreadable, keptFiles: Object.keys(gone.files).length };
  await hostState.delete(hostCreated.id, hostRead.props);
  out.hostStateExistsAfterDelete = fs.existsSync(root);

  try {
    await file.read("x", { ...created.outs, connection: { ...connection, host: "mirror-7", port: 1 } });
    out.unreachable = "no error";
  } catch (error) {
    out.unreachable = { name: error.name, kind: error.kind, message: error.message };
  }
  return out;
}

main().then(
  (out) => {
    process.stdout.write(JSON.stringify(out));
    process.exit(0); // do not wait for the idle SSH connection to close
  },
  (error) => {
    process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
    process.exit(1);
  },
);
