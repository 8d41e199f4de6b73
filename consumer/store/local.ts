/**
 * The lake as a folder. A file becomes visible only when it is complete: it is written to
 * `<root>/_sink/tmp/`, flushed to disk, then renamed into place (rename is atomic within one
 * file system) and the folder entry is flushed too, so a crash leaves either the old file,
 * the new one, or a stray temp file that no reader looks at (`_` folders are skipped by
 * Hive-style readers; `sweepTemp` removes old ones at start-up).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { ObjectInfo, ObjectStore } from './store.js';

const TMP = '_sink/tmp';
/** The sink's spool of open batches' files (spool.ts), when it lies in the lake: not objects. */
const SPOOL = '_sink/spool';

export class LocalStore implements ObjectStore {
  readonly root: string;
  readonly url: string;
  private readonly madeDirs = new Set<string>();

  constructor(root: string) {
    this.root = resolve(root);
    this.url = `file://${this.root}`;
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    const tmp = await this.tempFor(key);
    let handle;
    try {
      handle = await open(tmp, 'w', 0o644);
    } catch (err) {
      this.madeDirs.clear(); // the folders may have been removed under us; make them again on retry
      throw err;
    }
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.moveIntoPlace(tmp, key);
  }

  /**
   * A finished local file (flushed to disk by its writer) into place: a second name for it in
   * the temp folder (a hard link, no copy, when it lies on the lake's file system; a copy
   * otherwise), renamed over the key. The file itself stays for a retry; its owner removes it.
   */
  async putFile(key: string, path: string): Promise<void> {
    const tmp = await this.tempFor(key);
    try {
      await link(path, tmp);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') {
        this.madeDirs.clear();
        throw err;
      }
      await copyFile(path, tmp);
      const handle = await open(tmp, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    await this.moveIntoPlace(tmp, key);
    // Putting the same file again (a retried batch): the key is already a link to it, and
    // rename() of two links to one file does nothing, leaving the temp name behind.
    await unlink(tmp).catch(() => undefined);
  }

  /** A fresh temp path for an object of `key`, with the folders both need. */
  private async tempFor(key: string): Promise<string> {
    const tmpDir = join(this.root, TMP);
    await this.ensureDir(tmpDir);
    await this.ensureDir(dirname(this.path(key)));
    return join(tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  }

  /** Renames a complete temp file over the key (atomic) and makes the rename durable. */
  private async moveIntoPlace(tmp: string, key: string): Promise<void> {
    const target = this.path(key);
    try {
      await rename(tmp, target);
    } catch (err) {
      this.madeDirs.clear();
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await syncDir(dirname(target));
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      return await readFile(this.path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash >= 0 ? prefix.slice(0, slash) : '';
    const out: string[] = [];
    await walk(join(this.root, dirKey), dirKey, out);
    return out.filter((k) => k.startsWith(prefix) && !k.startsWith(`${TMP}/`) && !k.startsWith(`${SPOOL}/`));
  }

  async listInfo(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    for (const key of await this.list(prefix)) {
      const s = await stat(this.path(key)).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return null; // deleted between the listing and the stat
        throw err;
      });
      if (s) out.push({ key, bytes: s.size, modifiedMs: s.mtimeMs });
    }
    return out;
  }

  /** Removes temp files older than `maxAgeMs` (left by a process that died mid-write). */
  async sweepTemp(maxAgeMs = 15 * 60_000): Promise<number> {
    const dir = join(this.root, TMP);
    let removed = 0;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return 0;
    }
    for (const name of names) {
      const file = join(dir, name);
      const s = await stat(file).catch(() => null);
      if (s && Date.now() - s.mtimeMs > maxAgeMs) {
        await rm(file, { force: true });
        removed++;
      }
    }
    return removed;
  }

  async close(): Promise<void> {}

  private path(key: string): string {
    const p = resolve(this.root, key);
    if (!p.startsWith(this.root + sep)) throw new Error(`key outside the lake: ${key}`);
    return p;
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.madeDirs.add(dir);
  }
}

async function walk(dir: string, key: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const e of entries) {
    const k = key ? `${key}/${e.name}` : e.name;
    if (e.isDirectory()) await walk(join(dir, e.name), k, out);
    else if (e.isFile()) out.push(k);
  }
}

/** fsync of a folder makes a rename in it durable. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
