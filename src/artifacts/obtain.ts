/**
 * Where `npm run artifacts` gets a release file: a local directory the operator names, else the
 * artifact's upstream URL. Returns the bytes and their sha256; never trusts a file it has not
 * hashed.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { upstreamUrl, type ArtifactBuild } from "../model/artifacts";

export interface Obtained {
  bytes: Buffer;
  sha256: string;
  /** As the table shows it: the local path or the URL. */
  source: string;
}

export const sha256Of = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

/** The places a file may sit in `--from DIR`: the share's own layout, or flat. */
export function localCandidates(dir: string, key: string, version: string, pin: ArtifactBuild): string[] {
  return [join(dir, key, version, pin.file), join(dir, pin.file)];
}

/**
 * A server that does not answer within `answerMs` is given up (a stalled mirror must not hang the
 * command); a release that answered may take up to `wholeMs` to arrive.
 */
const answerMs = 30_000;
const wholeMs = 600_000;

async function download(url: string): Promise<Buffer> {
  const answered = new AbortController();
  const timer = setTimeout(() => answered.abort(new Error(`no answer within ${answerMs / 1000} s`)), answerMs);
  try {
    const response = await fetch(url, {
      redirect: "follow",
      signal: AbortSignal.any([answered.signal, AbortSignal.timeout(wholeMs)]),
    });
    clearTimeout(timer);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return Buffer.from(await response.arrayBuffer());
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`cannot download ${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The file of versions.<key> = `version` (one build, pinned at `field`, e.g. artifacts.qdrant or
 * artifacts.qdrant.aarch64): from `from` when it holds it, else from upstream.
 */
export async function obtain(
  key: string,
  version: string,
  pin: ArtifactBuild,
  field: string,
  from?: string,
): Promise<Obtained> {
  const candidates = from !== undefined ? localCandidates(from, key, version, pin) : [];
  const path = candidates.find((p) => existsSync(p));
  if (path !== undefined) {
    const bytes = readFileSync(path);
    return { bytes, sha256: sha256Of(bytes), source: path };
  }
  if (pin.upstream === undefined)
    throw new Error(
      from !== undefined
        ? `not in ${from} (expected ${candidates.join(" or ")}) and ${field} has no upstream`
        : `${field} has no upstream: pass --from DIR holding ${pin.file}`,
    );
  const url = upstreamUrl(pin.upstream, version);
  const bytes = await download(url);
  return { bytes, sha256: sha256Of(bytes), source: url };
}
