/**
 * `npm run artifacts -- --stack <name> [--from <dir>] [--identity <file>]`
 *
 * Puts every release artifact the stack pins on the NAS artifact share, over SFTP as
 * site.nas.user with the NAS's host key pinned (site.nas.hostKey), each file taken from <dir> (as
 * <dir>/<key>/<version>/<file> or <dir>/<file>) or downloaded from its upstream URL, and checked
 * against its pinned sha256 first. Prints one line per artifact; exits 0 only when every one is on
 * the share. The SSH key is the `nasSshKey` secret (LYRA_SECRET_NASSSHKEY or the Pulumi CLI), or
 * --identity.
 */
import { FleetConfigError, loadStackFile, stackFilePath } from "../model/load";
import type { FleetModel } from "../model/fleet";
import { publishArtifacts, publishTable } from "../artifacts/publish";
import { openShare } from "../artifacts/share";
import { readSecrets } from "../secrets/source";
import { parseArgs, UsageError } from "./args";
import { KEY_FILE_MAX_BYTES, readFlagFile } from "./files";
// The flat stack secret holding the private key of the NAS account (the backup module's).
import { nasSshKeyKey as nasSshKeySecret } from "../services/backup/secrets";

const usage =
  "usage: npm run artifacts -- --stack <name> [--from <dir>] [--identity <file>] [--stack-file <path>] [--nas-port <port>]";

function nasLogin(fleet: FleetModel): { user: string; hostKey: string } {
  const { user, hostKey } = fleet.site.nas;
  if (user === undefined || hostKey === undefined)
    throw new UsageError(
      `${fleet.source}: site.nas.user and site.nas.hostKey are needed to write the artifact share over SFTP ` +
        "(the NAS account and its pinned host key: `ssh-keyscan -t ed25519 <nas>` prints the line to pin)",
    );
  return { user, hostKey };
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { values, switches } = parseArgs(argv, {
      values: ["stack", "from", "identity", "stack-file", "nas-port"],
      switches: ["help"],
    });
    if (switches.has("help")) {
      console.log(usage);
      return 0;
    }
    if (!values.stack) throw new UsageError("--stack is required");
    // The NAS's sshd port: 22 unless it listens elsewhere (a test's own sshd).
    const port = Number(values["nas-port"] ?? "22");
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new UsageError(`--nas-port: expected a port number (1-65535), got '${values["nas-port"]}'`);
    const fleet = loadStackFile(values["stack-file"] ?? stackFilePath(values.stack));
    const { user, hostKey } = nasLogin(fleet);
    const privateKey =
      values.identity !== undefined
        ? readFlagFile("--identity", values.identity, KEY_FILE_MAX_BYTES)
        : readSecrets(values.stack, [nasSshKeySecret])[nasSshKeySecret];
    const share = await openShare({
      host: "nas",
      address: fleet.site.nas.host,
      port,
      user,
      hostKey,
      privateKey,
    });
    try {
      const rows = await publishArtifacts(fleet, share, values.from);
      console.log(publishTable(rows));
      return rows.every((r) => r.action === "uploaded" || r.action === "already there") ? 0 : 1;
    } finally {
      share.close();
    }
  } catch (err) {
    // Known errors are complete sentences; a stack trace would only hide them.
    if (err instanceof UsageError) console.error(`artifacts: ${err.message}\n${usage}`);
    else if (err instanceof FleetConfigError) console.error(err.message);
    else console.error(`artifacts: ${(err as Error).message}`);
    return err instanceof UsageError ? 2 : 1;
  }
}

if (require.main === module) void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
