import { expect } from 'chai';
import { BARS_1M, RAW_TICKS } from '../../../lib/lake.js';
import { batchName, intentKey, intentPrefix, objectKey, parseBatchName } from '../../../consumer/naming.js';
import { groupByPartition } from '../../../consumer/partitioner.js';
import { partitionValue } from '../../../lib/lake.js';
import { TickColumns } from '../../../consumer/tick-columns.js';
import { PartitionWriter } from '../../../consumer/partition-writer.js';
import { encodeBatch } from '../../../consumer/batch-files.js';
import { checkTick } from '../../../lib/tick.js';
import type { Partitioning } from '../../../lib/lake.js';

describe('object names', () => {
  const id = { topic: 'dev.ticks', partition: 3, startOffset: 12345 };
  it('are <topic>+<partition>+<zero-padded start offset> under the dt folder of each table', () => {
    expect(batchName(id)).to.equal('dev.ticks+3+00000000000000012345');
    expect(objectKey(RAW_TICKS, '2024-01-02', id)).to.equal('raw/ticks/dt=2024-01-02/dev.ticks+3+00000000000000012345.parquet');
    expect(objectKey(BARS_1M, '2024-01-02', id)).to.equal('processed/bars_1m/dt=2024-01-02/dev.ticks+3+00000000000000012345.parquet');
    expect(intentKey(id)).to.equal('_sink/intents/dev.ticks+3+00000000000000012345.json');
  });
  it('parse back, and sort in offset order', () => {
    expect(parseBatchName(objectKey(RAW_TICKS, '2024-01-02', id))).to.deep.equal(id);
    expect(parseBatchName('raw/ticks/dt=2024-01-02/other.parquet')).to.equal(null);
    const names = [9, 100, 10].map((o) => batchName({ ...id, startOffset: o })).sort();
    expect(names.map((n) => parseBatchName(n)!.startOffset)).to.deep.equal([9, 10, 100]);
  });
  it('list one partition only', () => {
    expect(intentKey({ ...id, partition: 30 }).startsWith(intentPrefix('dev.ticks', 3))).to.equal(false);
    expect(intentKey(id).startsWith(intentPrefix('dev.ticks', 3))).to.equal(true);
  });
  it('refuse what is not a topic, partition or offset', () => {
    expect(() => batchName({ ...id, topic: 'a/b' })).to.throw();
    expect(() => batchName({ ...id, startOffset: -1 })).to.throw();
  });
});

describe('partitioner', () => {
  it('maps event time to the UTC date, before 1970 too', () => {
    expect(partitionValue('day', Date.UTC(2024, 0, 2, 23, 59, 59, 999))).to.equal('2024-01-02');
    expect(partitionValue('day', Date.UTC(2024, 0, 3))).to.equal('2024-01-03');
    expect(partitionValue('day', Date.UTC(1965, 0, 5, 12))).to.equal('1965-01-05');
  });
  it('groups rows by day, days ascending, rows in offset order', () => {
    const d = (day: number) => Date.UTC(2024, 0, day, 12);
    const ts = Float64Array.from([d(3), d(2), d(3), d(2), d(4)]);
    expect(groupByPartition('day', ts, 5).map((g) => [g.dt, [...g.rows]])).to.deep.equal([
      ['2024-01-02', [1, 3]],
      ['2024-01-03', [0, 2]],
      ['2024-01-04', [4]],
    ]);
  });
});

describe('batch files', () => {
  it('are one raw and one bars object per time partition of the lake, under its dt value', () => {
    const w = new PartitionWriter('ticks', 1, { maxRecords: 100, maxBytes: 1e9, eventSpanMs: 0, flushIntervalMs: 0 });
    const days = [Date.UTC(2019, 11, 31, 15), Date.UTC(2020, 0, 2, 15), Date.UTC(2020, 5, 1, 15)];
    days.forEach((ts, i) => w.add({ offset: 40 + i, timestamp: ts, key: null, value: Buffer.from('x') }, checkTick({ symbol: 'A', ts, price: 1, volume: 1 }), 0));
    const batch = w.closeOpen()!;
    const keys = (p: Partitioning) => encodeBatch(batch, { bars: true, partitioning: p }).map((f) => `${f.key} ${f.rows}`);
    expect(keys('year')).to.deep.equal([
      'raw/ticks/dt=2019/ticks+1+00000000000000000040.parquet 1',
      'processed/bars_1m/dt=2019/ticks+1+00000000000000000040.parquet 1',
      'raw/ticks/dt=2020/ticks+1+00000000000000000040.parquet 2',
      'processed/bars_1m/dt=2020/ticks+1+00000000000000000040.parquet 2',
    ]);
    expect(keys('month').filter((k) => k.startsWith('raw/'))).to.deep.equal([
      'raw/ticks/dt=2019-12/ticks+1+00000000000000000040.parquet 1',
      'raw/ticks/dt=2020-01/ticks+1+00000000000000000040.parquet 1',
      'raw/ticks/dt=2020-06/ticks+1+00000000000000000040.parquet 1',
    ]);
    expect(keys('day')).to.deep.equal(encodeBatch(batch, { bars: true }).map((f) => `${f.key} ${f.rows}`));
    expect(keys('day')[0]).to.equal('raw/ticks/dt=2019-12-31/ticks+1+00000000000000000040.parquet 1');
  });
});

describe('tick columns', () => {
  it('sort rows by symbol, ts, then offset, keeping ties in offset order', () => {
    const c = new TickColumns(2);
    const rows: Array<[string, number]> = [['B', 5], ['A', 9], ['B', 1], ['A', 9], ['C', 0], ['A', 3]];
    rows.forEach(([symbol, ts], i) => c.append({ symbol, ts, price: 1, volume: 1 }, 100 + i, 0));
    const order = c.sortedOrder(Int32Array.from(rows.keys()));
    expect([...order]).to.deep.equal([5, 1, 3, 2, 0, 4]);
    expect(c.capacity).to.be.at.least(6);
    expect(c.dict).to.deep.equal(['B', 'A', 'C']);
  });
});
