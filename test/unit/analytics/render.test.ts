import { expect } from 'chai';
import { chartData, chartHtml, chartLibrary, epochSeconds } from '../../../analytics/render/chart.js';
import { renderCsv } from '../../../analytics/render/csv.js';
import { renderJson } from '../../../analytics/render/json.js';
import { renderTable } from '../../../analytics/render/table.js';
import type { QueryResult } from '../../../analytics/runners/runner.js';

const RESULT: QueryResult = {
  columns: [
    { name: 'symbol', type: 'varchar' },
    { name: 'bar_start', type: 'timestamp' },
    { name: 'open', type: 'double' },
    { name: 'high', type: 'double' },
    { name: 'low', type: 'double' },
    { name: 'close', type: 'double' },
    { name: 'volume', type: 'bigint' },
  ],
  rows: [
    { symbol: 'A,B "x"', bar_start: '2021-01-04T14:00:00.000Z', open: 1.123456789123, high: 2, low: 0.5, close: 1.5, volume: 100 },
    { symbol: 'NYA', bar_start: '2021-01-04T15:00:00.000Z', open: 10, high: 12, low: 9, close: 11, volume: null },
    { symbol: 'NYA', bar_start: '2021-01-04T14:00:00.000Z', open: 9, high: 10, low: 8, close: 10, volume: 5 },
  ],
  stats: { engine: 'duckdb', elapsedMs: 12 },
};

describe('rendering results', () => {
  it('CSV: RFC 4180 quoting, empty NULLs, CRLF', () => {
    const csv = renderCsv(RESULT);
    expect(csv.split('\r\n')[0]).to.equal('symbol,bar_start,open,high,low,close,volume');
    expect(csv.split('\r\n')[1]).to.equal('"A,B ""x""",2021-01-04T14:00:00.000Z,1.123456789123,2,0.5,1.5,100');
    expect(csv.split('\r\n')[2]).to.equal('NYA,2021-01-04T15:00:00.000Z,10,12,9,11,');
    expect(csv.endsWith('\r\n')).to.equal(true);
  });

  it('table: aligned columns, numbers right-aligned, doubles shortened for reading', () => {
    const lines = renderTable(RESULT).split('\n');
    expect(lines).to.have.length(5);
    expect(new Set(lines.map((l) => l.length)).size).to.be.lessThanOrEqual(2); // the header may be trimmed shorter
    expect(lines[2]).to.contain('1.1234568');
    expect(lines[3]!.indexOf('10')).to.be.greaterThan(lines[0]!.indexOf('open'));
    expect(renderTable({ columns: RESULT.columns, rows: [] })).to.contain('(no rows)');
  });

  it('JSON: the query, its parameters, typed rows and the run statistics', () => {
    const doc = JSON.parse(renderJson('ohlcv', [{ name: 'symbol', type: 'string', value: 'NYA' }], RESULT)) as Record<string, unknown>;
    expect(doc.query).to.equal('ohlcv');
    expect(doc.params).to.deep.equal({ symbol: 'NYA' });
    expect((doc.rows as unknown[])[0]).to.deep.equal(RESULT.rows[0]);
    expect(doc.stats).to.deep.equal({ engine: 'duckdb', elapsedMs: 12 });
  });

  it('chart data: candles per symbol in ascending time, volume beside them', () => {
    const charts = chartData({ kind: 'candlestick', time: 'bar_start', series: [] }, RESULT);
    const nya = charts.find((c) => c.symbol === 'NYA')!;
    expect(nya.series.price!.map((p) => p.time)).to.deep.equal([epochSeconds('2021-01-04T14:00:00.000Z'), epochSeconds('2021-01-04T15:00:00.000Z')]);
    expect(nya.series.price![0]).to.deep.include({ open: 9, high: 10, low: 8, close: 10 });
    expect(nya.series.volume).to.deep.equal([{ time: epochSeconds('2021-01-04T14:00:00.000Z'), value: 5 }]);
    expect(epochSeconds('2021-01-04')).to.equal(Date.UTC(2021, 0, 4) / 1000);
    expect(() => chartData({ kind: 'line', time: 'day', series: ['ret'] }, RESULT)).to.throw(/no column day, ret/);
  });

  it('chart page: the library inlined, the data escaped so that nothing closes the script early', () => {
    const html = chartHtml(
      { title: 'ohlcv <1h>', subtitle: 'x', spec: { kind: 'candlestick', time: 'bar_start', series: [] }, charts: [{ symbol: '</script><b>', series: {} }] },
      chartLibrary(),
    );
    expect(html).to.contain('TradingView Lightweight Charts');
    expect(html).to.contain('<title>ohlcv &lt;1h&gt;</title>');
    expect(html).not.to.contain('</script><b>');
    expect(html.match(/<\/script>/g)).to.have.length(2);
    expect(html).not.to.match(/<script[^>]+src=/);
  });
});
