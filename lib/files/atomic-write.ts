import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `path` with `content` all at once: written to a temporary file beside it, flushed to disk, then
 * renamed over it (rename(2) within one file system is atomic), and the folder flushed so the new name
 * survives a power cut. An interrupted write leaves the old file, never half a new one. The temporary file
 * is created with `mode` (0600 for a key: never readable by others, not even for a moment); the mode given to
 * `open` is masked by the umask and ignored for a file left over from a crash, so it is set again exactly.
 */
export function writeFileAtomically(path: string, content: string | Uint8Array, mode = 0o644): void {
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w', mode);
  try {
    fchmodSync(fd, mode);
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  syncDirectory(dirname(path));
}
