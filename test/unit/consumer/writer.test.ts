import { expect } from 'chai';
import { checkTick, type Tick, type TickCheck } from '../../../lib/tick.js';
import { PartitionWriter, type ClosedBatch } from '../../../consumer/partition-writer.js';
import { closesAfter, closesBefore, flushDue, type RotationPolicy } from '../../../consumer/rotation.js';

const POLICY: RotationPolicy = { maxRecords: 4, maxBytes: 1_000_000, eventSpanMs: 3_600_000, flushIntervalMs: 0 };
const T0 = Date.UTC(2024, 0, 2, 10);

function tick(i: number, ts = T0 + i * 1000): Tick {
  return { symbol: `S${i % 3}`, ts, price: 10 + i, volume: i };
}
function msg(offset: number, value = 'x'.repeat(50)) {
  return { offset, timestamp: T0, key: Buffer.from('k'), value: Buffer.from(value) };
}
function ok(t: Tick): TickCheck {
  return checkTick(t);
}
function feed(writer: PartitionWriter, from: number, to: number, opts: { tsOf?: (i: number) => number; poison?: Set<number> } = {}): ClosedBatch[] {
  const out: ClosedBatch[] = [];
  for (let o = from; o < to; o++) {
    const check: TickCheck = opts.poison?.has(o) ? { ok: false, reason: 'bad' } : ok(tick(o, opts.tsOf?.(o)));
    out.push(...writer.add(msg(o, 'x'.repeat(o % 10 === 0 ? 220 : 20)), check, 0));
  }
  return out;
}
const ranges = (batches: readonly ClosedBatch[]) => batches.map((b) => [b.startOffset, b.endOffset, b.reason]);

describe('rotation policy', () => {
  const state = { messages: 3, bytes: 100, firstEventTs: T0, openedAt: 1000 };
  it('closes by count, then bytes', () => {
    expect(closesAfter(POLICY, { ...state, messages: 4 })).to.equal('records');
    expect(closesAfter({ ...POLICY, maxBytes: 100 }, state)).to.equal('bytes');
    expect(closesAfter(POLICY, state)).to.equal(null);
  });
  it('closes before a tick an event-time span away (when that option is on), in either direction, and never an empty batch', () => {
    expect(closesBefore(POLICY, state, T0 + 3_599_999)).to.equal(null);
    expect(closesBefore(POLICY, state, T0 + 3_600_000)).to.equal('event-time');
    expect(closesBefore(POLICY, state, T0 - 3_600_000)).to.equal('event-time');
    expect(closesBefore(POLICY, { ...state, messages: 0 }, T0 + 9e9)).to.equal(null);
    expect(closesBefore({ ...POLICY, eventSpanMs: 0 }, state, T0 + 9e9)).to.equal(null);
  });
  it('closes before a tick in a later time partition than any in the batch, never for one inside it or earlier', () => {
    const policy = { ...POLICY, eventSpanMs: 0, partitioning: 'year' as const };
    const inYear = { ...state, partitionEnd: Date.UTC(2025, 0, 1) };
    expect(closesBefore(policy, inYear, Date.UTC(2024, 11, 31, 23, 59, 59, 999))).to.equal(null);
    expect(closesBefore(policy, inYear, Date.UTC(2025, 0, 1))).to.equal('partition');
    expect(closesBefore(policy, inYear, Date.UTC(1999, 0, 1))).to.equal(null); // late: joins the batch
    expect(closesBefore(policy, { ...inYear, messages: 0 }, Date.UTC(2030, 0, 1))).to.equal(null);
  });
  it('flushes by wall clock only when enabled and non-empty', () => {
    expect(flushDue({ ...POLICY, flushIntervalMs: 500 }, state, 1499)).to.equal(false);
    expect(flushDue({ ...POLICY, flushIntervalMs: 500 }, state, 1500)).to.equal(true);
    expect(flushDue(POLICY, state, 1e12)).to.equal(false);
    expect(flushDue({ ...POLICY, flushIntervalMs: 500 }, { ...state, messages: 0 }, 1e12)).to.equal(false);
    expect(flushDue({ ...POLICY, idleFlushMs: 300 }, { ...state, lastAt: 5000 }, 5299)).to.equal(false);
    expect(flushDue({ ...POLICY, idleFlushMs: 300 }, { ...state, lastAt: 5000 }, 5300)).to.equal(true);
  });
});

describe('partition writer', () => {
  it('cuts contiguous batches by count, counting dead letters, and ignores redeliveries', () => {
    const w = new PartitionWriter('ticks', 2, POLICY);
    const batches = feed(w, 0, 10, { poison: new Set([5]) });
    expect(ranges(batches)).to.deep.equal([
      [0, 3, 'records'],
      [4, 7, 'records'],
    ]);
    expect(batches[1]!.deadLetters.map((d) => d.offset)).to.deep.equal([5]);
    expect(batches[1]!.ticks.length).to.equal(3);
    expect(w.add(msg(9), ok(tick(9)), 0)).to.deep.equal([]); // offset 9 again: ignored
    expect(w.openMessages).to.equal(2);
    expect(ranges([w.closeOpen()!])).to.deep.equal([[8, 9, 'shutdown']]);
    expect(w.closeOpen()).to.equal(null);
  });

  it('draws the same batches when replayed from any batch start (data-dependent rotation)', () => {
    const tsOf = (i: number) => T0 + (i % 9 === 0 ? 2 * 3_600_000 : i * 1000);
    const policy = { ...POLICY, maxRecords: 5, maxBytes: 250 };
    const first = feed(new PartitionWriter('ticks', 0, policy), 0, 60, { tsOf });
    for (const b of first) {
      const replay = feed(new PartitionWriter('ticks', 0, policy), b.startOffset, 60, { tsOf });
      expect(ranges(replay)).to.deep.equal(ranges(first.filter((x) => x.startOffset >= b.startOffset)));
    }
    expect(new Set(first.map((b) => b.reason))).to.include.members(['event-time', 'bytes', 'records']);
  });

  it('draws the same batches when replayed from any batch start, cutting on partition changes too', () => {
    // Event time walks forward a month every 7 messages, with a late tick every 5th.
    const tsOf = (i: number) => Date.UTC(2020, Math.floor(i / 7) - (i % 5 === 0 ? 1 : 0), 15);
    const policy: RotationPolicy = { maxRecords: 6, maxBytes: 250, partitioning: 'month', eventSpanMs: 0, flushIntervalMs: 0 };
    const first = feed(new PartitionWriter('ticks', 0, policy), 0, 80, { tsOf });
    for (const b of first) {
      const replay = feed(new PartitionWriter('ticks', 0, policy), b.startOffset, 80, { tsOf });
      expect(ranges(replay)).to.deep.equal(ranges(first.filter((x) => x.startOffset >= b.startOffset)));
    }
    expect(new Set(first.map((b) => b.reason))).to.include.members(['partition', 'bytes', 'records']);
  });

  it('closes by event time before the far tick, which starts the next batch', () => {
    const w = new PartitionWriter('ticks', 0, { ...POLICY, maxRecords: 100 });
    const batches = feed(w, 0, 5, { tsOf: (i) => (i >= 3 ? T0 + 7_200_000 + i : T0 + i) });
    expect(ranges(batches)).to.deep.equal([[0, 2, 'event-time']]);
    expect(w.closeOpen()!.startOffset).to.equal(3);
  });

  it('under year partitioning keeps a year of daily bars in one batch and cuts at each new year', () => {
    // Four ticks a day on every day of 2019-2021, as a replay of daily bars sends them.
    const days = Array.from({ length: 365 + 366 + 1 }, (_, d) => Date.UTC(2019, 0, 1) + d * 86_400_000);
    const tsOf = (i: number) => days[Math.floor(i / 4)]! + (i % 4) * 3_600_000;
    const n = days.length * 4;
    const policy: RotationPolicy = { maxRecords: 1e9, maxBytes: 1e12, partitioning: 'year', eventSpanMs: 0, flushIntervalMs: 0 };
    const w = new PartitionWriter('ticks', 0, policy);
    const batches = [...feed(w, 0, n, { tsOf }), w.closeOpen()!];
    expect(batches.map((b) => [new Date(b.ticks.ts[0]!).getUTCFullYear(), b.ticks.length, b.reason])).to.deep.equal([
      [2019, 365 * 4, 'partition'],
      [2020, 366 * 4, 'partition'],
      [2021, 1 * 4, 'shutdown'],
    ]);
    const monthly = new PartitionWriter('ticks', 0, { ...policy, partitioning: 'month' });
    expect(feed(monthly, 0, n, { tsOf }).length).to.equal(24);
    const daily = new PartitionWriter('ticks', 0, { ...policy, partitioning: 'day' });
    expect(feed(daily, 0, n, { tsOf }).length).to.equal(days.length - 1);
  });

  it('keeps ticks interleaved around a partition boundary together instead of cutting slivers', () => {
    const w = new PartitionWriter('ticks', 0, { ...POLICY, maxRecords: 100, eventSpanMs: 0, partitioning: 'day' });
    const mid = Date.UTC(2024, 0, 3);
    // two symbols, one a little behind the other: day 2, day 3, day 2, day 3, ... then day 4
    const batches = feed(w, 0, 9, { tsOf: (i) => (i === 8 ? mid + 86_400_000 : i % 2 === 0 ? mid - 1000 + i : mid + i) });
    expect(ranges(batches)).to.deep.equal([
      [0, 0, 'partition'],
      [1, 7, 'partition'],
    ]);
  });

  it('flushes on the wall clock from the first message of the batch', () => {
    const w = new PartitionWriter('ticks', 0, { ...POLICY, maxRecords: 100, flushIntervalMs: 1000 });
    w.add(msg(0), ok(tick(0)), 5000);
    w.add(msg(1), ok(tick(1)), 5900);
    expect(w.flushIfDue(5999)).to.equal(null);
    expect(ranges([w.flushIfDue(6000)!])).to.deep.equal([[0, 1, 'wall-clock']]);
    expect(w.openBytes).to.equal(0);
  });

  it('hands out every spillRows ticks as a chunk of the open batch, the same chunks on a replay from any batch start', () => {
    const policy = { ...POLICY, maxRecords: 10, eventSpanMs: 0 };
    const run = (from: number) => {
      const w = new PartitionWriter('ticks', 0, policy, 4);
      const out: Array<[string, number, number[]]> = [];
      for (let o = from; o < 40; o++) {
        const check: TickCheck = o % 7 === 3 ? { ok: false, reason: 'bad' } : ok(tick(o));
        const closed = w.add(msg(o), check, 0);
        for (const c of w.takeChunks()) out.push(['chunk', c.startOffset, Array.from(c.ticks.offset.subarray(0, c.ticks.length))]);
        for (const b of closed) out.push(['batch', b.startOffset, [b.endOffset, b.chunks, b.ticks.length]]);
      }
      return out;
    };
    const first = run(0);
    // Batch [0, 9]: offsets 3 is a dead letter, so ticks 0-2,4 then 5,6,7,8 are two chunks; 9 is left.
    expect(first.slice(0, 3)).to.deep.equal([
      ['chunk', 0, [0, 1, 2, 4]],
      ['chunk', 0, [5, 6, 7, 8]],
      ['batch', 0, [9, 2, 1]],
    ]);
    for (const [kind, start] of first) {
      if (kind !== 'batch') continue;
      expect(run(start)).to.deep.equal(first.filter(([, s]) => s >= start));
    }
  });
});
