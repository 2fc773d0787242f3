/**
 * A systemd unit on a fleet host, read back on every refresh: a stopped or disabled unit, a
 * hand-edited unit file or a wiped host shows up in `pulumi preview` and is repaired by `pulumi up`.
 */
import { EntryResource, providerEntryText } from "./provider-entry";
import * as pulumi from "@pulumi/pulumi";
import type { HostConnection } from "../transport/connection";
import {
  connectionInput,
  HOST_RESOURCE_MODULE,
  HostConnectionInputs,
  plainValue,
  throwIfProblems,
} from "./resource-support";
import { sha256Hex } from "../transport/remote-path";
import { SYSTEMD_UNIT_DEFAULTS, systemdUnitProblems, systemdUnitProvider } from "./systemd-unit-provider";
import { describeProblems } from "./validation";

/** Arguments of a {@link SystemdUnit}. */
export interface SystemdUnitArgs {
  /** How to reach the host. */
  connection: pulumi.Input<HostConnectionInputs>;
  /** Unit name with its type suffix, as the runbook uses it: "qdrant.service", "lyra-config-sync.timer". */
  name: pulumi.Input<string>;
  /**
   * The unit file, written to /etc/systemd/system/<name>. Null for a unit its Debian package
   * ships (prometheus.service): then only its enabled/active state and `dropIn` are managed.
   */
  content: pulumi.Input<string | null>;
  /** A drop-in, written to /etc/systemd/system/<name>.d/lyra-fleet.conf. Default: none. */
  dropIn?: pulumi.Input<string | undefined>;
  /** Enabled at boot. Default true. (Units without an [Install] section are left as they are.) */
  enabled?: pulumi.Input<boolean>;
  /**
   * Kept running: started when stopped, restarted exactly once when its unit file, drop-in or a
   * trigger changes. Default true. False leaves running to others (a timer starts the unit):
   * the resource then never starts, restarts or stops it.
   */
  active?: pulumi.Input<boolean>;
  /** Strings whose change restarts the unit, typically the `sha256` of the Files it reads. */
  triggers?: pulumi.Input<pulumi.Input<string>[]>;
  /** How long a started unit may take to become (and stay) active. Default 60 s. */
  startTimeoutSeconds?: pulumi.Input<number>;
}

/** What each resource carries as its provider: a loader of systemdUnitProvider (see ./provider-entry.ts). */
export const systemdUnitEntry = providerEntryText(
  "src/host/resources/systemd-unit-provider",
  "systemdUnitProvider",
  systemdUnitProvider,
);

/**
 * A managed systemd unit (`pulumi-nodejs:dynamic/lyra-host:SystemdUnit`, id "<host>:<name>").
 * Deleting the resource stops and disables the unit and removes the fleet's files for it (a
 * packaged unit's own file stays with its package).
 */
export class SystemdUnit extends EntryResource {
  /** The connection used (secret when it holds a private key). */
  declare readonly connection: pulumi.Output<HostConnection>;
  /** Unit name. */
  declare readonly name: pulumi.Output<string>;
  /** sha256 of the unit file on the host ("" for a packaged unit). */
  declare readonly sha256: pulumi.Output<string>;
  /** sha256 of the fleet's drop-in ("" when none). */
  declare readonly dropInSha256: pulumi.Output<string>;
  /** Enabled as wanted (after a refresh: false if it drifted). */
  declare readonly enabled: pulumi.Output<boolean>;
  /** Running as wanted (after a refresh: false if it drifted). */
  declare readonly active: pulumi.Output<boolean>;
  /** systemd's ActiveState when last seen ("active", "failed", ...). */
  declare readonly activeState: pulumi.Output<string>;
  /** systemd's SubState when last seen ("running", "waiting", ...). */
  declare readonly subState: pulumi.Output<string>;
  /** systemd's UnitFileState when last seen ("enabled", "disabled", "static", ...). */
  declare readonly unitFileState: pulumi.Output<string>;
  /** The triggers last applied. */
  declare readonly triggers: pulumi.Output<string[]>;

  constructor(name: string, args: SystemdUnitArgs, opts: pulumi.CustomResourceOptions = {}) {
    throwIfProblems(
      "SystemdUnit",
      name,
      describeProblems(
        systemdUnitProblems({
          name: plainValue(args.name),
          enabled: plainValue(args.enabled),
          active: plainValue(args.active),
          startTimeoutSeconds: plainValue(args.startTimeoutSeconds),
        }),
      ),
    );
    const content = pulumi.output(args.content);
    const dropIn = pulumi.output(args.dropIn);
    super(
      systemdUnitEntry,
      name,
      {
        connection: connectionInput(args.connection),
        name: args.name,
        content: args.content,
        sha256: content.apply((text) => (text === null || text === undefined ? "" : sha256Hex(text))),
        dropIn: args.dropIn,
        dropInSha256: dropIn.apply((text) => (text === undefined || text === null ? "" : sha256Hex(text))),
        enabled: args.enabled ?? SYSTEMD_UNIT_DEFAULTS.enabled,
        active: args.active ?? SYSTEMD_UNIT_DEFAULTS.active,
        triggers: args.triggers ?? [],
        startTimeoutSeconds: args.startTimeoutSeconds ?? SYSTEMD_UNIT_DEFAULTS.startTimeoutSeconds,
        ownsUnitFile: undefined,
        activeState: undefined,
        subState: undefined,
        unitFileState: undefined,
        needsDaemonReload: undefined,
      },
      opts,
      HOST_RESOURCE_MODULE,
      "SystemdUnit",
    );
  }
}
