// A disk backed by a host file, read with asynchronous host I/O. Guest
// writes go to an in-memory overlay; commit() writes them back (for
// --disk-writable) by building the new image in a temporary file beside the
// original and renaming it over, so the user's file is either the old image
// or the new one, whatever happens to vmrr.

import { copyFile, mkdtemp, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SECTOR, SectorOverlay, type DiskBackend } from '../devices/disk-backend.js';

/** The --disk file cannot be used (missing, not a file, not whole sectors): exit status 2 at the CLI. */
export class DiskOpenError extends Error {
  override name = 'DiskOpenError';
}

/** Writing the overlay back failed; the message is one line and the original file is untouched. */
export class DiskCommitError extends Error {
  override name = 'DiskCommitError';
}

export class FileDisk implements DiskBackend {
  inFlight = 0;
  private readonly overlay = new SectorOverlay();

  private constructor(readonly path: string, private readonly fh: FileHandle, readonly sectors: number) {}

  static async open(path: string): Promise<FileDisk> {
    let size: number;
    try {
      const info = await stat(path);
      if (!info.isFile()) throw new DiskOpenError(`--disk: ${path} is not a regular file`);
      size = info.size;
    } catch (e) {
      if (e instanceof DiskOpenError) throw e;
      throw new DiskOpenError(`--disk: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    if (size === 0 || size % SECTOR !== 0) {
      throw new DiskOpenError(`--disk: ${path} is ${size} bytes, not a whole number of 512-byte sectors`);
    }
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      throw new DiskOpenError(`--disk: cannot open ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    return new FileDisk(path, fh, size / SECTOR);
  }

  read(lba: number, count: number, into: Uint8Array, done: (error: string | null) => void): void {
    this.inFlight++;
    this.fh.read(into, 0, count * SECTOR, lba * SECTOR).then(
      ({ bytesRead }) => {
        this.inFlight--;
        if (bytesRead !== count * SECTOR) return done(`short read at sector ${lba}`);
        this.overlay.apply(lba, count, into);
        done(null);
      },
      (e: NodeJS.ErrnoException) => {
        this.inFlight--;
        done(e.code ?? String(e));
      },
    );
  }

  write(lba: number, data: Uint8Array): void {
    this.overlay.put(lba, data);
  }

  /** Sectors the guest has written. */
  get writtenSectors(): number {
    return this.overlay.size;
  }

  /** Write the overlay back: copy, patch and sync a temporary file, then rename it over the original. */
  async commit(): Promise<void> {
    if (this.overlay.size === 0) return;
    // A fresh directory beside the file: same file system (so rename is atomic), a name nobody else uses.
    let dir: string | undefined;
    try {
      dir = await mkdtemp(join(dirname(this.path), `.${basename(this.path)}.vmrr-`));
      const tmp = join(dir, basename(this.path));
      await copyFile(this.path, tmp);
      const out = await open(tmp, 'r+');
      try {
        for (const [lba, data] of this.overlay.entries()) await out.write(data, 0, SECTOR, lba * SECTOR);
        await out.sync();
      } finally {
        await out.close();
      }
      await rename(tmp, this.path);
    } catch (e) {
      throw new DiskCommitError(`--disk-writable: cannot write back ${this.path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
