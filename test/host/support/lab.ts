/**
 * Lab access for the host tests: connections to the lab hosts for our transport, and an
 * independent view of each host through the lab's own `ssh` (OpenSSH), used to check results and
 * to make drift by hand.
 */
import { after, before } from "node:test";
import type { HostConnection } from "../../../src/host/transport/connection";
import { closeAllHostConnections } from "../../../src/host/transport/ssh";
import { ensureLab, type Lab } from "../../lab/lab";

export { ensureLab, wipeHost, type Lab } from "../../lab/lab";

/** A HostConnection to a lab host, as the fleet would declare it. */
export function labConnection(lab: Lab, name: string, user = "root"): HostConnection {
  const host = lab.host(name);
  return {
    host: host.name,
    address: host.address,
    port: host.port,
    user,
    hostKey: host.hostKey,
    privateKey: lab.clientKey,
  };
}

/** Runs a command on a lab host through OpenSSH (not through the code under test); fails on non-zero exit. */
export async function onHost(lab: Lab, name: string, command: string): Promise<string> {
  const result = await lab.sshExec(name, command);
  if (result.code !== 0) throw new Error(`${name}: ${command}: exit ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Brings the lab up once per test file. */
export function lab(): Promise<Lab> {
  return ensureLab();
}

/**
 * The before and after of a test file that works on one lab host as `deploy`: the lab brought up,
 * the host cleaned with `cleanup` before and after, our SSH connections closed at the end.
 * `ready` receives the lab and the connection inside the same hook (Node 20 runs a file's
 * top-level `before` hooks without waiting for each other).
 */
export function labHostFixture(
  name: string,
  cleanup: string,
  ready: (lab: Lab, connection: HostConnection) => void,
): void {
  let current: Lab | undefined;
  before(async () => {
    current = await ensureLab();
    ready(current, labConnection(current, name, "deploy"));
    await onHost(current, name, cleanup);
  });
  after(async () => {
    if (current) await onHost(current, name, cleanup);
    await closeAllHostConnections();
  });
}
