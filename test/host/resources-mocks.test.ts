/**
 * The host resources register under Pulumi mocks (what the fleet program tests rely on): type
 * tokens, inputs with defaults and content hashes, secrets kept secret, arguments validated before
 * anything is registered, and a serialized provider that holds no secret.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime";
import { sha256Hex } from "../../src/host/transport/remote-path";

type Resources = typeof import("../../src/host/resources");
let host: Resources;
const registered: MockResourceArgs[] = [];

const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKr7ug7MRuqjKqwGgF7WDyB1MqNeTEL2XKkVQ7m0zwJ4";
const connection = { host: "vega", address: "127.0.0.12", port: 22, user: "deploy", hostKey };
const PRIVATE_KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key-but-secret\n-----END OPENSSH PRIVATE KEY-----\n";
const SECRET_CONTENT = "MQTT_PASSWORD=hunter2-but-longer\n";

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** The registration of a resource, once its inputs have been sent. */
async function registrationOf(resource: pulumi.CustomResource): Promise<MockResourceArgs> {
  const urn = await valueOf(resource.urn);
  const found = registered.find((r) => urn.endsWith(`::${r.type}::${r.name}`));
  assert.ok(found, `no registration for ${urn}`);
  return found;
}

/** Mocks see a secret input as { <sig key>: <secret sig>, value }. */
function isSecretInput(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig
  );
}

before(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push(args);
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => {
        throw new Error(`unmocked invoke ${args.token}`);
      },
    },
    "lyra-fleet",
    "test",
    false,
  );
  host = await import("../../src/host/resources");
});

describe("host resources under Pulumi mocks", () => {
  it("File registers as pulumi-nodejs:dynamic/lyra-host:File with defaults and the content's sha256", async () => {
    const file = new host.File("vega:/etc/lyra/a.conf", { connection, path: "/etc/lyra/a.conf", content: "a=1\n" });
    const args = await registrationOf(file);
    assert.equal(args.type, "pulumi-nodejs:dynamic/lyra-host:File");
    assert.deepEqual(
      {
        path: args.inputs.path,
        mode: args.inputs.mode,
        owner: args.inputs.owner,
        group: args.inputs.group,
        sha256: args.inputs.sha256,
      },
      { path: "/etc/lyra/a.conf", mode: "0644", owner: "root", group: "root", sha256: sha256Hex("a=1\n") },
    );
    assert.equal(typeof args.inputs.__provider, "string");
    assert.equal(await valueOf(file.sha256), sha256Hex("a=1\n"));
  });

  it("keeps secret content, its hash and a connection with a private key secret", async () => {
    const file = new host.File("vega:/etc/lyra/secret.env", {
      connection: { ...connection, privateKey: PRIVATE_KEY }, // a plain string: the class still hides it
      path: "/etc/lyra/secret.env",
      content: pulumi.secret(SECRET_CONTENT),
      mode: "0600",
    });
    const args = await registrationOf(file);
    assert.ok(isSecretInput(args.inputs.content), "content is sent as a secret");
    assert.ok(isSecretInput(args.inputs.sha256), "the hash of a secret is a secret");
    assert.ok(isSecretInput(args.inputs.connection), "a connection holding a key is a secret");
    assert.equal(await (file.sha256 as unknown as { isSecret: Promise<boolean> }).isSecret, true);
    const provider = String(args.inputs.__provider);
    assert.ok(
      !provider.includes("hunter2") && !provider.includes("not-a-real-key"),
      "the serialized provider captures no secret",
    );
  });

  it("Directory, SystemdUnit and AptPackages register under their own type tokens", async () => {
    const directory = new host.Directory("vega:/var/lib/lyra", { connection, path: "/var/lib/lyra" });
    const file = new host.File("vega:/etc/mosquitto/mosquitto.conf", {
      connection,
      path: "/etc/mosquitto/mosquitto.conf",
      content: "listener 1883\n",
    });
    const unit = new host.SystemdUnit("vega:mqtt-broker.service", {
      connection,
      name: "mqtt-broker.service",
      content: "[Service]\nExecStart=/usr/sbin/mosquitto\n",
      triggers: [file.sha256],
    });
    const packaged = new host.SystemdUnit("vega:prometheus.service", {
      connection,
      name: "prometheus.service",
      content: null,
      dropIn: "[Service]\nNice=5\n",
    });
    const packages = new host.AptPackages("vega:packages", { connection, packages: ["mosquitto", "tree"] });
    const [d, u, p, a] = await Promise.all([directory, unit, packaged, packages].map(registrationOf));
    assert.deepEqual(
      [d.type, u.type, p.type, a.type],
      [
        "pulumi-nodejs:dynamic/lyra-host:Directory",
        "pulumi-nodejs:dynamic/lyra-host:SystemdUnit",
        "pulumi-nodejs:dynamic/lyra-host:SystemdUnit",
        "pulumi-nodejs:dynamic/lyra-host:AptPackages",
      ],
    );
    assert.equal(d.inputs.mode, "0755");
    assert.deepEqual(
      {
        enabled: u.inputs.enabled,
        active: u.inputs.active,
        triggers: u.inputs.triggers,
        timeout: u.inputs.startTimeoutSeconds,
      },
      { enabled: true, active: true, triggers: [sha256Hex("listener 1883\n")], timeout: 60 },
    );
    assert.equal(u.inputs.sha256, sha256Hex("[Service]\nExecStart=/usr/sbin/mosquitto\n"));
    assert.deepEqual(
      [p.inputs.content, p.inputs.sha256, p.inputs.dropInSha256],
      [null, "", sha256Hex("[Service]\nNice=5\n")],
    );
    assert.deepEqual(a.inputs.packages, ["mosquitto", "tree"]);
  });

  it("validates arguments before registering, naming the resource and every field at fault", () => {
    const before = registered.length;
    assert.throws(() => new host.File("bad-file", { connection, path: "etc/relative", content: "x", mode: "0999" }), {
      message:
        `File 'bad-file': args.path must be an absolute path below /, got "etc/relative"; ` +
        `args.mode must be octal permission bits such as "0644", got "0999"`,
    });
    assert.throws(() => new host.SystemdUnit("bad-unit", { connection, name: "qdrant", content: "" }), {
      message: `SystemdUnit 'bad-unit': args.name must be a unit name with its type, such as "qdrant.service" or "backup.timer", got "qdrant"`,
    });
    assert.throws(() => new host.AptPackages("bad-apt", { connection, packages: ["tree; rm -rf /"] }), {
      message: `AptPackages 'bad-apt': args.packages has "tree; rm -rf /", expected "name" or "name=version"`,
    });
    assert.throws(
      () => new host.Directory("bad-dir", { connection, path: "/var/../etc" }),
      /args\.path must be a normalized path/,
    );
    assert.equal(registered.length, before, "nothing was registered");
  });
});
