/**
 * The NAS artifact share over SFTP, as `npm run artifacts` writes it: logged in as site.nas.user
 * with the nasSshKey secret and the NAS's host key pinned (the host transport's own connect, so a
 * NAS presenting another key is refused before anything is sent). Files land under a temporary
 * name and are renamed into place, so the hosts never fetch half a file.
 */
import type { SFTPWrapper } from "ssh2";
import { createHash } from "node:crypto";
import { pinnedKeyOf, type HostConnection } from "../host/transport/connection";
import { isHostError } from "../host/transport/errors";
import { openConnection } from "../host/transport/ssh-connect";

export interface Share {
  /** sha256 of the file at `path`, or undefined when there is none. */
  digestOf(path: string): Promise<string | undefined>;
  /** Writes `bytes` at `path` (its directories made first), replacing what was there. */
  put(path: string, bytes: Buffer): Promise<void>;
  close(): void;
}

const promised = <T>(run: (done: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value as T))));

/** SFTP status 2: no such file. */
const noSuchFile = (err: unknown) => (err as { code?: number }).code === 2;

async function mkdirs(sftp: SFTPWrapper, dir: string): Promise<void> {
  const parts = dir.split("/").filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const path = `/${parts.slice(0, i).join("/")}`;
    try {
      await promised<void>((done) => sftp.mkdir(path, (err) => done(err)));
    } catch {
      // It exists (or cannot be made: the write below then says so with its path).
    }
  }
}

export async function openShare(connection: HostConnection): Promise<Share> {
  let open: Awaited<ReturnType<typeof openConnection>>;
  try {
    open = await openConnection(connection, pinnedKeyOf(connection), () => {});
  } catch (err) {
    // The transport names a fleet host's field; the NAS's pin is site.nas.hostKey.
    if (isHostError(err)) err.message = err.message.replace(`hosts.${connection.host}.ssh.hostKey`, "site.nas.hostKey");
    throw err;
  }
  const client = open.client;
  const sftp = await promised<SFTPWrapper>((done) => client.sftp(done));
  return {
    async digestOf(path) {
      return new Promise((resolve, reject) => {
        const hash = createHash("sha256");
        const stream = sftp.createReadStream(path);
        stream.on("data", (chunk: Buffer) => hash.update(chunk));
        stream.on("end", () => resolve(hash.digest("hex")));
        stream.on("error", (err: Error) => (noSuchFile(err) ? resolve(undefined) : reject(err)));
      });
    },
    async put(path, bytes) {
      await mkdirs(sftp, path.slice(0, path.lastIndexOf("/")));
      const partial = `${path}.part`;
      await promised<void>((done) => sftp.writeFile(partial, bytes, (err) => done(err)));
      // OpenSSH's rename replaces an existing file, as POSIX rename does; plain SFTP rename would not.
      await promised<void>((done) => sftp.ext_openssh_rename(partial, path, (err) => done(err)));
    },
    close() {
      sftp.end();
      client.end();
      open.socket.destroy();
    },
  };
}
