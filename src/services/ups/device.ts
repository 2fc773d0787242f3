/**
 * Where the UPS is, as ups.conf's `port =` says it and as the driver's sandbox reads it
 * (render.ts, driverDropIn): `auto` for a USB UPS, a device node under /dev/ for a serial one, or
 * the address of a network UPS (snmp-ups: host or host:port; netxml-ups: an http(s) URL; dummy-ups
 * and clone: name@host). Anything else would pass the stack and fail the driver on the host.
 */
import { addressProblem } from "../../model/network";
import { normalizedPathProblem } from "../../model/paths";

const expected = "expected auto (USB), a device under /dev/ (serial, e.g. /dev/ttyUSB0) or a network UPS's address";

function hostPortProblem(hostPort: string): string | undefined {
  const [host, port, ...rest] = hostPort.split(":");
  if (rest.length > 0) return `${expected}; "${hostPort}" has more than one ':'`;
  const address = addressProblem(host);
  if (address) return `${expected}; ${address}`;
  if (port !== undefined && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535))
    return `${expected}; port ${port} is not a port number (1-65535)`;
  return undefined;
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
  if (url) return hostPortProblem(url[1]);
  const at = device.lastIndexOf("@");
  if (at > 0) {
    if (!/^[A-Za-z0-9_.+-]+$/.test(device.slice(0, at)))
      return `${expected}; "${device.slice(0, at)}" is not a UPS name`;
    return hostPortProblem(device.slice(at + 1));
  }
  return hostPortProblem(device);
}
