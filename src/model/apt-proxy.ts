/**
 * The fleet's apt proxy (`site.nas.aptProxy`): a package cache on the NAS, such as apt-cacher-ng,
 * that every host installs its Debian packages through, so a rebuild works while the internet is
 * down. The value lands in apt.conf (inside double quotes) and on apt-get's command line, so the
 * rule admits exactly `http://<host>[:<port>][/]` and nothing a shell or apt.conf would read twice.
 */
import { addressProblem } from "./network";

export const aptProxyExpected =
  "expected the http:// URL of the NAS's package cache, e.g. http://nas.home.arpa:3142 (http only, a host and an optional port, no path or credentials)";

const shape = /^http:\/\/([^/:]+)(?::(\d{1,5}))?\/?$/;

export function aptProxyProblem(value: string): string | undefined {
  const match = shape.exec(value);
  if (!match) return aptProxyExpected;
  const [, host, port] = match;
  if (addressProblem(host)) return `${aptProxyExpected}; '${host}' is not an IPv4 address or a DNS name`;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535))
    return `${aptProxyExpected}; the port must be 1-65535`;
  return undefined;
}
