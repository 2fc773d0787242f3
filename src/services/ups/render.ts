/**
 * The UPS on Lyra, with Network UPS Tools in standalone mode: the driver talks to the UPS, upsd
 * serves its state on localhost only, and upsmon shuts the host down cleanly when the battery runs
 * out. Placed only on a host whose stack declares `ups` (no role has it by default).
 *
 * The units are Debian's (nut-server.service, nut-monitor.service, and nut-driver@<ups>.service,
 * which nut-driver-enumerator creates from ups.conf); only their config is ours. The files follow
 * Debian's ownership, root:nut 0640 (the packages create the nut group), so the two holding the
 * monitor password are never world-readable.
 *
 * upsmon sends the monitor password to upsd as one unquoted word, so the stack refuses a password
 * that holds whitespace, `"`, `\`, `=` or `#` before anything is declared (./secrets.ts).
 */
import type { ServiceRenderer } from "../../render/context";
import type { PlannedFile, PlannedUnit } from "../../render/plan";
import { secretToken } from "../../render/secrets";
import { dropInFile, hardened, type UnitSection } from "../../render/systemd";
import type { UpsOptions } from "./options";
import { nutDriverPackage } from "./drivers";
import { upsMonitorPasswordKey } from "./secrets";
import { upsdPort } from "./ports";

/** The monitor account in upsd.users; upsmon logs in with it. */
export const upsMonitorUser = "upsmon";
const header = "# Managed by lyra-fleet: edits are reverted by `pulumi up`.";

/**
 * upsmon's flag that tells the shutdown hook to power the UPS off. Under /run/nut, the one place
 * upsmon's sandbox lets it write (Debian's default, /etc/killpower, is read-only to it); /run stays
 * mounted until systemd's shutdown hooks have run (`upsmon -K` there reads this path from upsmon.conf).
 */
export const powerDownFlag = "/run/nut/killpower";

// Debian's NUT units have no sandbox. Each daemon keeps only what it uses, with a reason.

/** upsd serves the driver's state on localhost: it starts as nut (it only switches user when root). */
const serverDropIn = (): string =>
  dropInFile({
    Service: hardened({
      User: "nut",
      Group: "nut",
      IPAddressDeny: "any",
      IPAddressAllow: "localhost",
    }),
  });

/**
 * upsmon's root half runs the shutdown command when the battery runs out, its other half switches
 * to nut. So: root, CAP_SETUID/CAP_SETGID and the set*id calls of @privileged; its pid file and
 * the power-down flag in /run/nut; upsd on localhost; systemd's socket for the shutdown. Notices
 * go to the journal; `wall` cannot reach terminals from here (no devices).
 */
const monitorDropIn = (): string =>
  dropInFile({
    Service: hardened({
      CapabilityBoundingSet: "CAP_SETUID CAP_SETGID",
      SystemCallFilter: ["@system-service", "~@chown @clock @module @raw-io @reboot @swap @resources"],
      ReadWritePaths: "/run/nut",
      IPAddressDeny: "any",
      IPAddressAllow: "localhost",
    }),
  });

/**
 * The driver starts as root to open the UPS, then switches to nut (CAP_SETUID/CAP_SETGID), and
 * writes its socket and pid file in /run/nut. It needs the UPS's device: a USB UPS (`auto`) any
 * USB device node (the number changes when it is plugged again), with libusb's udev monitor on
 * netlink; a serial one its own node; a network one (snmp-ups, netxml-ups) IP instead of devices.
 */
export function driverDropIn(device: string): string {
  const service: UnitSection = {
    CapabilityBoundingSet: "CAP_SETUID CAP_SETGID",
    SystemCallFilter: ["@system-service", "~@chown @clock @module @raw-io @reboot @swap @resources"],
    ReadWritePaths: "/run/nut",
  };
  if (device === "auto") {
    Object.assign(service, {
      PrivateDevices: false,
      DeviceAllow: "char-usb_device rw",
      RestrictAddressFamilies: "AF_UNIX AF_NETLINK",
      IPAddressDeny: "any",
    });
  } else if (device.startsWith("/dev/")) {
    Object.assign(service, {
      PrivateDevices: false,
      DeviceAllow: `${device} rw`,
      RestrictAddressFamilies: "AF_UNIX",
      IPAddressDeny: "any",
    });
  }
  return dropInFile({ Service: hardened(service) });
}

const lines = (...l: string[]) => [header, ...l, ""].join("\n");
const password = () => `"${secretToken(upsMonitorPasswordKey)}"`;

export const render: ServiceRenderer<UpsOptions> = ({ host, settings }) => {
  const ups = settings.name;
  const server = "nut-server.service";
  const monitor = "nut-monitor.service";
  const driver = `nut-driver@${ups}.service`;
  const file = (name: string, content: string, restarts: string[]): PlannedFile => ({
    path: `/etc/nut/${name}`,
    content,
    mode: "0640",
    owner: "root",
    group: "nut",
    restarts,
  });
  const packaged = (name: string, dropIn: string): PlannedUnit => ({
    name,
    content: null,
    dropIn,
    enabled: true,
    active: true,
    longRunning: true,
    after: [],
  });

  return {
    // A network or bus driver comes in a package of its own (./drivers.ts).
    packages: [...new Set(["nut-client", "nut-server", nutDriverPackage(settings.driver)!])],
    files: [
      // One host, its own UPS: driver, server and monitor all here.
      file("nut.conf", lines("MODE=standalone"), [server, monitor]),
      file(
        "ups.conf",
        lines(
          "maxretry = 3",
          "",
          `[${ups}]`,
          `    driver = ${settings.driver}`,
          `    port = ${settings.device}`,
          `    desc = "${host.name}'s UPS"`,
        ),
        [driver, server],
      ),
      // Localhost only: nothing on the LAN needs the UPS's state, and upsd then needs no TLS.
      file("upsd.conf", lines(`LISTEN 127.0.0.1 ${upsdPort}`), [server]),
      file("upsd.users", lines(`[${upsMonitorUser}]`, `    password = ${password()}`, "    upsmon primary"), [server]),
      file(
        "upsmon.conf",
        lines(
          `MONITOR ${ups}@localhost 1 ${upsMonitorUser} ${password()} primary`,
          "MINSUPPLIES 1",
          'SHUTDOWNCMD "/sbin/shutdown -h +0"',
          `POWERDOWNFLAG ${powerDownFlag}`,
          "FINALDELAY 5",
        ),
        [monitor],
      ),
    ],
    // Debian's units with our sandbox, enabled and running; the files above restart them. The
    // driver's is an instance of nut-driver@.service (nut-driver-enumerator enables it too).
    units: [
      packaged(server, serverDropIn()),
      packaged(monitor, monitorDropIn()),
      packaged(driver, driverDropIn(settings.device)),
    ],
    ports: [{ port: upsdPort, protocol: "tcp", service: "ups" }],
    checks: [
      { kind: "unit", name: `${host.name}: ${server} active`, unit: server },
      { kind: "unit", name: `${host.name}: ${monitor} active`, unit: monitor },
      { kind: "unit", name: `${host.name}: ${driver} active`, unit: driver },
      // upsc exits 0 whatever the status: on line (OL) is what the runbook checks for.
      {
        kind: "command",
        name: `${host.name}: UPS ${ups} on line power`,
        command: `upsc ${ups}@localhost ups.status | grep -qw OL`,
      },
    ],
    recovery: [
      {
        service: "ups",
        commands: [
          `upsc ${ups}@localhost`,
          `systemctl restart ${driver} nut-server nut-monitor`,
          `journalctl -u ${driver} -u nut-server -u nut-monitor -n 100`,
        ],
        // After a power cut: is the host on line power again, and how full is the battery?
        powerOn: { what: "the UPS", command: `upsc ${ups}@localhost` },
      },
    ],
  };
};
