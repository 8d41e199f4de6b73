import { expect } from 'chai';
import { humanBytes, paramValues, summary } from '../../../analytics/cli.js';

describe('query command helpers', () => {
  it('collects parameter values from the named flags and every -p name=value', () => {
    expect(paramValues({ symbol: 'NYA', from: '2021-01-04', param: ['window=20', 'threshold=2.5', 'note=a=b'] })).to.deep.equal({
      symbol: 'NYA',
      from: '2021-01-04',
      window: '20',
      threshold: '2.5',
      note: 'a=b',
    });
    expect(() => paramValues({ param: ['window'] })).to.throw(/name=value/);
    expect(() => paramValues({ param: ['=3'] })).to.throw(/name=value/);
  });

  it('summarizes a run, with bytes and cost on Athena', () => {
    expect(summary({ columns: [], rows: [{}], stats: { engine: 'duckdb', elapsedMs: 412 } })).to.equal('1 row in 0.41 s (duckdb)');
    expect(summary({ columns: [], rows: [{}, {}], stats: { engine: 'athena', elapsedMs: 2500, bytesScanned: 3 * 2 ** 30, costUsd: 0.0146484375, queryId: 'q-1' } })).to.equal(
      '2 rows in 2.50 s (athena); scanned 3.0 GB, cost $0.014648; query q-1',
    );
    expect(humanBytes(0)).to.equal('0 B');
    expect(humanBytes(1536)).to.equal('1.5 KB');
  });
});
