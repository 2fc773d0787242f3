/**
 * Names and addresses: what reaches a host over SSH, NTP or MQTT, and the keys that pin it. The
 * rules are the protocols' own (RFC 1035 lengths, OpenSSH's key format through the host layer's
 * parser), so a stack the model accepts is one the host layer and the resolver accept too.
 */
import { parsePinnedHostKey } from "../host/transport/host-key";
import { lineProblem } from "./text";

const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
/** One DNS label: 1-63 letters, digits and inner dashes (RFC 1035 section 2.3.1). */
const label = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

export const maxDnsName = 253;

/** A DNS name: labels of at most 63 characters, at most 253 in all, not all digits (that is an address). */
export function dnsNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > maxDnsName) return `expected a DNS name of at most ${maxDnsName} characters`;
  const labels = name.split(".");
  if (labels.some((l) => l.length > 63)) return "expected DNS labels (the parts between dots) of at most 63 characters";
  if (!labels.every((l) => label.test(l)))
    return "expected a DNS name of letters, digits and inner dashes, e.g. vega.home.arpa";
  if (/^[\d.]+$/.test(name)) return "expected a DNS name, not a partial IPv4 address";
  return undefined;
}

/**
 * IPv4 addresses that name no single host: "this network" (0/8, 0.0.0.0 included), multicast
 * (224/4), reserved and broadcast (240/4). Loopback stays valid: the lab's hosts live there.
 */
function addressesNoHost(address: string): boolean {
  const first = Number(address.split(".")[0]);
  return first === 0 || first >= 224;
}

export const addressExpected = "expected an IPv4 address or a DNS name, e.g. 192.168.1.20 or vega.home.arpa";

export function addressProblem(value: string): string | undefined {
  if (ipv4.test(value))
    return addressesNoHost(value)
      ? `${addressExpected}; ${value} names no host (0.x.x.x, multicast and broadcast addresses cannot be reached)`
      : undefined;
  const dns = dnsNameProblem(value);
  return dns ? `${addressExpected} (${dns.replace(/^expected /, "")})` : undefined;
}

/** What `hostPortProblem` says of a value that is not `host` or `host:port` at all. */
export const hostPortShape = "expected host or host:port";

/**
 * `host` or `host:port`, the host an IPv4 address or a DNS name and the port 1-65535: what is
 * wrong with it (`hostPortShape` when it has neither form), or undefined.
 */
export function hostPortProblem(value: string): string | undefined {
  const match = /^([^:]+)(?::([0-9]{1,5}))?$/.exec(value);
  if (!match) return hostPortShape;
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return "the port must be 1-65535";
  return addressProblem(match[1]);
}

export const hostKeyExpected =
  "expected the host's SSH public key, e.g. ssh-ed25519 AAAA... (from ssh-keyscan or /etc/ssh/ssh_host_ed25519_key.pub)";

/** Checked by the same parser the SSH transport pins the key with, so what passes here connects. */
export function hostKeyProblem(line: string): string | undefined {
  const broken = lineProblem(line);
  if (broken) return `${hostKeyExpected}; this one ${broken}`;
  // The config sync's known_hosts takes the line's first two words: a leading space would shift them.
  if (line.trim() !== line) return `${hostKeyExpected}; this one has spaces around it`;
  const parsed = parsePinnedHostKey(line);
  return typeof parsed === "string" ? `${hostKeyExpected}; ${parsed}` : undefined;
}

/**
 * A container image reference pinned by digest, in the grammar of distribution/reference:
 * [registry[:port]/]path[:tag]@sha256:<64 hex>.
 */
const registry = String.raw`(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]{1,5})?/)?`;
const component = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const imageReference = new RegExp(
  String.raw`^${registry}${component}(?:/${component})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[a-f0-9]{64}$`,
);

export function imageProblem(image: string): string | undefined {
  return imageReference.test(image)
    ? undefined
    : "expected an image pinned by digest, e.g. eclipse-mosquitto:2.0.20@sha256:<64 hex digits> or registry.lan:5000/eclipse-mosquitto@sha256:<64 hex digits>";
}
