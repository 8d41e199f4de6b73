/**
 * Every named query on DuckDB over a lake built from index data in the Kaggle layout (five
 * ticks per daily bar, written with the sink's Parquet writer), checked against an answer
 * computed independently in TypeScript from the same ticks (expected.ts). Run by `npm test`
 * on the generated fixture (queries.test.ts) and by the real-data lane on the real files
 * (test/real-data/queries.test.ts); both have the 2020 crash, and GSPTSE ending part-way.
 * The lake carries deliberate defects (producer duplicates, late arrivals, sink
 * redeliveries) so that the data-quality query has something to find.
 */
import { expect } from 'chai';
import { bindParams } from '../../../analytics/params.js';
import { findQuery } from '../../../analytics/query-catalog.js';
import { DuckDbRunner } from '../../../analytics/runners/duckdb.js';
import type { QueryResult } from '../../../analytics/runners/runner.js';
import { buildIndexLake, readIndexBars, sharedIndexLake, type IndexLake } from '../../support/lake-fixture.js';
import type { KaggleFiles } from '../../support/market-data.js';
import * as expected from './expected.js';

export const FIXTURE = { from: '2017-06-01', to: '2021-05-31', defects: { duplicateEvery: 97, lateEvery: 89, redeliverEvery: 501 } } as const;

export function describeQueries(title: string, dataOf: () => KaggleFiles): void {
  describe(title, function () {
    this.timeout(120_000);
    let data: KaggleFiles;
    let lake: IndexLake;
    let runner: DuckDbRunner;

    before(async () => {
      data = dataOf();
      lake = sharedIndexLake({ ...FIXTURE, data });
      runner = await DuckDbRunner.open({ lake: lake.root });
    });
    after(async () => {
      await runner?.close();
    });

    async function run(name: string, values: Record<string, string>): Promise<QueryResult> {
      const query = findQuery(name);
      return runner.run(query, bindParams(name, query.params, values));
    }

    it('the lake holds what the fixture wrote: every index, five ticks per trading day', async () => {
      const rows = await runner.sql(`SELECT count(*) AS n, count(DISTINCT symbol) AS symbols, count(DISTINCT dt) AS days FROM ticks`);
      const symbols = new Set(lake.daily.map((b) => b.symbol)).size;
      expect(symbols).to.be.at.least(5);
      expect(rows[0]).to.deep.equal({ n: lake.ticks.length, symbols, days: lake.ticksFiles.files });
    });

    it('ohlcv: hourly bars of one symbol over a month', async () => {
      const w = { symbol: 'NYA', from: '2020-03-01', to: '2020-03-31' };
      const result = await run('ohlcv', { ...w, interval: '1h' });
      expect(result.rows.length).to.be.greaterThan(80);
      expected.expectRows(result.rows, expected.ohlcv(lake.ticks, w, 3600));
    });

    it('ohlcv: daily bars of every symbol reproduce the source daily bars', async () => {
      const w = { from: '2017-10-01', to: '2017-12-31' };
      const result = await run('ohlcv', { ...w, interval: '1d' });
      expected.expectRows(result.rows, expected.ohlcv(lake.ticks, w, 86_400));
      // And, independently of the ticks: open/high/low/close are those of indexData.csv.
      const source = new Map(readIndexBars(data.indexData).map((b) => [`${b.symbol}|${b.date}`, b]));
      for (const r of result.rows) {
        const bar = source.get(`${r.symbol}|${String(r.bar_start).slice(0, 10)}`)!;
        expect([r.open, r.high, r.low, r.close]).to.deep.equal([bar.open, bar.high, bar.low, bar.close]);
      }
      const inSource = new Set(readIndexBars(data.indexData).filter((b) => b.date >= w.from && b.date <= w.to).map((b) => b.symbol));
      expect(inSource).to.include.keys(['000001.SS', 'GSPTSE', 'HSI', 'IXIC', 'NYA']);
      expect(new Set(result.rows.map((r) => r.symbol))).to.deep.equal(inSource);
    });

    it('ohlcv: bars before 1970 start on the interval boundary (floor, not truncation towards zero)', async () => {
      const old = buildIndexLake({ from: '1966-01-03', to: '1966-01-14', symbols: ['NYA'], bars: false, data });
      const oldRunner = await DuckDbRunner.open({ lake: old.root });
      try {
        const query = findQuery('ohlcv');
        const w = { symbol: 'NYA', from: '1966-01-01', to: '1966-01-31' };
        for (const interval of [3600, 7 * 60, 86_400]) {
          const result = await oldRunner.run(query, bindParams('ohlcv', query.params, { ...w, interval: String(interval) }));
          expect(result.rows.length).to.be.greaterThan(0);
          expected.expectRows(result.rows, expected.ohlcv(old.ticks, w, interval));
        }
      } finally {
        await oldRunner.close();
      }
    });

    it('vwap: daily VWAP and close against it, every symbol', async () => {
      const w = { from: '2020-03-01', to: '2020-04-30' };
      const result = await run('vwap', w);
      expect(result.rows.length).to.be.greaterThan(150);
      expected.expectRows(result.rows, expected.vwap(lake.ticks, w));
    });

    it('returns_volatility: daily returns and 5-day rolling volatility of IXIC', async () => {
      const w = { symbol: 'IXIC', from: '2020-01-01', to: '2020-06-30' };
      const result = await run('returns_volatility', { ...w, window: '5' });
      const want = expected.returnsVolatility(lake.ticks, w, 5);
      expected.expectRows(result.rows, want);
      // The March 2020 crash: annualized volatility well above its January level.
      const vol = (day: string) => Number(want.find((r) => r.day === day)?.volatility);
      expect(vol('2020-03-17')).to.be.greaterThan(3 * vol('2020-01-15'));
    });

    it('returns_volatility: every symbol with the default 20-day window', async () => {
      const w = { from: '2019-01-01', to: '2019-12-31' };
      const result = await run('returns_volatility', w);
      expected.expectRows(result.rows, expected.returnsVolatility(lake.ticks, w, 20));
    });

    it('top_movers: gainers and losers of 2020', async () => {
      const w = { from: '2020-01-01', to: '2020-12-31' };
      const result = await run('top_movers', { ...w, limit: '2' });
      const want = expected.topMovers(lake.ticks, w, 2);
      expected.expectRows(result.rows, want);
      expect(want.map((r) => r.side)).to.include.members(['gainer', 'loser']);
    });

    it('top_movers: a window where one index stops trading part-way (GSPTSE ends in 2017-11)', async () => {
      const w = { from: '2017-06-01', to: '2018-06-30' };
      const result = await run('top_movers', { ...w, limit: '5' });
      expected.expectRows(result.rows, expected.topMovers(lake.ticks, w, 5));
      // The last day GSPTSE has in the source file, read without the lake: inside the window.
      const lastDay = readIndexBars(data.indexData).filter((b) => b.symbol === 'GSPTSE').at(-1)!.date;
      expect(lastDay > w.from && lastDay < w.to, lastDay).to.equal(true);
      expect(result.rows.find((r) => r.symbol === 'GSPTSE')?.last_day).to.equal(lastDay);
    });

    it('max_drawdown: the 2020 crash is the deepest fall of every index since 2019', async () => {
      const w = { from: '2019-01-01', to: '2021-05-31' };
      const result = await run('max_drawdown', w);
      expected.expectRows(result.rows, expected.maxDrawdown(lake.ticks, w));
      const nya = result.rows.find((r) => r.symbol === 'NYA')!;
      expect(nya.trough_day).to.match(/^2020-03-/);
    });

    it('max_drawdown: one symbol, a window without recovery', async () => {
      const w = { symbol: 'HSI', from: '2018-01-01', to: '2019-06-30' };
      const result = await run('max_drawdown', w);
      expected.expectRows(result.rows, expected.maxDrawdown(lake.ticks, w));
    });

    it('ma_crossovers: 10/30-day crossovers of every symbol', async () => {
      const w = { from: '2019-01-01', to: '2021-05-31' };
      const result = await run('ma_crossovers', { ...w, short: '10', long: '30' });
      const want = expected.maCrossovers(lake.ticks, w, 10, 30);
      expect(want.length).to.be.greaterThan(20);
      expected.expectRows(result.rows, want);
    });

    it('volume_spikes: days more than 2.5 standard deviations above the previous 20 days', async () => {
      const w = { from: '2017-06-01', to: '2021-05-31' };
      const result = await run('volume_spikes', { ...w, window: '20', threshold: '2.5' });
      const want = expected.volumeSpikes(lake.ticks, w, 20, 2.5);
      expect(want.length).to.be.greaterThan(20);
      expected.expectRows(result.rows, want);
    });

    it('data_quality: finds the duplicates, redeliveries, late and out-of-order ticks the lake was built with', async () => {
      const w = { from: '2017-06-01', to: '2021-05-31' };
      const result = await run('data_quality', { ...w, gap_seconds: String(4 * 86_400), late_seconds: '60' });
      const want = expected.dataQuality(lake.ticks, w, 4 * 86_400, 60);
      expected.expectRows(result.rows, want);
      for (const r of result.rows) {
        expect(r.duplicate_ticks, `${r.symbol} duplicates`).to.be.greaterThan(0);
        expect(r.redelivered, `${r.symbol} redeliveries`).to.be.greaterThan(0);
        expect(r.late_ticks, `${r.symbol} late ticks`).to.be.greaterThan(0);
      }
    });

    it('data_quality: a clean lake reports no duplicates, redeliveries or late ticks', async () => {
      const clean = buildIndexLake({ from: '2021-03-01', to: '2021-03-31', bars: false, data });
      const cleanRunner = await DuckDbRunner.open({ lake: clean.root });
      try {
        const query = findQuery('data_quality');
        const w = { from: '2021-03-01', to: '2021-03-31' };
        const result = await cleanRunner.run(query, bindParams('data_quality', query.params, w));
        expected.expectRows(result.rows, expected.dataQuality(clean.ticks, w, 3600, 60));
        expect(result.rows.map((r) => [r.duplicate_ticks, r.redelivered, r.late_ticks, r.out_of_order])).to.deep.equal(result.rows.map(() => [0, 0, 0, 0]));
      } finally {
        await cleanRunner.close();
      }
    });

    describe('with the close minute split over two files (partial bars, as the sink writes them)', () => {
      let split: IndexLake;
      let splitRunner: DuckDbRunner;
      const w = { from: '2020-01-01', to: '2020-12-31' };

      before(async () => {
        split = buildIndexLake({ ...w, splitCloseMinute: true, data });
        splitRunner = await DuckDbRunner.open({ lake: split.root });
      });
      after(async () => {
        await splitRunner?.close();
      });

      async function runSplit(name: string, values: Record<string, string>): Promise<QueryResult> {
        const query = findQuery(name);
        return splitRunner.run(query, bindParams(name, query.params, values));
      }

      it('the lake has partial bars of one minute with different closes', async () => {
        const rows = await splitRunner.sql(
          `SELECT count(*) AS n FROM (SELECT symbol, bar_start FROM bars_1m GROUP BY symbol, bar_start HAVING count(*) = 2 AND min(close) <> max(close)) s`,
        );
        expect(rows[0]!.n).to.be.greaterThan(900);
      });

      it('daily closes are the closes of the latest partial: returns, movers, drawdown, crossovers', async () => {
        expected.expectRows((await runSplit('returns_volatility', { ...w, window: '5' })).rows, expected.returnsVolatility(split.ticks, w, 5));
        expected.expectRows((await runSplit('top_movers', { ...w, limit: '5' })).rows, expected.topMovers(split.ticks, w, 5));
        expected.expectRows((await runSplit('max_drawdown', w)).rows, expected.maxDrawdown(split.ticks, w));
        expected.expectRows((await runSplit('ma_crossovers', { ...w, short: '5', long: '20' })).rows, expected.maCrossovers(split.ticks, w, 5, 20));
      });

      it('daily volumes add the partials up', async () => {
        expected.expectRows((await runSplit('volume_spikes', { ...w, window: '10', threshold: '1.5' })).rows, expected.volumeSpikes(split.ticks, w, 10, 1.5));
      });
    });

    describe('under month and year partitioning (dt=YYYY-MM, dt=YYYY)', () => {
      // Every query, with windows that start and end inside a month and a year, so the
      // partition filter keeps partitions that hold days outside the window, and the exact
      // event-time filter must drop them.
      const CASES: Array<[string, Record<string, string>]> = [
        ['ohlcv', { symbol: 'NYA', interval: '1h', from: '2020-03-05', to: '2020-04-09' }],
        ['ohlcv', { interval: '1d', from: '2018-11-20', to: '2020-02-03' }],
        ['vwap', { from: '2019-12-17', to: '2020-01-08' }],
        ['returns_volatility', { window: '5', from: '2019-06-12', to: '2020-07-15' }],
        ['top_movers', { limit: '3', from: '2020-02-19', to: '2020-03-23' }],
        ['max_drawdown', { from: '2019-10-02', to: '2021-01-14' }],
        ['ma_crossovers', { short: '5', long: '20', from: '2019-03-11', to: '2020-11-27' }],
        ['volume_spikes', { window: '10', threshold: '1.5', from: '2018-05-16', to: '2019-09-24' }],
        ['data_quality', { gap_seconds: String(4 * 86_400), late_seconds: '60', from: '2018-02-07', to: '2020-10-21' }],
      ];
      for (const partitioning of ['month', 'year'] as const) {
        it(`${partitioning}: every query gives the day-partitioned lake's answers, and only the partitions of a window are read`, async () => {
          const coarse = sharedIndexLake({ ...FIXTURE, data, partitioning });
          const coarseRunner = await DuckDbRunner.open({ lake: coarse.root });
          try {
            const dts = await coarseRunner.sql(`SELECT DISTINCT dt FROM ticks ORDER BY dt`);
            expect(dts.map((r) => String(r.dt).length)).to.deep.equal(dts.map(() => (partitioning === 'year' ? 4 : 7)));
            for (const [name, values] of CASES) {
              const query = findQuery(name);
              const bound = bindParams(name, query.params, values);
              const [want, got] = [await runner.run(query, bound), await coarseRunner.run(query, bound)];
              expect(want.rows.length, `${name} ${JSON.stringify(values)}`).to.be.greaterThan(0);
              expect(got.rows, `${name} ${JSON.stringify(values)}`).to.deep.equal(want.rows);
            }
            // Pruning: DuckDB opens the files of the window's partition only.
            const vwap = findQuery('vwap');
            const bound = bindParams('vwap', vwap.params, { from: '2020-03-05', to: '2020-03-20' });
            const plan = await coarseRunner.run({ ...vwap, sql: `EXPLAIN ANALYZE ${vwap.sql}` }, bound);
            const scanned = /Scanning Files: (\d+)\/(\d+)/.exec(JSON.stringify(plan.rows))!;
            expect(Number(scanned[1])).to.equal(1);
            expect(Number(scanned[2])).to.equal(coarse.ticksFiles.files);
          } finally {
            await coarseRunner.close();
          }
        });
      }
    });

    it('a symbol is a bound value, not SQL: a quote in it matches nothing and breaks nothing', async () => {
      const result = await run('vwap', { symbol: "NYA' OR '1'='1", from: '2020-03-01', to: '2020-03-31' });
      expect(result.rows).to.deep.equal([]);
    });
  });
}
