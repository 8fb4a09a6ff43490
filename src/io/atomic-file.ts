// Writing a file so that a crash, a kill or a power cut at any moment leaves either the previous complete
// file or the new complete file, never a torn one; and reading a file with errors a user can act on. Node only.
//
// writeFileAtomic: write a temporary file beside the target (same directory, so same file system), fsync
// it, rename it over the target (atomic on POSIX), then fsync the directory so the rename itself survives a
// power cut. A process killed mid-write leaves its temporary file behind: `.<name>.<random>.tmp` in the
// target's directory, safe to delete.

import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../user-error.ts';

export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  // The name is cut so that a target name near the file system's limit still leaves room for the suffix.
  const temp = join(dir, `.${basename(path).slice(0, 100)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await open(temp, 'wx');
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => undefined); // gone already, or never made
    if (!isSystemError(e)) throw e; // a bug, not a problem with the path or the disk
    throw new UserError(`cannot write ${path}: ${reason(e, dir)}. The previous ${basename(path)}, if any, is unchanged.`);
  }
  await syncDirectory(dir, path);
}

/** The whole file; a UserError naming the path and the reason when it cannot be read. `what`: "checkpoint"... */
export async function readFileChecked(path: string, what: string): Promise<Uint8Array> {
  try {
    const b = await readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    if (!isSystemError(e)) throw e;
    throw new UserError(`cannot read the ${what} ${path}: ${reason(e, '')}.`);
  }
}

/** Makes the rename durable. File systems that cannot sync a directory (some network and Windows ones) are let be. */
async function syncDirectory(dir: string, path: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!['EISDIR', 'EINVAL', 'ENOTSUP', 'EPERM', 'EACCES', 'EBADF'].includes(code ?? '')) {
      throw new UserError(`${path} was written, but its directory could not be synced to disk: ${reason(e, dir)}.`);
    }
  } finally {
    await handle?.close();
  }
}

/** An error from the operating system (ENOENT, EACCES...), or one of Node's own about the file (ERR_FS_FILE_TOO_LARGE). */
function isSystemError(e: unknown): boolean {
  const err = e as NodeJS.ErrnoException;
  return typeof err?.code === 'string' && (typeof err.syscall === 'string' || err.code.startsWith('ERR_FS_'));
}

/** Why a file operation failed, in words; `dir`: the directory a write goes to ('' for a read). */
function reason(e: unknown, dir: string): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT':
      return dir === '' ? 'there is no such file; check the path' : `the directory ${dir} does not exist; create it or choose another`;
    case 'ENOTDIR':
      return 'a part of the path is a file, not a directory';
    case 'EISDIR':
      return 'it is a directory; give a file name';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOSPC':
      return 'the disk is full';
    case 'EDQUOT':
      return 'the disk quota is used up';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    default:
      return err.code !== undefined ? `${err.code}: ${err.message}` : String(e);
  }
}
