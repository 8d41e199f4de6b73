/**
 * One Parquet file written row group by row group to a local file, so a file can grow to
 * tens of MiB while the process holds about one row group of it (issue 15).
 *
 * parquet-wasm's `transformParquetStream` runs arrow-rs's asynchronous writer over a stream
 * of record batches: rows are encoded as they arrive, a row group is written out once it
 * holds `MAX_ROW_GROUP_ROWS` rows, and the footer when the input ends. The input stream is
 * pull-based (`highWaterMark` 0): `append` hands over a batch only when the writer asks for
 * one, so batches never pile up in WebAssembly memory faster than they are encoded.
 *
 * The same rows appended in the same order give the same bytes (fixed writer settings, row
 * groups cut by row count), which keeps a replayed batch's file identical.
 */
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { transformParquetStream, type RecordBatch as WasmRecordBatch } from 'parquet-wasm';
import type { LakeTable } from '../../lib/lake.js';
import { wasmTableOf, writerProperties, type Columns } from './parquet.js';

export class ParquetFileWriter {
  /** Rows appended so far. */
  rows = 0;
  private handle: FileHandle | null = null;
  private controller: ReadableStreamDefaultController<WasmRecordBatch> | null = null;
  /** Set while the writer waits for its next batch: call after enqueueing one. */
  private demand: (() => void) | null = null;
  private demandWaiter: (() => void) | null = null;
  private output: Promise<void> | null = null;
  private written = 0;
  private failure: unknown = null;

  constructor(
    readonly table: LakeTable,
    readonly path: string,
  ) {}

  /** Appends the rows `order` of `input` (in that order). Calls must not overlap. */
  async append(input: Columns, order?: Int32Array): Promise<void> {
    const length = order?.length ?? input.length;
    if (length === 0) return;
    const wasm = wasmTableOf(this.table, input, order);
    const batch = wasm.recordBatch(0)!;
    wasm.free();
    if (!this.output) {
      this.output = this.start().catch((err: unknown) => {
        this.failure = err;
        this.demandWaiter?.();
        throw err;
      });
      this.output.catch(() => undefined); // awaited by finish; a failure also ends append below
    }
    if (!this.demand && !this.failure) await new Promise<void>((resolve) => (this.demandWaiter = resolve));
    if (this.failure) {
      batch.free();
      throw this.failure;
    }
    const done = this.demand!;
    this.demand = null;
    this.controller!.enqueue(batch);
    done();
    this.rows += length;
  }

  /** Writes the footer, flushes the file to disk and closes it; returns its size in bytes. */
  async finish(): Promise<number> {
    if (!this.output) throw new Error(`${this.path}: no rows were appended`);
    this.controller!.close();
    this.demand?.();
    await this.output;
    await this.handle!.sync();
    await this.handle!.close();
    this.handle = null;
    return this.written;
  }

  /** Stops writing and removes the file (a dropped batch). */
  async abort(): Promise<void> {
    try {
      this.controller?.error(new Error('aborted'));
    } catch {
      // already closed
    }
    this.demand?.();
    await this.output?.catch(() => undefined);
    await this.handle?.close().catch(() => undefined);
    this.handle = null;
    await unlink(this.path).catch(() => undefined);
  }

  private async start(): Promise<void> {
    this.handle = await open(this.path, 'w', 0o600);
    const input = new ReadableStream<WasmRecordBatch>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        pull: () =>
          new Promise<void>((resolve) => {
            this.demand = resolve;
            const waiter = this.demandWaiter;
            this.demandWaiter = null;
            waiter?.();
          }),
      },
      { highWaterMark: 0 },
    );
    const stream = (await transformParquetStream(input, writerProperties(this.table))) as ReadableStream<Uint8Array>;
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      await this.handle.write(value);
      this.written += value.length;
    }
  }
}
