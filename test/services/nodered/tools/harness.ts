/**
 * Real Node-RED (the npm devDependency, the version the stack pins) on the rendered files, against
 * a real mosquitto, without systemd: the credentials laid out as LoadCredential= does and handed over
 * in CREDENTIALS_DIRECTORY, settings.js, fleet-storage.js and flows.json as rendered (test secrets,
 * uiPort and the broker address moved to loopback). Node-RED can be stopped and started again on
 * the same userDir, as a restart of nodered.service does. Every wait has a deadline; every process
 * started is stopped by its PID.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { connectAsync, type MqttClient } from "mqtt";

import type { FleetModel } from "../../../../src/model/fleet";
import type { PlanFragment } from "../../../../src/render/plan";
import { resolveSecrets } from "../../../../src/render/secrets";
import { noderedPaths } from "../../../../src/services/nodered/render";
import { watchdogIds } from "../../../../src/services/nodered/flows";
import { mqttPasswordKey } from "../../../../src/services/mqtt-broker/secrets";
import { fileAt, projectRoot } from "../../../render/fixtures";
import { freePort } from "../../../support/free-port";

const nobody = 65534; // mosquitto runs unprivileged, as Debian's does.

export function run(command: string, args: string[]) {
  const r = spawnSync(command, args, { encoding: "utf8", timeout: 20_000 });
  if (r.error) throw new Error(`${command} could not run: ${r.error.message}`);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  process.kill(child.pid!, "SIGTERM");
  await Promise.race([exited, sleep(5000).then(() => child.exitCode === null && process.kill(child.pid!, "SIGKILL"))]);
  await exited;
}

/** mosquitto and Node-RED for one test file, in temporary directories removed by `close`. */
export class NoderedLab {
  /** Everything Node-RED printed, across restarts. */
  noderedLog = "";
  brokerLog = "";
  /** Node-RED's output since its last start. */
  private logStart = 0;
  mqttPort = 0;
  uiPort = 0;
  readonly dir = mkdtempSync(join(tmpdir(), "lyra-nodered-"));
  // The broker's files in a directory of their own that its unprivileged user owns (dir is root's, 0700).
  private readonly brokerDir = mkdtempSync(join(tmpdir(), "lyra-nodered-broker-"));
  readonly paths = {
    creds: join(this.dir, "credentials"),
    userDir: join(this.dir, "state"),
    etc: join(this.dir, "etc"),
  };
  private broker?: ChildProcess;
  private nodered?: ChildProcess;
  private readonly clients: MqttClient[] = [];

  constructor(
    private readonly fleet: FleetModel,
    private readonly secrets: Record<string, string>,
  ) {}

  get base(): string {
    return `http://127.0.0.1:${this.uiPort}`;
  }

  /** Node-RED's output since its last start. */
  get currentLog(): string {
    return this.noderedLog.slice(this.logStart);
  }

  logs(): string {
    return `--- mosquitto ---\n${this.brokerLog}\n--- node-red ---\n${this.noderedLog}`;
  }

  password(user: string): string {
    return this.secrets[mqttPasswordKey(user)];
  }

  /** Polls `ready` until it holds; fails with `what` and the logs at the deadline or if a process died. */
  async waitFor(what: string, seconds: number, ready: () => boolean | Promise<boolean>): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
      const dead = [this.broker, this.nodered].find((p) => p && (p.exitCode !== null || p.signalCode !== null));
      if (dead)
        assert.fail(
          `${dead.spawnfile} exited (${dead.exitCode ?? dead.signalCode}) while waiting for ${what}\n${this.logs()}`,
        );
      if (await ready()) return;
      await sleep(100);
    }
    assert.fail(`no ${what} within ${seconds} s\n${this.logs()}`);
  }

  async startBroker(users: string[]): Promise<void> {
    this.mqttPort = await freePort();
    const dir = this.brokerDir;
    run("mosquitto_passwd", ["-b", "-c", join(dir, "passwd"), users[0], this.password(users[0])]);
    for (const user of users.slice(1)) run("mosquitto_passwd", ["-b", join(dir, "passwd"), user, this.password(user)]);
    // Each user's ACL from the model, so the flow is held to what the nodered user may really do.
    const acl = this.fleet.mqttUsers
      .filter((u) => users.includes(u.name))
      .flatMap((u) => [
        `user ${u.name}`,
        ...u.subscribe.map((t) => `topic read ${t}`),
        ...u.publish.map((t) => `topic write ${t}`),
        "",
      ]);
    writeFileSync(join(dir, "acl"), acl.join("\n"));
    const conf = [
      `listener ${this.mqttPort} 127.0.0.1`,
      "allow_anonymous false",
      `password_file ${join(dir, "passwd")}`,
      `acl_file ${join(dir, "acl")}`,
      "persistence false",
      "log_dest stderr",
      "log_type all",
      "connection_messages true",
    ];
    writeFileSync(join(dir, "mosquitto.conf"), conf.join("\n") + "\n");
    for (const name of ["", "passwd", "acl", "mosquitto.conf"]) chownSync(join(dir, name), nobody, nobody);
    this.broker = this.spawn(
      "/usr/sbin/mosquitto",
      ["-c", join(dir, "mosquitto.conf")],
      { uid: nobody, gid: nobody },
      (c) => (this.brokerLog += c),
    );
    await this.waitFor("mosquitto listening", 10, () => /Opening ipv4 listen socket on port/.test(this.brokerLog));
  }

  /**
   * The rendered files where the unit would see them, with only the ports and the broker moved:
   * the systemd credentials in `creds`, settings.js, fleet-storage.js and the fleet's flows.json in
   * `etc`, an empty userDir (the StateDirectory). Call again to lay out a re-rendered fragment.
   */
  async layOut(fragment: PlanFragment): Promise<void> {
    if (this.uiPort === 0) this.uiPort = await freePort();
    const resolved = (path: string) => resolveSecrets(fileAt(fragment, path).content, this.secrets);
    // As LoadCredential= does: a private directory, files readable by the service only.
    rmSync(this.paths.creds, { recursive: true, force: true });
    mkdirSync(this.paths.creds, { mode: 0o700 });
    const credentials: Record<string, string> = {
      "credential-secret": noderedPaths.credentialSecret,
      "admin-password": noderedPaths.adminPassword,
      "flows_cred.json": noderedPaths.credentials,
    };
    for (const [name, path] of Object.entries(credentials))
      writeFileSync(join(this.paths.creds, name), resolved(path), { mode: 0o400 });
    mkdirSync(this.paths.userDir, { mode: 0o700, recursive: true });

    mkdirSync(this.paths.etc, { recursive: true });
    writeFileSync(join(this.paths.etc, "settings.js"), resolved(noderedPaths.settings));
    writeFileSync(join(this.paths.etc, "fleet-storage.js"), resolved(noderedPaths.storage));
    const flows = JSON.parse(resolved(noderedPaths.flows));
    const broker = flows.find((n: { id: string }) => n.id === watchdogIds.broker);
    assert.deepEqual([broker.broker, broker.port], ["vega.home.arpa", "1883"], "rendered for the fleet's broker");
    Object.assign(broker, { broker: "127.0.0.1", port: String(this.mqttPort) });
    writeFileSync(join(this.paths.etc, "flows.json"), JSON.stringify(flows, null, 4));
    // Node-RED requires settings.js; this wrapper changes only where it listens and where its files are.
    const wrapper = [
      `const rendered = require(${JSON.stringify(join(this.paths.etc, "settings.js"))});`,
      `module.exports = { ...rendered, uiHost: "127.0.0.1", uiPort: ${this.uiPort},`,
      `  userDir: ${JSON.stringify(this.paths.userDir)},`,
      `  lyraFleet: { ...rendered.lyraFleet, flowFile: ${JSON.stringify(join(this.paths.etc, "flows.json"))} } };`,
    ];
    writeFileSync(join(this.paths.etc, "test-settings.js"), wrapper.join("\n") + "\n");
  }

  /** Starts Node-RED as the unit does (node red.js --settings), and waits for its flows when asked. */
  async startNodered(waitForFlows = true): Promise<void> {
    this.logStart = this.noderedLog.length;
    const args = [
      join(projectRoot, "node_modules/node-red/red.js"),
      "--settings",
      join(this.paths.etc, "test-settings.js"),
    ];
    this.nodered = this.spawn(
      process.execPath,
      args,
      { env: { ...process.env, CREDENTIALS_DIRECTORY: this.paths.creds, HOME: this.paths.userDir } },
      (c) => (this.noderedLog += c),
    );
    if (waitForFlows) await this.flowsStarted();
  }

  async flowsStarted(): Promise<void> {
    await this.waitFor("'Started flows' in Node-RED's log", 45, () => /\[info\] Started flows/.test(this.currentLog));
  }

  /** SIGTERM, as systemctl stop sends, then waits for the process to be gone. */
  async stopNodered(): Promise<void> {
    if (this.nodered) await stop(this.nodered);
    this.nodered = undefined;
  }

  async restartNodered(): Promise<void> {
    await this.stopNodered();
    await this.startNodered();
  }

  async connect(user: string): Promise<MqttClient> {
    const client = await connectAsync(`mqtt://127.0.0.1:${this.mqttPort}`, {
      username: user,
      password: this.password(user),
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    this.clients.push(client);
    return client;
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.endAsync(true).catch(() => {})));
    await this.stopNodered();
    if (this.broker) await stop(this.broker);
    for (const d of [this.dir, this.brokerDir]) rmSync(d, { recursive: true, force: true });
  }

  private spawn(
    command: string,
    args: string[],
    options: Parameters<typeof spawn>[2],
    onOutput: (chunk: string) => void,
  ): ChildProcess {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (c) => onOutput(String(c)));
    child.stderr!.on("data", (c) => onOutput(String(c)));
    return child;
  }
}
