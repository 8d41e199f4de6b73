/**
 * One partition's task (consumer/partition-task.ts) with a real writer, flusher and folder
 * store: closed batches are written and then committed by the flusher alone, the task
 * reports what it holds, and a revocation drops what was never written without committing it.
 */
import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTick } from '../../../lib/tick.js';
import { encodeBatch } from '../../../consumer/batch-files.js';
import { PartitionFlusher } from '../../../consumer/flusher.js';
import { PartitionTask } from '../../../consumer/partition-task.js';
import { PartitionWriter } from '../../../consumer/partition-writer.js';
import { Spooler } from '../../../consumer/spool.js';
import { LocalStore } from '../../../consumer/store/local.js';

const T0 = Date.UTC(2024, 0, 2, 14, 30);

describe('PartitionTask', function () {
  this.timeout(20_000);
  let root: string;
  let commits: number[];

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tickstream-task-'));
    commits = [];
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function task(maxRecords: number, spooler?: Spooler): PartitionTask {
    const writer = new PartitionWriter('ticks', 3, { maxRecords, maxBytes: 1e9, eventSpanMs: 0, flushIntervalMs: 60_000 }, spooler ? 3 : Infinity);
    const flusher = new PartitionFlusher('ticks', 3, {
      store: new LocalStore(root),
      deadLetters: { send: async () => {}, close: async () => {} },
      commit: (_topic, partition, offset) => {
        expect(partition).to.equal(3);
        commits.push(offset);
      },
      encode: (b) => (spooler ? spooler.finish(b) : encodeBatch(b, { bars: false })),
      release: (b) => spooler?.drop(b),
      backoff: { baseMs: 1, maxMs: 5 },
    }, -1);
    return new PartitionTask(writer, flusher, spooler);
  }

  function feed(t: PartitionTask, from: number, to: number, now = 0): void {
    for (let o = from; o < to; o++) {
      const value = Buffer.from(JSON.stringify({ symbol: 'AAPL', ts: T0 + o, price: 100 + o, volume: 1 }));
      t.add({ offset: o, timestamp: T0, key: null, value }, checkTick(JSON.parse(value.toString())), now);
    }
  }

  it('hands closed batches to its flusher, which commits each after writing it', async () => {
    const t = task(4);
    expect(t.partition).to.equal(3);
    feed(t, 0, 10);
    expect(t.writer.openMessages).to.equal(2);
    await until(() => t.pending === 0);
    expect(commits).to.deep.equal([4, 8]);
    expect(t.unwrittenMessages).to.equal(2);
    expect(t.bufferedBytes).to.be.greaterThan(0);
    t.closeOpen('shutdown');
    await until(() => t.pending === 0);
    expect(commits).to.deep.equal([4, 8, 10]);
    expect(t.bufferedBytes).to.equal(0);
    expect(t.unwrittenMessages).to.equal(0);
  });

  it('closes the open batch when its wall-clock interval is due, not before', async () => {
    const t = task(100);
    feed(t, 0, 3, 1_000);
    t.flushIfDue(1_000 + 59_999);
    expect(t.writer.openMessages).to.equal(3);
    t.flushIfDue(1_000 + 60_000);
    expect(t.writer.openMessages).to.equal(0);
    await until(() => t.pending === 0);
    expect(commits).to.deep.equal([3]);
  });

  it('with a spool: writes a batch chunk by chunk, commits it whole, and leaves no file behind after the commit or a revocation', async () => {
    const spooler = await Spooler.open(join(root, 'spool'), { bars: false });
    const t = task(10, spooler);
    feed(t, 0, 17);
    await until(() => t.pending === 0);
    expect(commits).to.deep.equal([10]);
    expect(t.bufferedBytes, 'the open batch: one tick after two chunks').to.be.greaterThan(0);
    const lake = new LocalStore(root);
    expect(await lake.list('raw/ticks/')).to.have.length(1);
    await until(() => readdirSync(spooler.dir).length === 1); // the open batch's first chunk (offsets 10-12, 13-15) on disk
    expect(await t.revoke(0)).to.equal(7);
    expect(commits).to.deep.equal([10]);
    expect(readdirSync(spooler.dir)).to.deep.equal([]);
    await spooler.close();
  });

  it('drops the open batch on revocation and commits nothing of it', async () => {
    const t = task(100);
    feed(t, 0, 7);
    expect(await t.revoke(0)).to.equal(7);
    expect(commits).to.deep.equal([]);
  });
});

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}
