/**
 * Release artifacts: the apps Debian does not package (qdrant, the orchestrator's wheelhouse,
 * Node-RED, the mirrors' apps), each a .tar.gz pinned by its sha256 under the stack's
 * `artifacts:` and fetched by the hosts from the NAS artifact share (`site.nas.artifacts`), or
 * from its upstream URL when the NAS does not have it. The field rules live here; which versions
 * keys are artifacts is each service module's `artifacts` list.
 */
import { z } from "zod";
import { withRule } from "./issues";
import { addressProblem, hostPortProblem, hostPortShape } from "./network";
import { normalizedPathProblem } from "./paths";

export const sha256Expected =
  "expected 64 lowercase hex digits, the sha256 of the .tar.gz (`npm run artifacts -- --stack <name>` prints it)";

export const artifactFileExpected =
  "expected the artifact's file name, a .tar.gz of letters, digits, '.', '_', '+' and '-' (no '/'), e.g. qdrant-x86_64-unknown-linux-gnu.tar.gz";

export const upstreamExpected =
  "expected an http(s) URL template naming {version}, e.g. https://github.com/qdrant/qdrant/releases/download/v{version}/qdrant-x86_64-unknown-linux-gnu.tar.gz";

export const shareUrlExpected =
  "expected the http(s) URL the hosts read the artifact share at, without a trailing '/', query or fragment, e.g. http://nas.home.arpa:8081";

/**
 * The characters a URL here may hold: the host fetches it with curl from a shell script, so no
 * quote, space, backslash, '$' or backtick ever reaches it (the host layer quotes it all the same).
 */
const urlCharacters = /^[A-Za-z0-9._~:/?#@!&()*+,;=%-]+$/;

/** Why `url` is not an http(s) URL of a host the fleet can name, or undefined. */
function httpUrlProblem(url: string): string | undefined {
  if (!urlCharacters.test(url))
    return "it holds a character a URL here may not (space, quote, '$', '\\', '`', '{' ...)";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "it is not a URL";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
    return `its scheme is ${parsed.protocol} (not http or https)`;
  if (parsed.username || parsed.password) return "it holds a user or password (the share is read without one)";
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  const hostProblem = addressProblem(host);
  return hostProblem ? `its host ${host}: ${hostProblem}` : undefined;
}

/** The placeholder the upstream URL template must name (once or more), and nothing else in braces. */
export const versionPlaceholder = "{version}";

/** `template` with `{version}` replaced: the URL a host fetches. */
export function upstreamUrl(template: string, version: string): string {
  return template.split(versionPlaceholder).join(version);
}

function upstreamProblem(template: string): string | undefined {
  if (!template.includes(versionPlaceholder)) return `${upstreamExpected}; this one does not name {version}`;
  const rest = template.split(versionPlaceholder).join("");
  if (/[{}]/.test(rest)) return `${upstreamExpected}; {version} is the only placeholder`;
  const problem = httpUrlProblem(upstreamUrl(template, "1.0.0"));
  return problem ? `${upstreamExpected}; ${problem}` : undefined;
}

function shareUrlProblem(url: string): string | undefined {
  const problem = httpUrlProblem(url);
  if (problem) return `${shareUrlExpected}; ${problem}`;
  const parsed = new URL(url);
  if (url.endsWith("/") || parsed.search || parsed.hash || url.includes("?") || url.includes("#"))
    return `${shareUrlExpected}; this one ends in '/' or has a query or fragment`;
  return undefined;
}

/** An object's own message when it is missing or not a map; its fields' messages otherwise (an unknown key stays "unknown field"). */
const whenNotAMap = (message: string) => (issue: z.core.$ZodRawIssue) =>
  issue.code === "invalid_type" ? message : undefined;

/**
 * The CPU architectures a host may have, by `uname -m`'s names: the servers are x86_64, the
 * mirrors' Raspberry Pis aarch64 (`hosts.<name>.arch`).
 */
export const architectures = ["x86_64", "aarch64"] as const;
export type Architecture = (typeof architectures)[number];

export const archExpected = `expected the host's CPU architecture as \`uname -m\` prints it: ${architectures.join(" or ")}`;

/** One build's pin: what file it is, its digest, and where else it may be fetched. */
const buildFields = {
  /** sha256 of the .tar.gz, 64 lowercase hex digits. */
  sha256: z.string({ error: sha256Expected }).regex(/^[0-9a-f]{64}$/, { error: sha256Expected }),
  /** Its file name: the share has it at <site.nas.artifacts.path>/<key>/<version>/<file>. */
  file: z
    .string({ error: artifactFileExpected })
    .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,200}\.tar\.gz$/, { error: artifactFileExpected }),
  /** Where to fetch it when the share does not have it; {version} is replaced by versions.<key>. */
  upstream: withRule(z.string({ error: upstreamExpected }), upstreamProblem).optional(),
};

const buildExpected = "{ sha256, file, upstream (optional) }";

const buildEntry = (key: string, arch: Architecture) =>
  z.strictObject(buildFields, {
    error: whenNotAMap(`expected the ${arch} build of versions.${key}: ${buildExpected}`),
  });

const pinShapes = (key: string) =>
  `expected the release artifact pinned for versions.${key}: ${buildExpected} when one build runs on every architecture, or one per architecture (${architectures.map((a) => `${a}: ${buildExpected}`).join(", ")})`;

/**
 * One artifact's pin: either one build that runs on every architecture (sha256, file, upstream),
 * or one build per architecture under its `uname -m` name; never both.
 */
export const artifactEntry = (key: string) =>
  z
    .strictObject(
      {
        sha256: buildFields.sha256.optional(),
        file: buildFields.file.optional(),
        upstream: buildFields.upstream,
        ...Object.fromEntries(architectures.map((arch) => [arch, buildEntry(key, arch).optional()])),
      },
      { error: whenNotAMap(pinShapes(key)) },
    )
    .superRefine(
      (pin, ctx) => {
        const record = pin as Record<string, unknown>;
        const perArch = architectures.filter((arch) => record[arch] !== undefined);
        const flat = (["sha256", "file", "upstream"] as const).filter((field) => record[field] !== undefined);
        if (perArch.length > 0 && flat.length > 0)
          ctx.addIssue({
            code: "custom",
            path: [flat[0]],
            message: `expected either one build for every architecture or one per architecture (${perArch.join(", ")} given), not both: move ${flat.join(", ")} under an architecture`,
          });
        else if (flat.length === 0 && perArch.length === 0)
          ctx.addIssue({ code: "custom", path: [], message: pinShapes(key) });
        else if (perArch.length === 0) {
          if (record.sha256 === undefined) ctx.addIssue({ code: "custom", path: ["sha256"], message: sha256Expected });
          if (record.file === undefined)
            ctx.addIssue({ code: "custom", path: ["file"], message: artifactFileExpected });
        }
      }, // Only on an entry that parsed: an unknown or malformed field is its own message.
      { when: (payload) => payload.issues.length === 0 },
    )
    .transform((pin): ArtifactPin => {
      const record = pin as Record<string, ArtifactBuild | undefined> & Partial<ArtifactBuild>;
      if (pin.sha256 !== undefined)
        return {
          any: { sha256: pin.sha256, file: pin.file!, ...(pin.upstream !== undefined && { upstream: pin.upstream }) },
        };
      return Object.fromEntries(architectures.filter((a) => record[a]).map((a) => [a, record[a]]));
    });

/** One build of an artifact. */
export interface ArtifactBuild {
  sha256: string;
  file: string;
  upstream?: string;
}

/** An artifact's builds: `any` runs on every architecture; otherwise one per architecture pinned. */
export type ArtifactPin = { any: ArtifactBuild } | Partial<Record<Architecture, ArtifactBuild>>;

/** The build a host of `arch` installs, or undefined when none is pinned for it. */
export function buildFor(pin: ArtifactPin, arch: Architecture): ArtifactBuild | undefined {
  return "any" in pin ? pin.any : pin[arch];
}

/** Every build pinned: what the artifact share must hold. */
export function allBuilds(pin: ArtifactPin): ArtifactBuild[] {
  return Object.values(pin as Record<string, ArtifactBuild>);
}

const sharePathExpected =
  "expected an absolute, normalized path on the NAS (letters, digits, '.', '_', '-', '+', '@' and '/'), e.g. /volume1/lyra-artifacts";

/** `site.nas.artifacts`: the NAS artifact share. */
export const artifactShare = z.strictObject(
  {
    /** Read over HTTP by the hosts: <url>/<key>/<version>/<file>. */
    url: withRule(z.string({ error: shareUrlExpected }), shareUrlProblem),
    /** The same tree on the NAS, written over SFTP by `npm run artifacts`. */
    path: withRule(z.string({ error: sharePathExpected }), (path) =>
      normalizedPathProblem(path) ? sharePathExpected : undefined,
    ),
  },
  { error: whenNotAMap("expected the NAS artifact share: { url, path }") },
);

export type ArtifactShare = z.output<typeof artifactShare>;

const registryExpected =
  "expected a container registry as host or host:port, e.g. nas.home.arpa:5000 (the start of an image reference)";

/** `site.nas.registry`: a container registry on the NAS; `insecure` when it serves plain HTTP. */
export const containerRegistry = z.strictObject(
  {
    address: withRule(z.string({ error: registryExpected }), (address) => {
      const problem = hostPortProblem(address);
      if (problem === undefined) return undefined;
      return problem === hostPortShape ? registryExpected : `${registryExpected}; ${problem}`;
    }),
    insecure: z.boolean({ error: "expected true (the registry serves plain HTTP) or false (HTTPS)" }).default(false),
  },
  { error: whenNotAMap("expected a container registry: { address, insecure }") },
);

export type ContainerRegistry = z.output<typeof containerRegistry>;
