/**
 * Which provider converges each declared resource type in the lab: the host resources' own
 * providers (the code `pulumi up` would run), and the health gates' commands run over the same
 * pinned SSH transport. Docker resources cannot converge here (no engine): the lab stack runs
 * the broker natively, and the engine refuses a stack that declares containers.
 */
import { hostStateProvider } from "../../../src/host/host-state-provider";
import { runRemote } from "../../../src/host/ssh";
import type { EngineProvider } from "./engine";

const hostProviders: Record<string, EngineProvider> = {
  "pulumi-nodejs:dynamic/lyra-host:HostState": hostStateProvider as unknown as EngineProvider,
};

/** @pulumi/command's remote.Command: run `create` once (and again when its inputs change). */
function remoteCommand(hostName: string): EngineProvider {
  const run = async (inputs: any) => {
    const c = inputs.connection;
    const result = await runRemote(
      { host: hostName, address: c.host, port: c.port, user: c.user, hostKey: c.hostKey, privateKey: c.privateKey },
      inputs.create,
      { purpose: `health gate ${hostName}`, stdin: inputs.stdin, timeoutMs: 150_000 },
    );
    if (result.exitCode !== 0) throw new Error(`${hostName}: ${result.stderr.trim() || `exit code ${result.exitCode}`}`);
    return { id: `${hostName}-${Date.now()}`, outs: { ...inputs, stdout: result.stdout } };
  };
  return {
    create: run,
    diff: async (_id, olds, news) => ({
      changes: JSON.stringify([olds.create, olds.triggers, olds.stdin]) !== JSON.stringify([news.create, news.triggers, news.stdin]),
      replaces: ["triggers"],
    }),
  };
}

export function labProviderFor(r: { type: string; name: string }): EngineProvider | undefined {
  if (hostProviders[r.type]) return hostProviders[r.type];
  if (r.type === "command:remote:Command") return remoteCommand(r.name.split(":")[0]);
  if (r.type.startsWith("docker:")) throw new Error(`${r.name}: Docker resources cannot converge in the lab (no engine); run the broker natively`);
  return undefined;
}
