import { expect } from 'chai';
import { BatchBuilder, chooseKafkaClient, keyAt, loadNativeKafka, nativeConfig, valueAt, type BatchLayout } from '../../../lib/kafka-batch.js';
import { consumerSettings, producerSettings } from '../../../lib/kafka.js';
import { sharedSpec } from '../../../lib/settings.js';
import { loadConfig } from '../../../lib/config.js';

/**
 * Why a layout is not valid for produceBatch, or null: the arrays must be equally long,
 * lengths >= -1, and every non-null key and value inside the buffer. The addon checks the
 * same before it touches the buffer (native/test); this is the test's own oracle for BatchBuilder.
 */
function layoutProblem(b: BatchLayout): string | null {
  const n = b.keyStart.length;
  for (const [name, a] of [['keyLen', b.keyLen], ['valueStart', b.valueStart], ['valueLen', b.valueLen]] as const) {
    if (a.length !== n) return `${name} has ${a.length} elements, keyStart ${n}`;
  }
  for (let i = 0; i < n; i++) {
    for (const [what, start, len] of [['key', b.keyStart[i]!, b.keyLen[i]!], ['value', b.valueStart[i]!, b.valueLen[i]!]] as const) {
      if (len === -1) continue;
      if (len < -1) return `${what} ${i}: length ${len} (use -1 for null)`;
      if (start < 0 || start + len > b.data.length) return `${what} ${i}: bytes ${start}..${start + len} are past the buffer's ${b.data.length}`;
    }
  }
  return null;
}

describe('batch-native Kafka path: pure parts (lib/kafka-batch.ts)', () => {
  it('lays keys and values out in one buffer, nulls and empties kept apart', () => {
    const b = new BatchBuilder(8, 4); // tiny initial buffer: forces growth
    b.add(Buffer.from('AAPL'), Buffer.from('{"p":1}'), 3);
    b.add(null, Buffer.from('v'), -1);
    b.add(Buffer.alloc(0), null, 0);
    b.add(Buffer.from('k'.repeat(40)), Buffer.alloc(0));
    expect(b.count).to.equal(4);
    const batch = b.take();
    expect(batch.count).to.equal(4);
    expect(layoutProblem(batch)).to.equal(null);
    expect(keyAt(batch, 0)!.toString()).to.equal('AAPL');
    expect(valueAt(batch, 0)!.toString()).to.equal('{"p":1}');
    expect(keyAt(batch, 1)).to.equal(null);
    expect(valueAt(batch, 1)!.toString()).to.equal('v');
    expect(keyAt(batch, 2)!.length).to.equal(0);
    expect(valueAt(batch, 2)).to.equal(null);
    expect(keyAt(batch, 3)!.toString()).to.equal('k'.repeat(40));
    expect(valueAt(batch, 3)!.length).to.equal(0);
    expect([...batch.partition]).to.deep.equal([3, -1, 0, -1]);
    expect(batch.data.length).to.equal(4 + 7 + 1 + 0 + 40 + 0);
  });

  it('starts a fresh batch after take() without touching the one handed over', () => {
    const b = new BatchBuilder(2);
    b.add(Buffer.from('a'), Buffer.from('1'));
    const first = b.take();
    b.add(Buffer.from('b'), Buffer.from('2'));
    expect(b.count).to.equal(1);
    expect(keyAt(first, 0)!.toString()).to.equal('a');
    expect(valueAt(first, 0)!.toString()).to.equal('1');
  });

  it('reuses the storage of a settled batch, whole, for a later one', () => {
    const b = new BatchBuilder(4, 8);
    b.add(Buffer.from('k1'), Buffer.from('a long value that grows the buffer'));
    const first = b.take();
    b.recycle(first); // settled: its storage may be reused
    b.add(Buffer.from('k2'), Buffer.from('v2'));
    const second = b.take(); // built in the storage taken when `first` was handed over
    expect(second.data.buffer).to.not.equal(first.data.buffer);
    b.add(null, Buffer.alloc(100, 1));
    b.add(null, Buffer.alloc(100, 2));
    const third = b.take(); // built in first's storage (grown: 200 bytes need more)
    expect(valueAt(third, 0)![0]).to.equal(1);
    expect(valueAt(third, 1)![0]).to.equal(2);
    expect(keyAt(second, 0)!.toString()).to.equal('k2');
    b.recycle(second);
    b.add(Buffer.from('k4'), Buffer.from('v4'));
    b.take();
    b.add(Buffer.from('k5'), Buffer.from('v5'));
    const fifth = b.take(); // second's storage
    expect(fifth.data.buffer).to.equal(second.data.buffer);
    expect(keyAt(fifth, 0)!.toString()).to.equal('k5');
    expect(valueAt(fifth, 0)!.toString()).to.equal('v5');
  });

  it('refuses to overfill a batch and reports when it is full', () => {
    const b = new BatchBuilder(1);
    b.add(null, null);
    expect(b.full).to.equal(true);
    expect(() => b.add(null, null)).to.throw(RangeError, /full/);
    expect(() => new BatchBuilder(0)).to.throw(RangeError, /maxMessages/);
  });

  it('has a layout oracle that finds malformed layouts: lengths past the buffer, negative lengths, unequal arrays', () => {
    const ok = { data: new Uint8Array(10), keyStart: Int32Array.of(0), keyLen: Int32Array.of(2), valueStart: Int32Array.of(2), valueLen: Int32Array.of(8) };
    expect(layoutProblem(ok)).to.equal(null);
    expect(layoutProblem({ ...ok, valueLen: Int32Array.of(9) })).to.match(/value 0: bytes 2\.\.11 are past the buffer's 10/);
    expect(layoutProblem({ ...ok, keyLen: Int32Array.of(-2) })).to.match(/key 0: length -2/);
    expect(layoutProblem({ ...ok, keyStart: Int32Array.of(-1) })).to.match(/key 0: bytes -1/);
    expect(layoutProblem({ ...ok, valueStart: Int32Array.of() })).to.match(/valueStart has 0 elements, keyStart 1/);
  });

  it("turns the project's librdkafka settings into strings and drops node-rdkafka's callback switches", () => {
    const kafka = loadConfig(sharedSpec, { env: {} }).kafka;
    const p = nativeConfig(producerSettings(kafka) as Record<string, unknown>);
    expect(p['enable.idempotence']).to.equal('true');
    expect(p.acks).to.equal('all');
    expect(p['max.in.flight.requests.per.connection']).to.equal('1');
    expect(p).to.not.have.property('dr_cb');
    const c = nativeConfig(consumerSettings(kafka, 'g') as Record<string, unknown>);
    expect(c['enable.auto.commit']).to.equal('false');
    expect(() => nativeConfig({ 'bootstrap.servers': 'x', foo: () => 1 })).to.throw(TypeError, /foo/);
  });

  it('falls back to node-rdkafka, saying why once, when the addon cannot be loaded', () => {
    const missing = loadNativeKafka('/nonexistent/tickstream_native.node');
    expect(missing.ok).to.equal(false);
    expect(!missing.ok && missing.reason).to.match(/not built|failed to load/);
    const warnings: string[] = [];
    const warn = (f: Record<string, unknown>, m: string): void => void warnings.push(`${m}: ${String(f.reason)}`);
    const logged = { warned: false };
    expect(chooseKafkaClient('native', warn, () => missing, logged).kind).to.equal('rdkafka');
    expect(chooseKafkaClient('native', warn, () => missing, logged).kind).to.equal('rdkafka');
    expect(chooseKafkaClient('rdkafka', warn, () => missing, logged).kind).to.equal('rdkafka');
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(/falling back to node-rdkafka: the addon is not built/);
  });
});
