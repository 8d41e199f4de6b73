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
  it('closes before a tick an event-time span away, in either direction, and never an empty batch', () => {
    expect(closesBefore(POLICY, state, T0 + 3_599_999)).to.equal(false);
    expect(closesBefore(POLICY, state, T0 + 3_600_000)).to.equal(true);
    expect(closesBefore(POLICY, state, T0 - 3_600_000)).to.equal(true);
    expect(closesBefore(POLICY, { ...state, messages: 0 }, T0 + 9e9)).to.equal(false);
    expect(closesBefore({ ...POLICY, eventSpanMs: 0 }, state, T0 + 9e9)).to.equal(false);
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

  it('closes by event time before the far tick, which starts the next batch', () => {
    const w = new PartitionWriter('ticks', 0, { ...POLICY, maxRecords: 100 });
    const batches = feed(w, 0, 5, { tsOf: (i) => (i >= 3 ? T0 + 7_200_000 + i : T0 + i) });
    expect(ranges(batches)).to.deep.equal([[0, 2, 'event-time']]);
    expect(w.closeOpen()!.startOffset).to.equal(3);
  });

  it('flushes on the wall clock from the first message of the batch', () => {
    const w = new PartitionWriter('ticks', 0, { ...POLICY, maxRecords: 100, flushIntervalMs: 1000 });
    w.add(msg(0), ok(tick(0)), 5000);
    w.add(msg(1), ok(tick(1)), 5900);
    expect(w.flushIfDue(5999)).to.equal(null);
    expect(ranges([w.flushIfDue(6000)!])).to.deep.equal([[0, 1, 'wall-clock']]);
    expect(w.openBytes).to.equal(0);
  });
});
