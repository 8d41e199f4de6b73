/**
 * The write protocol and recovery, with a real folder store and a recorded commit function:
 * a batch is committed only after its objects and dead letters are written; a crash between
 * the writes and the commit is rolled back on the next assignment, so a replay cut at other
 * boundaries (wall clock) still gives every offset exactly once.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTick } from '../../../lib/tick.js';
import { encodeBatch } from '../../../consumer/batch-files.js';
import type { DeadLetterSink } from '../../../consumer/dead-letters.js';
import { PartitionFlusher, type FlushDeps } from '../../../consumer/flusher.js';
import { PartitionWriter, type ClosedBatch } from '../../../consumer/partition-writer.js';
import { recoverPartition } from '../../../consumer/recovery.js';
import { backoffDelay } from '../../../consumer/retry.js';
import { Spooler, spoolRoot } from '../../../consumer/spool.js';
import { LocalStore } from '../../../consumer/store/local.js';

const T0 = Date.UTC(2024, 0, 2, 23, 59, 50);

/**
 * Batches of offsets [from, to) cut every `size` messages; offset 7 is a poison message.
 * With a spooler, every 3 ticks of an open batch go to it as a chunk (as the sink does).
 */
function batches(from: number, to: number, size: number, spooler: Spooler | null): ClosedBatch[] {
  const w = new PartitionWriter('ticks', 1, { maxRecords: size, maxBytes: 1e9, eventSpanMs: 0, flushIntervalMs: 0 }, spooler ? 3 : Infinity);
  const out: ClosedBatch[] = [];
  for (let o = from; o < to; o++) {
    const check = o === 7 ? checkTick({ symbol: 'X' }) : checkTick({ symbol: `S${o % 2}`, ts: T0 + o * 1000, price: 10 + o, volume: o });
    const closed = w.add({ offset: o, timestamp: T0, key: null, value: Buffer.from(`m${o}`) }, check, 0);
    for (const chunk of w.takeChunks()) spooler?.append(chunk);
    out.push(...closed);
  }
  const rest = w.closeOpen('wall-clock');
  return rest ? [...out, rest] : out;
}

class RecordingDlq implements DeadLetterSink {
  sent: number[] = [];
  failNext = 0;
  async send(batch: ClosedBatch): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('broker down');
    }
    this.sent.push(...batch.deadLetters.map((d) => d.offset));
  }
  async close(): Promise<void> {}
}

/** A store whose puts fail after `okPuts` successful ones (a crash or an outage mid-batch). */
class FailingStore extends LocalStore {
  okPuts = Infinity;
  override async put(key: string, body: Uint8Array): Promise<void> {
    if (this.okPuts <= 0) throw new Error('store unavailable');
    this.okPuts--;
    await super.put(key, body);
  }
  override async putFile(key: string, path: string): Promise<void> {
    if (this.okPuts <= 0) throw new Error('store unavailable');
    this.okPuts--;
    await super.putFile(key, path);
  }
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
}

async function lakeOffsets(root: string): Promise<number[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const r = await conn.runAndReadAll(`SELECT kafka_offset AS o FROM read_parquet('${root}/raw/ticks/*/*.parquet') ORDER BY 1`);
    return r.getRowObjectsJS().map((x) => Number(x.o));
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

for (const files of ['in memory', 'spooled'] as const) describe(`flush protocol and recovery (objects ${files})`, function () {
  this.timeout(30_000);
  let spooler: Spooler | null = null;
  const cut = (from: number, to: number, size: number): ClosedBatch[] => batches(from, to, size, spooler);
  let root: string;
  let store: FailingStore;
  let dlq: RecordingDlq;
  let commits: Array<[number, number]>;
  let events: string[];

  const deps = (): FlushDeps => ({
    store,
    deadLetters: dlq,
    commit: (_topic, partition, offset) => {
      events.push(`commit ${offset}`);
      commits.push([partition, offset]);
    },
    encode: (b) => (spooler ? spooler.finish(b) : encodeBatch(b, { bars: true })),
    release: (b) => spooler?.drop(b),
    backoff: { baseMs: 1, maxMs: 5 },
  });

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'tickstream-flush-'));
    if (files === 'spooled') spooler = await Spooler.open(spoolRoot(root, undefined), { bars: true });
    store = new FailingStore(root);
    dlq = new RecordingDlq();
    commits = [];
    events = [];
  });
  afterEach(async () => {
    // Every batch was committed or dropped by then: none of its files may stay in the spool.
    if (spooler) expect(readdirSync(spooler.dir), 'spooled files left behind').to.deep.equal([]);
    await spooler?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('commits each batch after its objects and dead letters, in order, and removes the intent', async () => {
    const f = new PartitionFlusher('ticks', 1, deps(), -1);
    dlq.failNext = 2; // the DLQ fails twice: the commit waits
    for (const b of cut(0, 20, 8)) f.enqueue(b);
    await f.idle();
    expect(commits).to.deep.equal([
      [1, 8],
      [1, 16],
      [1, 20],
    ]);
    expect(dlq.sent).to.deep.equal([7]);
    expect(f.committed).to.equal(20);
    expect(await store.list('_sink/intents/')).to.deep.equal([]);
    // Ticks span two dates: one raw and one bars object per date and batch.
    const raw = (await store.list('raw/ticks/')).sort();
    expect(raw).to.include('raw/ticks/dt=2024-01-02/ticks+1+00000000000000000008.parquet');
    expect(raw).to.include('raw/ticks/dt=2024-01-03/ticks+1+00000000000000000008.parquet');
    expect(await lakeOffsets(root)).to.deep.equal([...Array(20).keys()].filter((o) => o !== 7));
  });

  it('rolls back a batch written but not committed, so a replay cut elsewhere is still exactly once', async () => {
    const first = new PartitionFlusher('ticks', 1, deps(), -1);
    const [a, b] = cut(0, 20, 10);
    first.enqueue(a!);
    await first.idle();
    // The second batch: intent and one object land, then the process "dies" (store fails, partition lost).
    store.okPuts = 2;
    first.enqueue(b!);
    await until(() => first.lastError !== null);
    expect(await first.revoke(0)).to.equal(10);
    expect(commits).to.deep.equal([[1, 10]]);
    expect(await store.list('_sink/intents/')).to.have.length(1);
    expect((await lakeOffsets(root)).length).to.be.greaterThan(9); // a half-written batch is visible

    store.okPuts = Infinity;
    const outcome = await recoverPartition(store, 'ticks', 1, 10);
    expect(outcome.rolledBack.map((x) => x.startOffset)).to.deep.equal([10]);
    expect(await lakeOffsets(root)).to.deep.equal([...Array(10).keys()].filter((o) => o !== 7));

    // Replay from the committed offset with other boundaries (as a wall-clock flush would cut them).
    const second = new PartitionFlusher('ticks', 1, deps(), 10);
    for (const x of cut(10, 20, 3)) second.enqueue(x);
    await second.idle();
    expect(await lakeOffsets(root)).to.deep.equal([...Array(20).keys()].filter((o) => o !== 7));
    expect(commits[commits.length - 1]).to.deep.equal([1, 20]);
  });

  it('keeps the objects of a committed batch whose intent was left behind', async () => {
    const f = new PartitionFlusher('ticks', 1, deps(), -1);
    const [a] = cut(0, 10, 10);
    const keys = encodeBatch(a!, { bars: true }).map((x) => x.key);
    f.enqueue(a!);
    await f.idle();
    // As if the process died after the commit, before the intent's deletion.
    await store.put('_sink/intents/ticks+1+00000000000000000000.json', Buffer.from(JSON.stringify({ version: 1, topic: 'ticks', partition: 1, startOffset: 0, endOffset: 9, keys })));
    const outcome = await recoverPartition(store, 'ticks', 1, 10);
    expect(outcome).to.deep.include({ staleIntents: 1, deletedObjects: 0 });
    expect(await store.list('_sink/intents/')).to.deep.equal([]);
    expect(await lakeOffsets(root)).to.have.length(9);
  });

  it('treats everything as uncommitted when neither the group nor the lake has an offset', async () => {
    dlq.failNext = Infinity; // the dead letters are never sent
    const f = new PartitionFlusher('ticks', 1, deps(), -1);
    f.enqueue(cut(0, 5, 5)[0]!);
    await until(() => f.lastError !== null);
    await f.revoke(0);
    expect(await store.list('_sink/offsets/')).to.deep.equal([]); // dead letters not sent: the lake does not hold the batch
    const outcome = await recoverPartition(store, 'ticks', 1, -1);
    expect(outcome.rolledBack).to.have.length(1);
    expect(outcome.resumeFrom).to.equal(-1);
    expect(await store.list('raw/')).to.deep.equal([]);
  });

  it('keeps a batch whose objects and dead letters are durable although its commit never landed', async () => {
    const f = new PartitionFlusher('ticks', 1, { ...deps(), commit: () => Promise.reject(new Error('never')) }, -1);
    f.enqueue(cut(0, 5, 5)[0]!);
    await until(() => f.lastError !== null);
    await f.revoke(0);
    const outcome = await recoverPartition(store, 'ticks', 1, -1);
    expect(outcome).to.deep.include({ resumeFrom: 5, lakeOffset: 5, staleIntents: 1 });
    expect(outcome.rolledBack).to.deep.equal([]);
    expect(await lakeOffsets(root)).to.deep.equal([0, 1, 2, 3, 4]);
  });

  it("brings the group's commit up to the lake's offset before any batch's commit", async () => {
    const f = new PartitionFlusher('ticks', 1, deps(), 8);
    f.catchUp(20);
    for (const b of cut(20, 30, 5)) f.enqueue(b);
    await f.idle();
    expect(commits).to.deep.equal([
      [1, 20],
      [1, 25],
      [1, 30],
    ]);
    f.catchUp(12); // never backwards
    await f.idle();
    expect(commits).to.have.length(3);
  });

  it("resumes from the lake's offset when the group's committed offset went back (an older commit landed last)", async () => {
    const f = new PartitionFlusher('ticks', 1, deps(), -1);
    for (const b of cut(0, 20, 8)) f.enqueue(b);
    await f.idle();
    expect(f.committed).to.equal(20);
    // Kafka now says 8 (the chaos run's stale commit); reading from 8 would write 8..19 again.
    const outcome = await recoverPartition(store, 'ticks', 1, 8);
    expect(outcome).to.deep.include({ resumeFrom: 20, lakeOffset: 20, deletedObjects: 0 });
    const again = new PartitionFlusher('ticks', 1, deps(), outcome.resumeFrom);
    for (const b of cut(20, 30, 5)) again.enqueue(b);
    await again.idle();
    const offsets = await lakeOffsets(root);
    expect(offsets).to.deep.equal([...Array(30).keys()].filter((o) => o !== 7));
    expect(new Set(offsets).size).to.equal(offsets.length);
  });

  it('retries with exponential backoff, capped, with jitter', () => {
    const p = { baseMs: 100, maxMs: 1000 };
    expect(backoffDelay(p, 1, () => 1)).to.equal(100);
    expect(backoffDelay(p, 3, () => 1)).to.equal(400);
    expect(backoffDelay(p, 10, () => 1)).to.equal(1000);
    expect(backoffDelay(p, 10, () => 0)).to.equal(500);
  });
});
