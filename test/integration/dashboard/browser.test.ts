/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core) during a
 * real pipeline run: the sink and the producer run as services (child processes) against
 * the shared Kafka broker, the dashboard reads the ticks topic and the services' metrics.
 *
 * Checks: candles appear and update while ticks stream; the health numbers on the page are
 * the services' own counters (bracketed by two direct reads of the producer's /metrics while
 * it runs, and equal to the sink's /metrics once it has caught up); a screenshot is saved to
 * test-artifacts/dashboard.png.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { clusterMetadata, ensureTopics } from '../../../lib/admin.js';
import { planTopics } from '../../../lib/kafka.js';
import { createLogger } from '../../../lib/logger.js';
import { parsePrometheusText, sumOf } from '../../../lib/prometheus-text.js';
import { HEALTH_METRICS } from '../../../dashboard/health.js';
import { runLakeQueries } from '../../../dashboard/lake-queries.js';
import { startDashboard, type RunningDashboard } from '../../../dashboard/run.js';
import { ServiceProcess } from '../../../local/service-process.js';
import { requireKafka, sharedKafka } from '../../support/kafka.js';
import { systemTool } from '../../support/tools.js';

const PRODUCER_METRICS = 28464;
const SINK_METRICS = 28465;
const DASHBOARD_PORT = 28787;

async function metrics(port: number) {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(3000) });
  return parsePrometheusText(await res.text());
}

/** The producer's exact delivered count, from the JSON summary it prints at the end (`--json`). */
function deliveredBy(logFile: string): number {
  for (const line of readFileSync(logFile, 'utf8').trim().split('\n').reverse()) {
    if (!line.startsWith('{"source"')) continue;
    return (JSON.parse(line) as { ticksDelivered: number }).ticksDelivered;
  }
  throw new Error(`no run summary in ${logFile}`);
}

async function numberOf(page: Page, testId: string): Promise<number> {
  return Number(await page.getAttribute(`[data-testid=${testId}]`, 'data-value'));
}

async function healthAt(page: Page): Promise<number> {
  return Number((await page.getAttribute('[data-testid=health]', 'data-at')) ?? 0);
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('dashboard in a real browser', function () {
  this.timeout(300_000);
  const kafka = sharedKafka();
  const prefix = `dash-${Date.now()}.`;
  const work = mkdtempSync(join(tmpdir(), 'tickstream-dashboard-'));
  const artifacts = join(process.cwd(), 'test-artifacts');
  const env = { TICKSTREAM_KAFKA_BOOTSTRAP: kafka.bootstrap, TICKSTREAM_TOPIC_PREFIX: prefix, TICKSTREAM_LOG_LEVEL: 'warn' };
  let browser: Browser | undefined;
  let dashboard: RunningDashboard | undefined;
  let sink: ServiceProcess | undefined;
  let producer: ServiceProcess | undefined;
  let page: Page;

  before(async () => {
    const chromiumPath = systemTool('chromium', 'chromium');
    await requireKafka(kafka);
    const topics = { prefix, partitions: 3, replicationFactor: 3, minInsyncReplicas: 2, retentionHours: 24 };
    const md = await clusterMetadata(kafka.bootstrap);
    await ensureTopics(kafka, planTopics(topics, md.brokers.length));

    sink = new ServiceProcess(
      'sink',
      ['sink', '--lake', join(work, 'lake'), '--group', `${prefix}sink`, '--metrics-port', String(SINK_METRICS), '--idle-flush', '1000', '--flush-interval', '5000'],
      join(work, 'sink.log'),
      env,
    );
    sink.start();
    dashboard = await startDashboard({
      kafka,
      topics,
      port: DASHBOARD_PORT,
      candleIntervalSec: 1,
      runQueries: () => runLakeQueries(join(work, 'lake')),
      queryEveryMs: 60_000,
      health: {
        producerMetricsUrl: `http://127.0.0.1:${PRODUCER_METRICS}/metrics`,
        sinkMetricsUrl: `http://127.0.0.1:${SINK_METRICS}/metrics`,
      },
      log: createLogger('dashboard-test', { level: 'warn', pretty: false }),
    });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(dashboard.url);
    await page.waitForSelector('[data-testid=connection].live', { timeout: 15_000 });
  });

  after(async () => {
    await producer?.stop(20_000);
    await sink?.stop(30_000);
    await browser?.close();
    await dashboard?.stop();
  });

  it('draws candles that appear and update while ticks stream', async () => {
    // The sample's five symbols, 40 ticks per daily bar, about a minute on the live clock.
    producer = new ServiceProcess(
      'producer',
      ['produce', 'data/sample-daily.csv', '--clock', 'live', '--speed', '25000', '--ticks-per-bar', '40', '--metrics-port', String(PRODUCER_METRICS), '--progress', 'off', '--json'],
      join(work, 'producer.log'),
      env,
    );
    producer.start();
    const first = await until('the first candle', 60_000, async () => {
      const n = Number(await page.textContent('[data-testid=candle-count]'));
      return n > 0 ? n : null;
    });
    expect(await page.locator('[data-testid=symbol-button]').count()).to.be.greaterThan(0);
    const firstTitle = await page.textContent('[data-testid=chart-title]');
    expect(firstTitle).to.match(/^[A-Z]+$/);
    const later = await until('more candles', 60_000, async () => {
      const n = Number(await page.textContent('[data-testid=candle-count]'));
      return n > first ? n : null;
    });
    expect(later).to.be.greaterThan(first);
    // The chart is drawn (lightweight-charts renders into canvases), and the quotes table lists symbols.
    expect(await page.locator('[data-testid=chart] canvas').count()).to.be.greaterThan(0);
    expect(await page.locator('[data-testid=quotes] tbody tr').count()).to.be.greaterThan(0);
  });

  it('shows the producer delivery count the producer itself reports, while it runs', async () => {
    const before = sumOf(await metrics(PRODUCER_METRICS), HEALTH_METRICS.producerDelivered.name);
    const askedAt = Date.now();
    await until('a health reading newer than the first direct read', 10_000, async () => (await healthAt(page)) > askedAt);
    const shown = await numberOf(page, 'delivered');
    const afterRead = sumOf(await metrics(PRODUCER_METRICS), HEALTH_METRICS.producerDelivered.name);
    expect(shown).to.be.at.least(before).and.at.most(afterRead);
    expect(afterRead).to.be.greaterThan(0);
    expect(await page.textContent('[data-testid=producer-up]')).to.equal('up');
  });

  it('matches the sink counters exactly once the sink has caught up, and saves a screenshot', async () => {
    const exit = await producer!.exited();
    expect(exit.code, 'producer exit code').to.equal(0);
    const delivered = deliveredBy(join(work, 'producer.log'));
    expect(delivered).to.equal(645 * 40);
    const sinkPage = await until('the sink to catch up', 120_000, async () => {
      const m = await metrics(SINK_METRICS);
      return sumOf(m, HEALTH_METRICS.sinkLag.name) === 0 && sumOf(m, HEALTH_METRICS.sinkRows.name, HEALTH_METRICS.sinkRows.labels) === delivered ? m : null;
    });
    const rows = sumOf(sinkPage, HEALTH_METRICS.sinkRows.name, HEALTH_METRICS.sinkRows.labels);
    const files = sumOf(sinkPage, HEALTH_METRICS.sinkFiles.name);
    const readAt = Date.now();
    await until('a health reading after the sink caught up', 10_000, async () => (await healthAt(page)) > readAt);
    expect(await numberOf(page, 'sink-records')).to.equal(rows);
    expect(await numberOf(page, 'files-written')).to.equal(files);
    expect(await numberOf(page, 'sink-lag')).to.equal(0);
    expect(await numberOf(page, 'dlq')).to.equal(0);
    // The producer has ended: its counters (dead letters come from both services) say they
    // are the last values read; the running sink's do not.
    expect(await page.textContent('[data-testid=producer-up]')).to.equal('down');
    expect(await page.textContent('[data-testid=delivered]')).to.match(/^[\d,]+ \(last seen\)$/);
    expect(await page.textContent('[data-testid=dlq]')).to.equal('0 (last seen)');
    expect(await page.textContent('[data-testid=files-written]')).to.match(/^[\d,]+$/);
    // Every tick the dashboard drew came through Kafka; every tick delivered is in the lake.
    expect(dashboard!.feed.received).to.equal(rows);

    // The lake panels: the VWAP query over what the sink wrote, one row per sample symbol.
    await dashboard!.server.refreshQueries();
    const vwapRows = page.locator('[data-query=vwap] table tr');
    await until('the VWAP panel', 30_000, async () => (await vwapRows.count()) > 1);
    const symbols = (await page.locator('[data-query=vwap] table tr td:first-child').allTextContents()).sort();
    const quoted = (await page.locator('[data-testid=quotes] tbody tr td:first-child').allTextContents()).sort();
    expect(symbols).to.deep.equal(quoted);
    expect(symbols).to.have.length(5);
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true });
  });
});
