/**
 * `tickstream demo` (what `npm start` runs) on the shared Kafka cluster, with its default
 * replay: the sink and the producer as services, the dashboard in process, the lake in a
 * temporary folder. What it prints must be the data set: the printed daily bars are the
 * sample's bars of its last five trading days (read here from the CSV text, independently
 * of the producer's parser), under those days' own dt= partitions, with 0 early ticks in
 * the printed data-quality report, and the dashboard's candles of the last day add up to
 * the same bars.
 */
import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../lib/config.js';
import { sharedSpec } from '../../../lib/settings.js';
import { demoSettings } from '../../../demo/settings.js';
import { runDemo, type DemoResult } from '../../../demo/run.js';
import type { DailyBar } from '../../../demo/days.js';
import { stackSpec } from '../../../local/settings.js';
import { requireKafka, sharedKafka } from '../../support/kafka.js';

const PORTS = {
  producerMetricsPort: Number(process.env.TICKSTREAM_DEMO_PRODUCER_METRICS_PORT ?? 28474),
  sinkMetricsPort: Number(process.env.TICKSTREAM_DEMO_SINK_METRICS_PORT ?? 28475),
  dashboardPort: Number(process.env.TICKSTREAM_DEMO_DASHBOARD_PORT ?? 28797),
};

/** The sample's bars of its last `n` dates, straight from the CSV text. */
function lastDaysOfSample(n: number): DailyBar[] {
  const rows = readFileSync('data/sample-daily.csv', 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const days = [...new Set(rows.map((r) => r[1]!))].sort().slice(-n);
  return rows
    .filter((r) => days.includes(r[1]!))
    .map(([symbol, day, open, high, low, close, volume]) => ({ symbol: symbol!, day: day!, open: Number(open), high: Number(high), low: Number(low), close: Number(close), volume: Number(volume) }))
    .sort((a, b) => a.symbol.localeCompare(b.symbol) || a.day.localeCompare(b.day));
}

/** The rows of the table printed under `$ tickstream <command>`, as records of its columns. */
function printedTable(lines: readonly string[], command: RegExp): Array<Record<string, string>> {
  const at = lines.findIndex((l) => l.startsWith('$ tickstream ') && command.test(l));
  expect(at, `the demo printed ${command}`).to.be.greaterThan(-1);
  const body: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (l.trim() === '') break;
    body.push(l.trim());
  }
  const [header, rule, ...rows] = body;
  expect(rule, `a table under ${command}: ${body.join('\n')}`).to.match(/^-+( +-+)*$/);
  const columns = header!.split(/\s+/);
  return rows.map((r) => {
    const cells = r.split(/\s+/);
    expect(cells, r).to.have.length(columns.length);
    return Object.fromEntries(columns.map((c, i) => [c, cells[i]!]));
  });
}

describe('demo: the whole pipeline replays the last trading days of the sample', function () {
  this.timeout(240_000);
  const kafka = sharedKafka();
  const lake = join(mkdtempSync(join(tmpdir(), 'tickstream-demo-')), 'lake');
  const lines: string[] = [];
  let code: number;
  let result: DemoResult | undefined;
  const settings = loadConfig({ ...sharedSpec, ...stackSpec, demo: demoSettings }, { env: {} });

  before(async () => {
    await requireKafka(kafka);
    const started = Date.now();
    code = await runDemo(
      {
        stack: { ...settings.stack, dir: mkdtempSync(join(tmpdir(), 'tickstream-demo-stack-')) },
        kafka,
        topics: settings.topics,
        log: { ...settings.log, level: 'warn' },
        ...settings.demo,
        ...PORTS,
        lake,
        bootstrap: kafka.bootstrap,
        follow: false,
        stay: false,
        onChecked: (r) => (result = r),
      },
      new AbortController().signal,
      (line) => lines.push(line),
    );
    lines.push(`(demo ran ${((Date.now() - started) / 1000).toFixed(0)}s)`);
  });

  it('finishes, saying its checks passed', () => {
    expect(code, lines.join('\n')).to.equal(0);
    expect(lines).to.include('check: the lake\'s daily bars equal the file\'s for all 25 replayed bars (open, high, low, close, volume)');
    expect(lines.some((l) => /^check: the dashboard's candles of 2024-06-28 add up to the same daily bars, for all 5 symbols$/.test(l))).to.equal(true);
  });

  it("prints daily bars that are the sample's bars of its last five trading days", () => {
    const expected = lastDaysOfSample(5);
    expect(expected.map((b) => b.day)).to.include.members(['2024-06-24', '2024-06-28']);
    const printed = printedTable(lines, /query ohlcv .*--interval 1d/).map((r) => ({
      symbol: r.symbol!,
      day: r.bar_start!.slice(0, 10),
      open: Number(r.open),
      high: Number(r.high),
      low: Number(r.low),
      close: Number(r.close),
      volume: Number(r.volume),
    }));
    expect(printed).to.deep.equal(expected);
    // Daily VWAP rows: one per symbol and replayed day, each closing at the sample's close.
    const vwap = printedTable(lines, /query vwap/);
    expect(vwap.map((r) => `${r.symbol} ${r.day} ${Number(r.close)}`)).to.deep.equal(expected.map((b) => `${b.symbol} ${b.day} ${b.close}`));
  });

  it('prints a data-quality report with 0 early, out-of-order and redelivered ticks, and every delivered tick', () => {
    const quality = printedTable(lines, /query data_quality/);
    expect(quality.map((r) => r.symbol)).to.deep.equal(['ACME', 'GLOBX', 'INITK', 'UMBRL', 'WAYNE']);
    for (const r of quality) {
      expect(r, r.symbol).to.include({ early_ticks: '0', out_of_order: '0', redelivered: '0', duplicate_ticks: '0', ticks: String(5 * settings.demo.ticksPerBar) });
    }
    expect(result!.delivered).to.equal(25 * settings.demo.ticksPerBar);
    expect(result!.lake.earlyTicks).to.equal(0);
  });

  it("writes the ticks under the replayed days' own dt= partitions", () => {
    expect(readdirSync(join(lake, 'raw', 'ticks')).sort()).to.deep.equal(['dt=2024-06-24', 'dt=2024-06-25', 'dt=2024-06-26', 'dt=2024-06-27', 'dt=2024-06-28']);
  });

  it("shows on the dashboard the same last day as the lake: candles that add up to the sample's bars", () => {
    const lastDay = lastDaysOfSample(1);
    expect(result!.dashboardLastDay).to.deep.equal(lastDay);
  });
});
