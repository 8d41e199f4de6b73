/**
 * Watching the demo's services: their metrics pages while the producer runs, the
 * producer's own summary when it ends, the sink catching up, and the dashboard's view of
 * the last day.
 */
import { readFileSync } from 'node:fs';
import { sleep } from '../lib/async.js';
import { sumOf, type Sample } from '../lib/prometheus-text.js';
import { HEALTH_METRICS, scrape, type RunningDashboard } from '../dashboard/index.js';
import type { ServiceProcess } from '../local/service-process.js';
import type { DailyBar } from './days.js';
import { fmt, type Say } from './report.js';

/** A service's metrics on this machine, or null while it does not answer. */
function scrapePort(port: number): Promise<Sample[] | null> {
  return scrape(`http://127.0.0.1:${port}/metrics`);
}

/**
 * Shows progress while the producer runs and returns the ticks it delivered (its own exact
 * count, from its JSON summary), or null when it failed.
 */
export async function watchProducer(producer: ServiceProcess, producerPort: number, sinkPort: number, signal: AbortSignal, say: Say): Promise<number | null> {
  let done = false;
  const exit = producer.exited().then((e) => {
    done = true;
    return e;
  });
  // A service busy writing a file may miss a scrape: show its last answer (counters only
  // grow), or "?" before the first one, never a wrong zero.
  let lastProducer: Sample[] | null = null;
  let lastSink: Sample[] | null = null;
  while (!done && !signal.aborted) {
    await Promise.race([exit, sleep(5000)]);
    if (done || signal.aborted) break;
    const p = (lastProducer = (await scrapePort(producerPort)) ?? lastProducer);
    const s = (lastSink = (await scrapePort(sinkPort)) ?? lastSink);
    const count = (samples: typeof p, ref: { name: string; labels?: Record<string, string> }): string =>
      samples ? fmt(sumOf(samples, ref.name, ref.labels)) : '?';
    say(
      `  delivered ${count(p, HEALTH_METRICS.producerDelivered)} ticks, ${count(p, HEALTH_METRICS.producerDlq)} dead letters; ` +
        `sink wrote ${count(s, HEALTH_METRICS.sinkRows)} rows in ${count(s, HEALTH_METRICS.sinkFiles)} files`,
    );
  }
  if (signal.aborted) return null;
  const result = await exit;
  const summary = readSummary(producer.logFile);
  if (result.code !== 0 || !summary) return null;
  say(`producer: ${fmt(summary.ticksDelivered)} ticks delivered, ${fmt(summary.deadLetters)} dead letters, in ${summary.seconds.toFixed(1)}s`);
  return summary.ticksDelivered;
}

/** The producer's `--json` summary: the last line of its output that parses as one. */
function readSummary(logFile: string): { ticksDelivered: number; deadLetters: number; seconds: number } | null {
  const lines = readFileSync(logFile, 'utf8').trim().split('\n').reverse();
  for (const line of lines) {
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (typeof parsed.ticksDelivered === 'number' && typeof parsed.seconds === 'number') {
        return { ticksDelivered: parsed.ticksDelivered, deadLetters: Number(parsed.deadLetters ?? 0), seconds: parsed.seconds };
      }
    } catch {
      // a log line, not the summary
    }
  }
  return null;
}

export async function waitForSink(sinkPort: number, delivered: number, timeoutMs: number, signal: AbortSignal, say: Say): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let lastSaid = 0;
  while (Date.now() < deadline && !signal.aborted) {
    const s = await scrapePort(sinkPort);
    const rows = s ? sumOf(s, HEALTH_METRICS.sinkRows.name, HEALTH_METRICS.sinkRows.labels) : 0;
    const lag = s ? sumOf(s, HEALTH_METRICS.sinkLag.name) : Infinity;
    if (rows >= delivered && lag === 0) {
      say(`sink: all ${fmt(delivered)} ticks are in the lake`);
      return true;
    }
    if (Date.now() - lastSaid > 5000) {
      lastSaid = Date.now();
      say(`  waiting for the sink: ${fmt(rows)} of ${fmt(delivered)} rows written, lag ${Number.isFinite(lag) ? fmt(lag) : '?'}`);
    }
    await sleep(500);
  }
  return false;
}

/**
 * The dashboard's view of the last replayed day, per symbol, folded from its candles, once
 * its feed has read every delivered tick (bounded wait: it reads the same topic as the sink).
 */
export async function dashboardDay(dashboard: RunningDashboard, delivered: number, expected: readonly DailyBar[]): Promise<DailyBar[]> {
  const deadline = Date.now() + 15_000;
  while (dashboard.feed.received < delivered && Date.now() < deadline) await sleep(200);
  const lastDay = expected.reduce((d, b) => (b.day > d ? b.day : d), '');
  const out: DailyBar[] = [];
  for (const symbol of dashboard.server.board.symbols()) {
    const candles = dashboard.server.board.candlesOf(symbol).filter((c) => new Date(c.time * 1000).toISOString().slice(0, 10) === lastDay);
    if (candles.length === 0) continue;
    out.push({
      symbol,
      day: lastDay,
      open: candles[0]!.open,
      high: Math.max(...candles.map((c) => c.high)),
      low: Math.min(...candles.map((c) => c.low)),
      close: candles[candles.length - 1]!.close,
      volume: candles.reduce((s, c) => s + c.volume, 0),
    });
  }
  return out;
}
