import { expect } from 'chai';
import {
  PROJECTION,
  RAW_TICKS,
  dtOfKey,
  dtRange,
  parsePartitionValue,
  partitionPrefix,
  partitionStart,
  partitionValue,
  partitioningOf,
} from '../../../lib/lake.js';
import { groupByPartition } from '../../../consumer/partitioner.js';
import { loadConfig } from '../../../lib/config.js';
import { partitioningSetting } from '../../../lib/settings.js';

const T = Date.UTC(2024, 1, 29, 23, 59, 59, 999); // last ms of a leap day

describe('lake partitioning', () => {
  it('names the partition of an event time under each granularity, in UTC, before 1970 too', () => {
    expect(partitionValue('day', T)).to.equal('2024-02-29');
    expect(partitionValue('month', T)).to.equal('2024-02');
    expect(partitionValue('year', T)).to.equal('2024');
    expect(partitionValue('day', T + 1)).to.equal('2024-03-01');
    expect(partitionValue('year', Date.UTC(1965, 0, 5, 12))).to.equal('1965');
    expect(partitionValue('month', Date.UTC(1969, 11, 31, 23, 59))).to.equal('1969-12');
    expect(() => partitionValue('day', Number.NaN)).to.throw(/event time/);
    expect(() => partitionValue('day', Date.UTC(10000, 0, 1))).to.throw(/0000-9999/);
  });

  it('gives the start of the partition, and parses each value back to its span', () => {
    expect(partitionStart('day', T)).to.equal(Date.UTC(2024, 1, 29));
    expect(partitionStart('month', T)).to.equal(Date.UTC(2024, 1, 1));
    expect(partitionStart('year', T)).to.equal(Date.UTC(2024, 0, 1));
    expect(partitionStart('day', Date.UTC(1965, 5, 1, 3))).to.equal(Date.UTC(1965, 5, 1));
    expect(parsePartitionValue('2024-02-29')).to.deep.equal({ value: '2024-02-29', partitioning: 'day', start: Date.UTC(2024, 1, 29), end: Date.UTC(2024, 2, 1) });
    expect(parsePartitionValue('2024-12')).to.deep.equal({ value: '2024-12', partitioning: 'month', start: Date.UTC(2024, 11, 1), end: Date.UTC(2025, 0, 1) });
    expect(parsePartitionValue('1965')).to.deep.equal({ value: '1965', partitioning: 'year', start: Date.UTC(1965, 0, 1), end: Date.UTC(1966, 0, 1) });
    expect(parsePartitionValue('0050')!.start).to.equal(new Date('0050-01-01T00:00:00Z').getTime());
    for (const bad of ['2023-02-29', '2024-13', '2024-00', '24', '2024-1', '2024-01-02x', '', 'dt=2024']) {
      expect(parsePartitionValue(bad), bad).to.equal(null);
    }
    expect(partitioningOf('2024-01')).to.equal('month');
    expect(partitioningOf('x')).to.equal(null);
  });

  it('round-trips: every time lies in the span of its own partition', () => {
    for (const p of ['day', 'month', 'year'] as const) {
      for (const ts of [T, T + 1, Date.UTC(1965, 0, 1), Date.UTC(1965, 0, 1) - 1, Date.UTC(2021, 5, 2, 13, 30), 0, -1]) {
        const span = parsePartitionValue(partitionValue(p, ts))!;
        expect(span.partitioning).to.equal(p);
        expect(ts).to.be.at.least(span.start).and.below(span.end);
        expect(span.start).to.equal(partitionStart(p, ts));
      }
    }
  });

  it('sorts values as strings in time order, coarser before finer of the same period', () => {
    const values = ['2024-01-02', '2023', '2024', '2023-12', '2024-01', '2023-12-31'];
    expect([...values].sort()).to.deep.equal(['2023', '2023-12', '2023-12-31', '2024', '2024-01', '2024-01-02']);
  });

  it('cuts a from/to date range to partition bounds that prune under every granularity', () => {
    expect(dtRange('day', '2020-03-05', '2021-06-10')).to.deep.equal({ from: '2020-03-05', to: '2021-06-10' });
    expect(dtRange('month', '2020-03-05', '2021-06-10')).to.deep.equal({ from: '2020-03', to: '2021-06' });
    expect(dtRange('year', '2020-03-05', '2021-06-10')).to.deep.equal({ from: '2020', to: '2021' });
    expect(() => dtRange('year', '2020-03', '2021-06-10')).to.throw(/YYYY-MM-DD/);
    // A row of date d is in partition partitionValue(p, d), and the filter keeps exactly the
    // partitions that can hold a date of the range.
    const from = '2020-03-05';
    const to = '2021-06-10';
    for (const p of ['day', 'month', 'year'] as const) {
      const r = dtRange(p, from, to);
      for (let ts = Date.UTC(2019, 0, 1); ts < Date.UTC(2023, 0, 1); ts += 86_400_000 * 3) {
        const dt = partitionValue(p, ts);
        const date = partitionValue('day', ts);
        const kept = dt >= r.from && dt <= r.to;
        if (date >= from && date <= to) expect(kept, `${p} ${date}`).to.equal(true);
        const span = parsePartitionValue(dt)!;
        const overlaps = span.start <= Date.parse(`${to}T00:00:00Z`) && span.end > Date.parse(`${from}T00:00:00Z`);
        expect(kept, `${p} ${dt}`).to.equal(overlaps);
      }
    }
  });

  it('reads the setting, naming the key on a bad value', () => {
    const spec = { lake: { partitioning: partitioningSetting } };
    expect(loadConfig(spec, { env: { TICKSTREAM_LAKE_PARTITIONING: 'year' } }).lake.partitioning).to.equal('year');
    expect(() => loadConfig(spec, { env: { TICKSTREAM_LAKE_PARTITIONING: 'week' } })).to.throw(/TICKSTREAM_LAKE_PARTITIONING.*day.*month.*year/);
  });

  it('builds and parses folder keys of every granularity', () => {
    expect(partitionPrefix(RAW_TICKS, '2024')).to.equal('raw/ticks/dt=2024');
    expect(partitionPrefix(RAW_TICKS, '2024-02')).to.equal('raw/ticks/dt=2024-02');
    expect(() => partitionPrefix(RAW_TICKS, '2024-2')).to.throw(/dt partition/);
    expect(dtOfKey('raw/ticks/dt=2024/a.parquet')).to.equal('2024');
    expect(dtOfKey('raw/ticks/dt=2024-02/a.parquet')).to.equal('2024-02');
    expect(dtOfKey('raw/ticks/dt=2024-02-29/a.parquet')).to.equal('2024-02-29');
    expect(dtOfKey('raw/ticks/dt=2024-13/a.parquet')).to.equal(null);
    expect(dtOfKey('raw/ticks/xdt=2024/a.parquet')).to.equal(null);
  });

  it('declares a Glue projection per granularity', () => {
    expect(PROJECTION.year).to.deep.equal({ format: 'yyyy', unit: 'YEARS' });
    expect(PROJECTION.month.unit).to.equal('MONTHS');
  });
});

describe('partitioner under each granularity', () => {
  const at = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d, 12);
  const ts = Float64Array.from([at(2021, 3, 2), at(2020, 12, 31), at(2021, 1, 5), at(2021, 3, 1), at(1999, 7, 7)]);
  it('groups rows by partition, partitions ascending, rows in offset order', () => {
    const g = (p: 'day' | 'month' | 'year') => groupByPartition(p, ts, 5).map((x) => [x.dt, [...x.rows]]);
    expect(g('year')).to.deep.equal([['1999', [4]], ['2020', [1]], ['2021', [0, 2, 3]]]);
    expect(g('month')).to.deep.equal([['1999-07', [4]], ['2020-12', [1]], ['2021-01', [2]], ['2021-03', [0, 3]]]);
    expect(g('day').map((x) => x[0])).to.deep.equal(['1999-07-07', '2020-12-31', '2021-01-05', '2021-03-01', '2021-03-02']);
    expect(groupByPartition('day', ts, 5).map((x) => x.start)).to.deep.equal([...ts].map((t) => Math.floor(t / 86_400_000) * 86_400_000).sort((a, b) => a - b));
  });
  it('keeps one group for a batch inside one partition, and counts only the first rows', () => {
    expect(groupByPartition('year', ts, 1)).to.deep.equal([{ dt: '2021', start: Date.UTC(2021, 0, 1), rows: Int32Array.from([0]) }]);
  });
});
