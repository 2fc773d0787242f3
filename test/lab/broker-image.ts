/**
 * The lab's broker image: Debian's mosquitto laid out like eclipse-mosquitto, as a one-layer
 * Docker image (schema 2 manifest) built from a debootstrap minbase root, cached under the lab
 * directory, and pushed to a registry by the Registry HTTP API v2 so a host can pull it by digest.
 * There is no public registry here (LAB-NOTES "Docker"), and `docker import` gives no repo digest.
 * `lab.sh up` runs both steps (lib/images.sh): the build before any host boots, the push to the
 * NAS's registry once nas serves it; tests read the pushed reference with `labImages()` (lab.ts).
 *
 *   node --import tsx test/lab/broker-image.ts build               # builds (or reuses) the image
 *   node --import tsx test/lab/broker-image.ts push URL NAME       # pushes it, records the reference
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { labDir } from "./lab";

const run = promisify(execFile);

/** The repository name the stack's image pin uses (`<registry>/eclipse-mosquitto@sha256:...`). */
export const brokerRepository = "eclipse-mosquitto";
/** What the image's mosquitto is: Debian bookworm's (the tag says so, the digest pins it). */
export const brokerTag = "2.0.11-debian12";
/** eclipse-mosquitto's user and group `mosquitto` are 1883; the rendered file modes rely on it. */
const mosquittoId = "1883";
const packages = "mosquitto,mosquitto-clients";
/** Bump when the root's contents or the image config change: the cached image is rebuilt. */
const revision = 1;
const stamp = `suite=bookworm packages=${packages} revision=${revision}`;
const DEADLINE_DEBOOTSTRAP_MS = 15 * 60_000;
const DEADLINE_REGISTRY_MS = 60_000;

const mediaTypes = {
  manifest: "application/vnd.docker.distribution.manifest.v2+json",
  config: "application/vnd.docker.container.image.v1+json",
  layer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
};

export interface BrokerImage {
  /** The manifest exactly as pushed (its sha256 is the digest hosts pull by). */
  manifest: Buffer;
  digest: string;
  config: Buffer;
  layerPath: string;
}

export const imagesDir = () => join(labDir, "images");
const cacheDir = () => join(imagesDir(), "mosquitto");

const sha256 = (data: Buffer | string) => `sha256:${createHash("sha256").update(data).digest("hex")}`;
async function sha256File(path: string): Promise<string> {
  const { stdout } = await run("sha256sum", [path], { maxBuffer: 1024 * 1024 });
  return `sha256:${stdout.split(" ")[0]}`;
}

function readCached(): BrokerImage | undefined {
  const dir = cacheDir();
  const files = ["stamp", "manifest.json", "config.json", "layer.tar.gz"].map((f) => join(dir, f));
  if (!files.every((f) => existsSync(f)) || readFileSync(files[0], "utf8") !== stamp) return undefined;
  const manifest = readFileSync(files[1]);
  return { manifest, digest: sha256(manifest), config: readFileSync(files[2]), layerPath: files[3] };
}

/** The image, from the cache or built (debootstrap: about a minute; needs root and Debian's mirror). */
export async function ensureBrokerImage(): Promise<BrokerImage> {
  const cached = readCached();
  if (cached) return cached;
  const dir = cacheDir();
  const building = `${dir}.building`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  const root = join(building, "rootfs");
  try {
    await run(
      "debootstrap",
      ["--variant=minbase", `--include=${packages}`, "bookworm", root, "http://deb.debian.org/debian"],
      { timeout: DEADLINE_DEBOOTSTRAP_MS, maxBuffer: 64 * 1024 * 1024 },
    );
  } catch (error) {
    const e = error as { stdout?: string; message: string };
    throw new Error(`debootstrap of the broker image failed: ${e.message}\n${(e.stdout ?? "").slice(-2000)}`);
  }
  // eclipse-mosquitto's layout: mosquitto (uid/gid 1883) owns /mosquitto/{data,log}; the config
  // directory is the host's, mounted read-only over /mosquitto/config.
  const chroot = (...args: string[]) => run("chroot", [root, ...args]);
  await chroot("groupmod", "-g", mosquittoId, "mosquitto");
  await chroot("usermod", "-u", mosquittoId, "-g", mosquittoId, "mosquitto");
  for (const sub of ["config", "data", "log"]) mkdirSync(join(root, "mosquitto", sub), { recursive: true });
  await run("chown", [
    "-R",
    `${mosquittoId}:${mosquittoId}`,
    join(root, "mosquitto/data"),
    join(root, "mosquitto/log"),
  ]);
  // What a container never uses: package lists and caches, documentation.
  for (const sub of ["var/cache/apt", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/info"]) {
    rmSync(join(root, sub), { recursive: true, force: true });
    mkdirSync(join(root, sub), { recursive: true });
  }

  // One layer, byte-stable for the same root: sorted names, fixed times, numeric owners, gzip -n.
  const tar = join(building, "layer.tar");
  await run("tar", [
    ...["--sort=name", "--numeric-owner", "--mtime=@0", "--xattrs", "--acls"],
    ...["--exclude=./dev/*", "--exclude=./proc/*", "--exclude=./sys/*", "-C", root, "-cf", tar, "."],
  ]);
  const diffId = await sha256File(tar);
  await run("gzip", ["-n", "-6", tar]);
  const layerPath = `${tar}.gz`;
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: {
        Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        // Started as root, mosquitto drops to its user `mosquitto` (1883) after reading its config,
        // as in eclipse-mosquitto.
        Cmd: ["/usr/sbin/mosquitto", "-c", "/mosquitto/config/mosquitto.conf"],
        ExposedPorts: { "1883/tcp": {} },
        Volumes: { "/mosquitto/data": {}, "/mosquitto/log": {} },
        Labels: { "org.lyra-fleet.lab-image": "Debian bookworm mosquitto, eclipse-mosquitto layout" },
      },
      rootfs: { type: "layers", diff_ids: [diffId] },
      history: [{ created_by: `lyra-fleet lab: debootstrap --variant=minbase --include=${packages} bookworm` }],
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: mediaTypes.manifest,
      config: { mediaType: mediaTypes.config, size: config.length, digest: sha256(config) },
      layers: [
        { mediaType: mediaTypes.layer, size: readFileSync(layerPath).length, digest: await sha256File(layerPath) },
      ],
    }),
  );
  writeFileSync(join(building, "config.json"), config);
  writeFileSync(join(building, "manifest.json"), manifest);
  rmSync(root, { recursive: true, force: true });
  writeFileSync(join(building, "stamp"), stamp);
  rmSync(dir, { recursive: true, force: true });
  renameSync(building, dir);
  const image = readCached();
  if (!image) throw new Error(`the broker image in ${dir} is incomplete after building it`);
  return image;
}

/** A registry: where this machine pushes to, and the name the lab hosts pull by. */
export interface ImageRegistry {
  /** Base URL reachable from this machine, `http://127.0.0.1:5000`. */
  pushUrl: string;
  /** `host:port` as the lab hosts reach it, the first part of the image reference. */
  name: string;
}

async function registryCall(url: string, init: RequestInit, what: string): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(DEADLINE_REGISTRY_MS), redirect: "manual" });
  } catch (error) {
    throw new Error(`registry ${what} (${url}): ${(error as Error).message}`);
  }
}

async function expectStatus(response: Response, expected: number[], what: string): Promise<void> {
  if (expected.includes(response.status)) return;
  const body = (await response.text()).slice(0, 500);
  throw new Error(`registry ${what}: HTTP ${response.status} (expected ${expected.join(" or ")}): ${body}`);
}

/** Uploads a blob unless the registry has it; says whether it uploaded. */
async function pushBlob(registry: ImageRegistry, data: Buffer, what: string): Promise<boolean> {
  const base = `${registry.pushUrl}/v2/${brokerRepository}/blobs`;
  const digest = sha256(data);
  const head = await registryCall(`${base}/${digest}`, { method: "HEAD" }, `HEAD ${what}`);
  if (head.status === 200) return false;
  const start = await registryCall(`${base}/uploads/`, { method: "POST" }, `upload of ${what}`);
  await expectStatus(start, [202], `upload of ${what}`);
  const location = new URL(start.headers.get("location") ?? "", registry.pushUrl);
  location.searchParams.set("digest", digest);
  const put = await registryCall(
    location.toString(),
    { method: "PUT", body: data, headers: { "content-type": "application/octet-stream" } },
    `PUT ${what}`,
  );
  await expectStatus(put, [201], `PUT ${what}`);
  return true;
}

export interface PushedImage {
  /** `<registry name>/eclipse-mosquitto@sha256:<manifest digest>`, what the hosts pull. */
  reference: string;
  /** How many blobs the registry did not have yet (0: the image was there already). */
  uploadedBlobs: number;
}

/**
 * Pushes the image (blobs, then the manifest under its tag), checks that the registry serves the
 * manifest by digest, and records the reference in images/manifest.json. The record is removed
 * first: after a failed push no reference names an image the registry may not hold.
 */
export async function pushBrokerImage(image: BrokerImage, registry: ImageRegistry): Promise<PushedImage> {
  rmSync(join(imagesDir(), "manifest.json"), { force: true });
  let uploadedBlobs = 0;
  if (await pushBlob(registry, readFileSync(image.layerPath), "the layer")) uploadedBlobs++;
  if (await pushBlob(registry, image.config, "the image config")) uploadedBlobs++;
  const manifests = `${registry.pushUrl}/v2/${brokerRepository}/manifests`;
  const put = await registryCall(
    `${manifests}/${brokerTag}`,
    { method: "PUT", body: image.manifest, headers: { "content-type": mediaTypes.manifest } },
    "PUT of the manifest",
  );
  await expectStatus(put, [201], "PUT of the manifest");
  const said = put.headers.get("docker-content-digest");
  if (said !== image.digest) throw new Error(`registry stored the manifest as ${said}, expected ${image.digest}`);
  const get = await registryCall(
    `${manifests}/${image.digest}`,
    { headers: { accept: mediaTypes.manifest } },
    "GET of the manifest by digest",
  );
  await expectStatus(get, [200], "GET of the manifest by digest");
  if (sha256(Buffer.from(await get.arrayBuffer())) !== image.digest)
    throw new Error("registry served other manifest bytes than were pushed");
  const reference = `${registry.name}/${brokerRepository}@${image.digest}`;
  const record = join(imagesDir(), "manifest.json");
  writeFileSync(
    `${record}.tmp`,
    `${JSON.stringify({ [brokerRepository]: { tag: brokerTag, digest: image.digest, reference } }, null, 2)}\n`,
  );
  renameSync(`${record}.tmp`, record);
  return { reference, uploadedBlobs };
}

/** The command line lib/images.sh runs: `build`, or `push PUSH_URL NAME` (builds first if needed). */
async function main(args: string[]): Promise<string> {
  const [command, pushUrl, name] = args;
  if (command === "build" && args.length === 1) {
    const image = await ensureBrokerImage();
    return `broker image ${image.digest} (${cacheDir()})`;
  }
  if (command === "push" && args.length === 3) {
    const { reference, uploadedBlobs } = await pushBrokerImage(await ensureBrokerImage(), { pushUrl, name });
    return `${reference} uploaded=${uploadedBlobs}`;
  }
  throw new Error("usage: broker-image.ts build | push PUSH_URL NAME");
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (line) => console.log(line),
    (error: Error) => {
      console.error(error.message);
      process.exitCode = 1;
    },
  );
}
