/**
 * The spool: open batches' files on local disk, written chunk by chunk while the batch is
 * still filling, so a batch of millions of ticks (a 64 MiB file) costs the sink about one
 * chunk of columns and one Parquet row group per file in memory, not the whole batch
 * (issue 15). The flusher then puts each finished file into the store (`putFile`: a hard
 * link and rename in a local lake, a multipart upload read from disk on S3) after the
 * batch's intent, so the write protocol and exactly-once are unchanged: an object appears
 * only complete, under the batch's name, and only the flusher commits.
 *
 * Each process writes under its own folder `<spool root>/<pid>/`; at start it removes the
 * folders of processes that no longer run (a crash leaves its spool behind, never anything
 * committed: Kafka still holds those batches, and recovery rolls back what was put).
 *
 * Per batch the work is a chain: chunks are appended in offset order, then `finish` adds
 * the last ticks and closes the files. A write that fails (a full disk) cannot be redone
 * from memory, so it is fatal for the process (`failure`): the sink stops and the next
 * start re-reads from the committed offset.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isS3Url } from './store/store.js';
import { batchName, type BatchId } from './naming.js';
import { batchId, chunkParts, type BatchFile, type EncodeOptions } from './batch-files.js';
import { ParquetFileWriter } from './format/parquet-stream.js';
import type { ClosedBatch, TickChunk } from './partition-writer.js';
import type { TickColumns } from './tick-columns.js';

/** Where the spool is: the setting, else inside a folder lake (so a put is a rename), else the temp folder. */
export function spoolRoot(lakeRoot: string, spoolDir: string | undefined): string {
  if (spoolDir) return resolve(spoolDir);
  return isS3Url(lakeRoot) ? join(tmpdir(), 'tickstream-spool') : join(resolve(lakeRoot), '_sink', 'spool');
}

interface OpenSpool {
  readonly id: BatchId;
  readonly seq: number;
  readonly writers: Map<string, { readonly writer: ParquetFileWriter; readonly dt: string }>;
  chain: Promise<void>;
  chunks: number;
  queuedBytes: number;
  result: Promise<BatchFile[]> | null;
}

export class Spooler {
  /** The first write that failed; the sink stops on it. */
  failure: Error | null = null;
  private readonly open = new Map<string, OpenSpool>();
  private seq = 0;

  private constructor(
    /** This process's folder. */
    readonly dir: string,
    private readonly options: EncodeOptions,
  ) {}

  /**
   * Makes this process's folder under `root` and removes those of processes that are gone.
   * Fails with a message naming the setting when the folder cannot be made.
   */
  static async open(root: string, options: EncodeOptions): Promise<Spooler> {
    const dir = join(root, String(process.pid));
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new Error(`TICKSTREAM_SINK_SPOOL_DIR: cannot make the spool folder ${dir}: ${(err as Error).message}`);
    }
    for (const name of await readdir(root)) {
      if (/^\d+$/.test(name) && Number(name) !== process.pid && !processRuns(Number(name))) {
        await rm(join(root, name), { recursive: true, force: true });
      }
    }
    return new Spooler(dir, options);
  }

  /** Memory of the chunks of `partition` waiting to be written. */
  queuedBytes(partition: number): number {
    let n = 0;
    for (const s of this.open.values()) if (s.id.partition === partition) n += s.queuedBytes;
    return n;
  }

  /** Starts writing a chunk of an open batch to the batch's files (in the background). */
  append(chunk: TickChunk): void {
    const spool = this.spoolOf(chunk);
    const lineage = spool.chunks++ === 0 ? chunk.startOffset : chunk.ticks.offset[0]!;
    this.enqueue(spool, chunk.ticks, lineage);
  }

  /** The batch's files, finished: its last ticks appended, footers written, flushed to disk. */
  finish(batch: ClosedBatch): Promise<BatchFile[]> {
    const spool = this.spoolOf(batch);
    if (!spool.result) {
      if (batch.ticks.length > 0) {
        const lineage = spool.chunks++ === 0 ? batch.startOffset : batch.ticks.offset[0]!;
        this.enqueue(spool, batch.ticks, lineage);
      }
      spool.result = spool.chain.then(async () => {
        if (this.failure) throw this.failure;
        try {
          return await this.finishFiles(spool);
        } catch (err) {
          throw this.fail(err);
        }
      });
    }
    return spool.result;
  }

  /** Forgets a batch and removes its files: committed, or dropped (revoke, stop). */
  async drop(id: BatchId): Promise<void> {
    const key = batchName(id);
    const spool = this.open.get(key);
    if (!spool) return;
    this.open.delete(key);
    await spool.chain.catch(() => undefined);
    await spool.result?.catch(() => undefined);
    await Promise.all([...spool.writers.values()].map(({ writer }) => writer.abort()));
  }

  /** Drops every batch and removes this process's folder (the sink's stop). */
  async close(): Promise<void> {
    await Promise.all([...this.open.values()].map((s) => this.drop(s.id)));
    await rm(this.dir, { recursive: true, force: true });
  }

  private spoolOf(id: BatchId): OpenSpool {
    const key = batchName(batchId(id));
    let spool = this.open.get(key);
    if (!spool) {
      spool = { id: batchId(id), seq: this.seq++, writers: new Map(), chain: Promise.resolve(), chunks: 0, queuedBytes: 0, result: null };
      this.open.set(key, spool);
    }
    return spool;
  }

  private enqueue(spool: OpenSpool, ticks: TickColumns, lineage: number): void {
    const bytes = ticks.bytes;
    spool.queuedBytes += bytes;
    spool.chain = spool.chain
      .then(async () => {
        if (this.failure) return;
        for (const part of chunkParts(spool.id, ticks, lineage, this.options)) {
          let entry = spool.writers.get(part.key);
          if (!entry) {
            const file = `${batchName(spool.id)}.${spool.seq}.${part.table.name}.${part.dt}.parquet`;
            entry = { writer: new ParquetFileWriter(part.table, join(this.dir, file)), dt: part.dt };
            spool.writers.set(part.key, entry);
          }
          await entry.writer.append(part.columns, part.order);
        }
      })
      .catch((err: unknown) => {
        this.fail(err);
      })
      .finally(() => {
        spool.queuedBytes -= bytes;
      });
  }

  /** Records the first failed write (the sink stops on it) and returns it. */
  private fail(err: unknown): Error {
    this.failure ??= new Error(`spool write failed in ${this.dir}: ${(err as Error).message}`, { cause: err });
    return this.failure;
  }

  private async finishFiles(spool: OpenSpool): Promise<BatchFile[]> {
    const files: BatchFile[] = [];
    for (const [key, { writer, dt }] of spool.writers) {
      const bytes = await writer.finish();
      files.push({ key, table: writer.table.name, dt, rows: writer.rows, bytes, path: writer.path });
    }
    // The same order as an in-memory encoding: by dt, raw before bars.
    return files.sort((a, b) => (a.dt < b.dt ? -1 : a.dt > b.dt ? 1 : a.table === b.table ? 0 : a.table === 'ticks' ? -1 : 1));
  }
}

/** Whether a process with this id runs (signal 0 checks without sending anything). */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

