/**
 * What the dynamic provider's process pays to read and write hosts' items through the SDK's
 * protobuf messages, with and without the SDK preload's switch to Node's UTF-8
 * (src/fleet/sdk-protobuf-strings.cjs). The engine sends the provider every host's items, as last
 * read and as declared, in each check, diff, read and update; this times one such round over the
 * whole fleet at N mirrors: every host's CheckRequest (olds and news, each the host's packages,
 * directories, files and units as one JSON text, the way a HostState sends its items) read by the
 * SDK's own message class, and its CheckResponse written.
 * Each run is a fresh node started as the provider launcher starts it (with the preload), or
 * plainly (google-protobuf's own string code). Medians of the runs.
 *
 *   node --import tsx bench/provider-strings.ts [mirrors...] [--runs N]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseFleet } from "../src/model/load";
import { planFleet } from "../src/render";
import { homeFleetWithMirrors } from "../test/support/stack-fleet";
import { benchArgs } from "./support/bench-args";
import { median } from "./support/median";
import type { Row } from "./support/result-rows";
import { recordResults } from "./support/results";

const root = join(__dirname, "..");
const { runs, sizes } = benchArgs(process.argv.slice(2), { runs: 5, sizes: [10, 1000] });

/** In the child: read every request, write every response; prints the times in ms. */
const child = `
  const { readFileSync } = require("fs");
  const provider = require("@pulumi/pulumi/proto/provider_pb");
  const sdk = require("path").dirname(require.resolve("@pulumi/pulumi/package.json"));
  const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [sdk] }));
  const texts = JSON.parse(readFileSync(process.argv[1], "utf8"));
  const requests = texts.map((items, i) => {
    const request = new provider.CheckRequest();
    request.setUrn("urn:pulumi:home::lyra-fleet::host" + i);
    request.setOlds(Struct.fromJavaScript({ items }));
    request.setNews(Struct.fromJavaScript({ items }));
    return Buffer.from(request.serializeBinary());
  });
  let started = process.hrtime.bigint();
  const news = requests.map((bytes) => provider.CheckRequest.deserializeBinary(bytes).getNews().toJavaScript());
  const readMs = Number(process.hrtime.bigint() - started) / 1e6;
  started = process.hrtime.bigint();
  for (const inputs of news) new provider.CheckResponse().setInputs(Struct.fromJavaScript(inputs)).serializeBinary();
  const writeMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (news.some((n, i) => n.items !== texts[i])) throw new Error("a text did not read back the same");
  console.log(JSON.stringify({ readMs, writeMs }));
`;

function measure(textsFile: string, preload: boolean): { readMs: number; writeMs: number } {
  const nodeArgs = preload ? ["--require", join(root, "src", "fleet", "sdk-preload.cjs")] : [];
  const run = spawnSync(process.execPath, [...nodeArgs, "-e", child, textsFile], { cwd: root, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`the measuring node exited ${run.status}: ${run.stderr.slice(-2000)}`);
  return JSON.parse(run.stdout);
}

async function main(): Promise<void> {
  const started = new Date();
  const dir = mkdtempSync(join(tmpdir(), "bench-provider-strings-"));
  const rows: Row<"provider-strings">[] = [];
  try {
    for (const mirrors of sizes) {
      const plans = planFleet(parseFleet(homeFleetWithMirrors(mirrors), "bench"));
      const texts = plans.map((p) =>
        JSON.stringify({ packages: p.packages, directories: p.directories, files: p.files, units: p.units }),
      );
      const file = join(dir, `texts-${mirrors}.json`);
      writeFileSync(file, JSON.stringify(texts));
      const itemsMb = texts.reduce((sum, t) => sum + Buffer.byteLength(t), 0) / 1e6;
      for (const preload of [false, true]) {
        const each = Array.from({ length: runs }, () => measure(file, preload));
        const row = {
          mirrors,
          itemsMb: Number(itemsMb.toFixed(2)),
          strings: preload ? ("native (sdk preload)" as const) : ("google-protobuf" as const),
          readMs: median(each.map((m) => m.readMs)),
          writeMs: median(each.map((m) => m.writeMs)),
        };
        rows.push(row);
        console.log(
          `${String(mirrors).padStart(5)} mirrors  ${row.itemsMb.toFixed(1).padStart(6)} MB of items  ${row.strings.padEnd(20)}  read ${row.readMs.toFixed(0).padStart(5)} ms  write ${row.writeMs.toFixed(0).padStart(5)} ms`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  recordResults(
    "provider-strings",
    "one check round of the dynamic provider over the home stack with N mirrors: every host's CheckRequest (olds and news, items as JSON text) read and its CheckResponse written by the SDK's message classes, with the SDK preload's native UTF-8 strings and without (medians)",
    started,
    rows,
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
