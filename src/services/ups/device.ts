/**
 * Where the UPS is, as ups.conf's `port =` says it and as the driver's sandbox reads it
 * (render.ts, driverDropIn): `auto` for a USB UPS, a device node under /dev/ for a serial one, or
 * the address of a network UPS (snmp-ups: host or host:port; netxml-ups: an http(s) URL; dummy-ups
 * and clone: name@host). Anything else would pass the stack and fail the driver on the host.
 */
import { hostPortProblem } from "../../model/network";
import { normalizedPathProblem } from "../../model/paths";

const expected = "expected auto (USB), a device under /dev/ (serial, e.g. /dev/ttyUSB0) or a network UPS's address";

/** `host` or `host:port`, with what is wrong said after what a device may be. */
function networkProblem(hostPort: string): string | undefined {
  const problem = hostPortProblem(hostPort);
  return problem ? `${expected}; ${problem}` : undefined;
}

export function upsDeviceProblem(device: string): string | undefined {
  // One word, since NUT reads a space, quote, '#' or '=' as syntax.
  if (!/^[A-Za-z0-9_.:@/+-]{1,255}$/.test(device))
    return "expected the NUT port as one word of letters, digits and . _ : @ / + -, e.g. auto or /dev/ttyUSB0";
  if (device === "auto") return undefined;
  if (device.startsWith("/")) {
    if (!device.startsWith("/dev/")) return `${expected}; ${device} is not under /dev/`;
    const path = normalizedPathProblem(device);
    return path ? `${expected}; ${path}` : undefined;
  }
  const url = /^https?:\/\/([^/]+)(\/.*)?$/.exec(device);
  if (url) return networkProblem(url[1]);
  const at = device.lastIndexOf("@");
  if (at > 0) {
    if (!/^[A-Za-z0-9_.+-]+$/.test(device.slice(0, at)))
      return `${expected}; "${device.slice(0, at)}" is not a UPS name`;
    return networkProblem(device.slice(at + 1));
  }
  return networkProblem(device);
}
