/**
 * A chart of a result, for the queries where a picture reads faster than a table (bars,
 * returns, VWAP): one self-contained HTML file, one chart per symbol. TradingView's
 * Lightweight Charts (installed in node_modules) is inlined into the file, so it opens
 * offline and can be mailed as it is.
 *
 *  - candlestick: open/high/low/close as candles, volume as a histogram in a pane below.
 *  - line: each listed column as a line in its own pane (returns and volatility have
 *    different scales; one pane each keeps both readable).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ChartSpec } from '../query-catalog.js';
import type { QueryResult, Row } from '../runners/runner.js';

export interface ChartPoint {
  /** Seconds since the epoch (Lightweight Charts' UTCTimestamp). */
  readonly time: number;
  readonly value?: number;
  readonly open?: number;
  readonly high?: number;
  readonly low?: number;
  readonly close?: number;
}

export interface SymbolChart {
  readonly symbol: string;
  /** Series name -> points in ascending time. */
  readonly series: Record<string, ChartPoint[]>;
}

/** The result rows as chart series, per symbol. Pure; throws when a needed column is missing. */
export function chartData(spec: ChartSpec, result: Pick<QueryResult, 'columns' | 'rows'>): SymbolChart[] {
  const names = new Set(result.columns.map((c) => c.name));
  const needed = [spec.time, ...(spec.kind === 'candlestick' ? ['open', 'high', 'low', 'close'] : spec.series)];
  const missing = needed.filter((n) => !names.has(n));
  if (missing.length > 0) throw new Error(`cannot chart: the result has no column ${missing.join(', ')}`);
  const bySymbol = new Map<string, Row[]>();
  for (const r of result.rows) {
    const symbol = String(r.symbol ?? '');
    bySymbol.set(symbol, [...(bySymbol.get(symbol) ?? []), r]);
  }
  return [...bySymbol.entries()].map(([symbol, rows]) => {
    const series: Record<string, ChartPoint[]> = {};
    const push = (name: string, point: ChartPoint): void => {
      const list = (series[name] ??= []);
      // Strictly ascending times, as the library requires; a repeated time keeps the last point.
      if (list.length > 0 && list[list.length - 1]!.time >= point.time) {
        if (list[list.length - 1]!.time === point.time) list[list.length - 1] = point;
        return;
      }
      list.push(point);
    };
    for (const r of [...rows].sort((a, b) => epochSeconds(a[spec.time]) - epochSeconds(b[spec.time]))) {
      const time = epochSeconds(r[spec.time]);
      if (!Number.isFinite(time)) continue;
      if (spec.kind === 'candlestick') {
        push('price', { time, open: num(r.open), high: num(r.high), low: num(r.low), close: num(r.close) });
        if (names.has('volume') && r.volume !== null) push('volume', { time, value: num(r.volume) });
      } else {
        for (const s of spec.series) if (r[s] !== null && r[s] !== undefined) push(s, { time, value: num(r[s]) });
      }
    }
    return { symbol, series };
  });
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

/** An ISO timestamp or a YYYY-MM-DD day as epoch seconds (UTC). */
export function epochSeconds(v: unknown): number {
  if (typeof v !== 'string') return Number.NaN;
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  return ms / 1000;
}

/** The standalone (browser global) build of Lightweight Charts from node_modules. */
export function chartLibrary(): string {
  const pkg = createRequire(import.meta.url).resolve('lightweight-charts/package.json');
  return readFileSync(join(dirname(pkg), 'dist', 'lightweight-charts.standalone.production.js'), 'utf8');
}

export interface ChartPage {
  readonly title: string;
  readonly subtitle: string;
  readonly spec: ChartSpec;
  readonly charts: readonly SymbolChart[];
}

/** The HTML document. Pure: the library source is passed in. */
export function chartHtml(page: ChartPage, library: string): string {
  // Nothing in the inlined script or data may close the <script> element early.
  const script = (js: string): string => js.replace(/<\/script/gi, '<\\/script');
  const data = JSON.stringify({ kind: page.spec.kind, charts: page.charts }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(page.title)}</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 24px; color: #1f2328; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  h2 { font-size: 16px; margin: 24px 0 8px; }
  p { margin: 0 0 16px; color: #59636e; }
  .chart { width: 100%; height: 460px; }
</style>
</head>
<body>
<h1>${escapeHtml(page.title)}</h1>
<p>${escapeHtml(page.subtitle)}</p>
<div id="charts"></div>
<script>${script(library)}</script>
<script>
const DATA = ${data};
const LC = window.LightweightCharts;
for (const c of DATA.charts) {
  const h = document.createElement('h2');
  h.textContent = c.symbol;
  const div = document.createElement('div');
  div.className = 'chart';
  document.getElementById('charts').append(h, div);
  const chart = LC.createChart(div, { autoSize: true, timeScale: { timeVisible: true, secondsVisible: false } });
  if (DATA.kind === 'candlestick') {
    chart.addSeries(LC.CandlestickSeries, {}, 0).setData(c.series.price || []);
    if (c.series.volume) chart.addSeries(LC.HistogramSeries, { priceFormat: { type: 'volume' }, color: '#8c959f' }, 1).setData(c.series.volume);
  } else {
    Object.keys(c.series).forEach((name, pane) => {
      chart.addSeries(LC.LineSeries, { title: name, lineWidth: 2, priceFormat: { type: 'price', precision: 4, minMove: 0.0001 } }, pane).setData(c.series[name]);
    });
  }
  chart.timeScale().fitContent();
}
</script>
</body>
</html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
