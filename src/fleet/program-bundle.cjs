/**
 * The program as one CommonJS module, for ./program-loader.cjs: src/index.ts (or any entry) and
 * every module of this project it imports, bundled by esbuild; packages stay `require`s of
 * node_modules.
 *
 * What runs is always what the files hold now. The bundle is kept in node_modules/.cache/lyra-fleet/
 * (or $LYRA_FLEET_BUNDLE_CACHE) with the list of its inputs, and used only while a digest of them
 * is what it was: every input's content, the names in every directory an input is in (a new file
 * can change what an import resolves to), the nearest tsconfig.json, esbuild's version and these
 * options. Checking that reads the ~100 inputs (a few ms); a bundle costs about 100 ms. There is no
 * build step to forget and no compiled copy to go stale. Without a writable cache it bundles every
 * time.
 *
 * Like tsx, it strips types without checking them: type checking is `npm test`'s (tsc --noEmit).
 * A syntax error fails the run naming the file, line and column. The code carries an inline source
 * map, so stack traces name the .ts files and lines.
 */
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

/** Change it when the options below change: a bundle made with other options is not used. */
const bundleFormat = "lyra-fleet program bundle 1";
/** LYRA_FLEET_BUNDLE_CACHE moves it (a read-only checkout, the tests' scratch caches). */
const cacheDirectory =
  process.env.LYRA_FLEET_BUNDLE_CACHE || path.join(__dirname, "..", "..", "node_modules", ".cache", "lyra-fleet");

/** Bundles the entry and what it imports from this project: one CommonJS module's code, and its inputs. */
function bundle(filename) {
  // The project's own esbuild (a devDependency), loaded only when there is something to bundle.
  const esbuild = require("esbuild");
  const where = path.dirname(filename);
  try {
    const result = esbuild.buildSync({
      entryPoints: [filename],
      bundle: true,
      write: false,
      platform: "node",
      format: "cjs",
      target: `node${process.versions.node.split(".")[0]}`,
      packages: "external",
      sourcemap: "inline",
      // Mappings only: a stack trace needs lines, not the sources (half the bundle's size).
      sourcesContent: false,
      // Paths in the map (and in esbuild's messages) relative to where the module is compiled.
      absWorkingDir: where,
      sourceRoot: where + path.sep,
      logLevel: "silent",
      metafile: true,
    });
    const inputs = Object.keys(result.metafile.inputs).map((input) => path.resolve(where, input));
    return { code: result.outputFiles[0].text, inputs };
  } catch (err) {
    if (!Array.isArray(err.errors)) throw err;
    // esbuild's own message ends in its internals' stack: say what is wrong, and where.
    const problems = err.errors.map((e) =>
      e.location
        ? `${path.resolve(where, e.location.file)}:${e.location.line}:${e.location.column + 1}: ${e.text}`
        : e.text,
    );
    throw new Error(`the program does not compile (${filename}):\n${problems.join("\n")}`);
  }
}

/**
 * The entry's bundle (its code): the cached one while its inputs are unchanged, else a new one,
 * then cached. The cache holds, per entry, an index (the inputs and their digest) naming a file of
 * code by that digest: a file's content never changes once written.
 */
module.exports.cachedBundle = function cachedBundle(filename) {
  const index = path.join(cacheDirectory, `${sha256(filename)}.json`);
  const cached = readJson(index);
  if (cached && cached.digest === digest(filename, cached.inputs)) {
    const code = readText(codeFile(cached.digest));
    if (code !== undefined) return code;
  }
  const { code, inputs } = bundle(filename);
  const fresh = digest(filename, inputs);
  if (fresh === undefined) return code; // an input went away meanwhile
  try {
    fs.mkdirSync(cacheDirectory, { recursive: true });
    // The code first, then the index that names it, each written whole and renamed: a program
    // starting meanwhile reads complete files, the old ones or the new.
    writeWhole(codeFile(fresh), code);
    writeWhole(index, JSON.stringify({ digest: fresh, inputs }));
  } catch {
    // No cache (a read-only checkout): the next run bundles again, which is only slower.
    return code;
  }
  pruneCache([index, codeFile(fresh)]);
  return code;
};

const codeFile = (digest) => path.join(cacheDirectory, `${digest}.js`);

function writeWhole(file, text) {
  const partial = `${file}.${process.pid}`;
  fs.writeFileSync(partial, text);
  fs.renameSync(partial, file);
}

function readText(file) {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** Bundles not written for a week (a deleted checkout's, a bench's scratch project's, old code) go. */
function pruneCache(kept) {
  const weekAgo = Date.now() - 7 * 24 * 3600 * 1000;
  try {
    for (const name of fs.readdirSync(cacheDirectory)) {
      const file = path.join(cacheDirectory, name);
      if (!kept.includes(file) && fs.statSync(file).mtimeMs < weekAgo) fs.rmSync(file, { force: true });
    }
  } catch {
    // Pruning is housekeeping: a failure costs disk space, nothing else.
  }
}

/** What the bundle depends on, as one digest; undefined when an input is gone. */
function digest(filename, inputs) {
  const hash = crypto.createHash("sha256");
  hash.update(`${bundleFormat}\0${require("esbuild/package.json").version}\0${process.versions.node}\0${filename}\0`);
  try {
    const tsconfig = nearestTsconfig(path.dirname(filename));
    for (const input of [...inputs, ...(tsconfig ? [tsconfig] : [])].sort()) {
      hash.update(`${input}\0`).update(fs.readFileSync(input)).update("\0");
    }
    for (const directory of [...new Set(inputs.map((input) => path.dirname(input)))].sort()) {
      hash.update(`${directory}\0${fs.readdirSync(directory).sort().join("/")}\0`);
    }
  } catch {
    return undefined;
  }
  return hash.digest("hex");
}

function nearestTsconfig(directory) {
  for (let dir = directory; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "tsconfig.json");
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

const sha256 = (text) => crypto.createHash("sha256").update(text).digest("hex");
