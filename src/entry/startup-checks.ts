/**
 * Checks the local entries run before they create anything: the listening port is free, and the
 * data directory is a directory this process can write (created if missing). Each failure is a
 * StartupError whose one line says what is wrong and what to do.
 */
import { access, constants, mkdir, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { StartupError } from './startup-error.ts';

/** Binds `host:port` and lets it go again; port 0 (any free port) needs no check. */
export async function checkPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((ok, fail) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) => fail(listenError(e, host, port)));
    server.listen({ host, port, exclusive: true }, () => server.close(() => ok()));
  });
}

/** The one-line reason a listen on `host:port` failed. */
export function listenError(e: NodeJS.ErrnoException, host: string, port: number): StartupError {
  switch (e.code) {
    case 'EADDRINUSE':
      return new StartupError(`port ${port} on ${host} is already in use (another kernel or program listens there): stop it, or set PORT to a free port`);
    case 'EACCES':
    case 'EPERM':
      return new StartupError(`no permission to listen on port ${port} on ${host}: set PORT to a port above 1023`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError(`KEE_HOST \`${host}\` is not an address of this machine: set KEE_HOST to one of its addresses (default 127.0.0.1)`);
    default:
      return new StartupError(`cannot listen on ${host}:${port}: ${e.message}`);
  }
}

/** Makes sure `dir` is a writable directory, creating it (and its parents) if missing. */
export async function prepareDataDir(dir: string): Promise<void> {
  const where = `KEE_DATA_DIR \`${dir}\``;
  const existing = await stat(dir).catch((e: NodeJS.ErrnoException) => e);
  if (existing instanceof Error) {
    if (existing.code === 'ENOTDIR') throw underAFile(where, await fileAncestor(dir));
    if (existing.code !== 'ENOENT') throw new StartupError(`${where} cannot be read (${existing.code}): fix its permissions or choose another directory`);
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR' || code === 'EEXIST') throw underAFile(where, await fileAncestor(dir));
      throw new StartupError(`${where} cannot be created (${code ?? 'error'}: ${denied(code)}): create it with write access for this user, or choose another directory`);
    }
    return;
  }
  if (!existing.isDirectory()) throw new StartupError(`${where} is a file, not a directory: point KEE_DATA_DIR at a directory`);
  try {
    await access(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new StartupError(`${where} is not writable (${code ?? 'error'}: ${denied(code)}): give this user write access to it, or choose another directory`);
  }
}

const denied = (code: string | undefined) => (code === 'EROFS' ? 'read-only file system' : code === 'ENOSPC' ? 'no space left' : 'permission denied');

const underAFile = (where: string, file: string | null) =>
  new StartupError(`${where} cannot be created: ${file ? `\`${file}\` is a file, not a directory` : 'a part of the path is a file'}: point KEE_DATA_DIR at a directory`);

/** The nearest existing ancestor of `dir` that is not a directory. */
async function fileAncestor(dir: string): Promise<string | null> {
  for (let p = resolve(dir); ; p = dirname(p)) {
    const s = await stat(p).catch(() => null);
    if (s && !s.isDirectory()) return p;
    if (dirname(p) === p) return null;
  }
}
