/**
 * Producer throughput and memory, next to kcat (librdkafka's own C client) producing the
 * very same messages to the same cluster in the same run.
 *
 *   node --import tsx bench/producer/run.ts [--bootstrap host:port] [--sizes 1000000,10000000]
 *        [--ticks-per-bar 100] [--workers 1,2] [--write bench/producer/RESULTS.md]
 *
 * For each size N it generates (outside the repository, in $TMPDIR):
 *   - a CSV of synthetic daily bars with N / ticks-per-bar rows, so the input grows with N;
 *   - the exact key/value lines the producer will send for that CSV and for N simulator
 *     ticks, serialized by the producer's own code path (kcat's input, `key<TAB>value`);
 * then runs, one after the other on a fresh topic each: kcat on the CSV's messages,
 * `tickstream produce <csv>` with each worker count of --workers, kcat on the simulator's
 * messages, `tickstream produce` (simulator) with each worker count; every producer row is
 * compared with the kcat run before it. Both clients use the same settings: idempotence,
 * acks=all, lz4, linger 20 ms, batches of up to 10,000 messages / 1 MB, a queue bound of
 * 100,000 messages (per worker), murmur2 partitioning. Wall time is from process start to
 * exit (connect and final flush included, for both); CPU is user + system of the whole
 * process tree; peak RSS is GNU time's maximum resident set size, for several workers the
 * sum of the processes' peaks (from the producer's summary).
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { ensureTopics, clusterMetadata } from '../../lib/admin.js';
import { loadConfig } from '../../lib/config.js';
import { sharedSpec } from '../../lib/settings.js';
import { gbmEvents, replayEvents } from '../../producer/events.js';
import { GbmSimulator, parseSymbols } from '../../producer/sim/gbm.js';
import { parseSession } from '../../producer/sim/sessions.js';
import { seeded } from '../../producer/sim/random.js';
import { CsvSource } from '../../producer/sources/csv.js';
import { kcatProduceArgs, requireKcat, writeMessages } from '../shared.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const bootstrap = opt('--bootstrap', process.env.TICKSTREAM_KAFKA_BOOTSTRAP ?? '127.0.0.1:9092');
const sizes = opt('--sizes', '1000000,10000000').split(',').map(Number);
const ticksPerBar = Number(opt('--ticks-per-bar', '100'));
const writeTo = opt('--write', '');
/** Worker process counts to run the producer with (`tickstream produce --workers N`). */
const workerCounts = opt('--workers', '1,2').split(',').map(Number);
const SYMBOLS = 'AAA:100,BBB:50,CCC:20,DDD:250,EEE:75';
const PARTITIONS = 6;
const work = join(tmpdir(), `tickstream-bench-producer-${process.pid}`);
const kafka = { ...loadConfig(sharedSpec).kafka, bootstrap };

interface Run {
  readonly what: string;
  /** The kcat run this one is compared with (itself for kcat). */
  readonly ref: number;
  readonly ticks: number;
  readonly seconds: number;
  readonly rate: number;
  readonly rssMiB: number;
  /** CPU time of the client process (user + system), microseconds per tick. */
  readonly cpuUs: number;
}

/** Synthetic daily bars: `rows` rows, 20 symbols, consecutive weekdays. */
async function writeBars(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write('Symbol,Date,Open,High,Low,Close,Volume\n');
  const symbols = Array.from({ length: 20 }, (_, i) => `SYM${String(i).padStart(2, '0')}`);
  const perSymbol = Math.ceil(rows / symbols.length);
  let written = 0;
  for (const symbol of symbols) {
    const rng = seeded(7, symbol);
    let close = 50 + rng.next() * 200;
    let day = Date.UTC(1990, 0, 1);
    for (let d = 0; d < perSymbol && written < rows; d++, written++) {
      do day += 86_400_000;
      while ([0, 6].includes(new Date(day).getUTCDay()));
      const open = close * Math.exp(0.005 * rng.normal());
      close = open * Math.exp(0.015 * rng.normal());
      const high = Math.max(open, close) * (1 + 0.01 * rng.next());
      const low = Math.min(open, close) * (1 - 0.01 * rng.next());
      const line = `${symbol},${new Date(day).toISOString().slice(0, 10)},${open.toFixed(2)},${high.toFixed(2)},${low.toFixed(2)},${close.toFixed(2)},${Math.round(1e6 * (0.5 + rng.next()))}\n`;
      if (!out.write(line)) await once(out, 'drain');
    }
  }
  out.end();
  await once(out, 'finish');
}

function run(command: string, argv: string[], stdinFile: string | null): { seconds: number; rssMiB: number; cpuSeconds: number; stdout: string } {
  const timeFile = join(work, 'time.txt');
  const quoted = [command, ...argv].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const shell = `/usr/bin/time -f '%e %M %U %S' -o ${timeFile} ${quoted}${stdinFile ? ` < '${stdinFile}'` : ''}`;
  const r = spawnSync('sh', ['-c', shell], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, TICKSTREAM_LOG_LEVEL: 'warn' } });
  if (r.status !== 0) throw new Error(`${command} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const [seconds, kb, user, system] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-4).map(Number) as [number, number, number, number];
  return { seconds, rssMiB: kb / 1024, cpuSeconds: user + system, stdout: r.stdout };
}

async function freshTopic(name: string, brokers: number): Promise<void> {
  const rf = Math.min(3, brokers);
  await ensureTopics(kafka, [{ name, partitions: PARTITIONS, replicationFactor: rf, config: { 'min.insync.replicas': String(Math.min(2, rf)) } }]);
}

function kcat(topic: string): string[] {
  return kcatProduceArgs(bootstrap, topic);
}

function produceArgs(prefix: string, extra: string[]): string[] {
  return ['bin/tickstream.js', 'produce', ...extra, '--bootstrap', bootstrap, '--topic-prefix', prefix, '--no-metrics', '--progress', 'off', '--json', '--log-level', 'warn'];
}

function version(cmd: string, argv: string[]): string {
  const r = spawnSync(cmd, argv, { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.split('\n').find((l) => l.trim().length > 0)?.trim() ?? '?';
}

async function main(): Promise<void> {
  requireKcat();
  mkdirSync(work, { recursive: true });
  const md = await clusterMetadata(bootstrap);
  const brokers = md.brokers.length;
  const stamp = Date.now().toString(36);
  const runs: Run[] = [];
  const load0 = loadavg()[0]!.toFixed(2);
  try {
    for (const size of sizes) {
      const rows = Math.ceil(size / ticksPerBar);
      const csvFile = join(work, `bars-${size}.csv`);
      await writeBars(csvFile, rows);
      const session = parseSession('09:30-16:00 America/New_York');
      const csvMessages = join(work, `csv-${size}.txt`);
      const csvTicks = await writeMessages(csvMessages, replayEvents({ csv: new CsvSource({ file: csvFile, dateFormat: 'iso', delimiter: ',' }), sim: { ticksPerBar, seed: 1, defaultSession: session } }), 'csv');
      const simMessages = join(work, `sim-${size}.txt`);
      const sim = new GbmSimulator({ symbols: parseSymbols(SYMBOLS), start: Date.parse('2024-01-02T14:30:00Z'), meanIntervalMs: 1000, volatility: 0.3, drift: 0.05, seed: 1 });
      const simTicks = await writeMessages(simMessages, gbmEvents(sim, size), 'sim');
      process.stderr.write(`size ${size}: csv ${(statSync(csvFile).size / 1e6).toFixed(1)} MB (${rows} rows), ${csvTicks} csv ticks, ${simTicks} sim ticks\n`);

      type Exec = (prefix: string) => { seconds: number; rssMiB: number; cpuSeconds: number; stdout: string };
      const ours = (label: string, ticks: number, argv: string[]): Array<{ what: string; ticks: number; exec: Exec }> =>
        workerCounts.map((w) => ({
          what: `tickstream produce ${label}${w > 1 ? ` --workers ${w}` : ''}`,
          ticks,
          exec: (p: string) => run('node', produceArgs(p, [...argv, '--workers', String(w)]), null),
        }));
      const plan: Array<{ what: string; ticks: number; exec: Exec }> = [
        { what: 'kcat -P, CSV replay messages', ticks: csvTicks, exec: (p) => run('kcat', kcat(`${p}ticks`), csvMessages) },
        ...ours('<csv>', csvTicks, [csvFile, '--ticks-per-bar', String(ticksPerBar)]),
        { what: 'kcat -P, simulator messages', ticks: simTicks, exec: (p) => run('kcat', kcat(`${p}ticks`), simMessages) },
        ...ours('(simulator)', simTicks, ['--symbols', SYMBOLS, '--count', String(size)]),
      ];
      let ref = runs.length;
      for (const [i, step] of plan.entries()) {
        const prefix = `bench-${stamp}-${size}-${i}.`;
        await freshTopic(`${prefix}ticks`, brokers);
        await freshTopic(`${prefix}ticks.dlq`, brokers);
        const r = step.exec(prefix);
        let rssMiB = r.rssMiB;
        if (step.what.startsWith('tickstream')) {
          const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ticksDelivered: number; ticksFailed: number; maxRssBytes: number };
          if (summary.ticksDelivered !== step.ticks || summary.ticksFailed !== 0) throw new Error(`${step.what}: delivered ${summary.ticksDelivered} of ${step.ticks}`);
          // GNU time reports the largest single process; with workers, their peaks add up.
          rssMiB = Math.max(rssMiB, summary.maxRssBytes / 1048576);
        } else {
          ref = runs.length;
        }
        runs.push({ what: step.what, ref, ticks: step.ticks, seconds: r.seconds, rate: step.ticks / r.seconds, rssMiB, cpuUs: (r.cpuSeconds * 1e6) / step.ticks });
        process.stderr.write(`  ${step.what}: ${r.seconds.toFixed(1)} s, ${Math.round(step.ticks / r.seconds)} ticks/s, ${rssMiB.toFixed(0)} MiB, ${((r.cpuSeconds * 1e6) / step.ticks).toFixed(2)} CPU us/tick\n`);
      }
      rmSync(csvMessages, { force: true });
      rmSync(simMessages, { force: true });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const rows: string[] = ['| ticks | client | seconds | ticks/s | ratio to kcat | client CPU µs/tick | peak RSS (MiB, all processes) |', '|---:|---|---:|---:|---:|---:|---:|'];
  for (const r of runs) {
    const ratio = r.rate / runs[r.ref]!.rate;
    rows.push(`| ${r.ticks.toLocaleString('en-US')} | ${r.what} | ${r.seconds.toFixed(1)} | ${Math.round(r.rate).toLocaleString('en-US')} | ${ratio.toFixed(2)} | ${r.cpuUs.toFixed(2)} | ${r.rssMiB.toFixed(0)} |`);
  }
  const kafkaVersion = (() => {
    for (const dir of ['.tickstream-producer', '.tickstream-ci', '.tickstream']) {
      const f = join(dir, 'stack.json');
      if (existsSync(f)) return (JSON.parse(readFileSync(f, 'utf8')) as { kafkaVersion: string }).kafkaVersion;
    }
    return 'unknown';
  })();
  const facts = [
    `- date: ${new Date().toISOString()}`,
    `- command: \`node --import tsx bench/producer/run.ts ${args.join(' ')}\``,
    `- machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM (${(freemem() / 2 ** 30).toFixed(0)} GiB free at the end), load average ${load0} at the start and ${loadavg()[0]!.toFixed(2)} at the end`,
    `- node ${process.version}, node-rdkafka ${(JSON.parse(readFileSync('node_modules/node-rdkafka/package.json', 'utf8')) as { version: string; librdkafka: string }).version} (librdkafka ${(JSON.parse(readFileSync('node_modules/node-rdkafka/package.json', 'utf8')) as { librdkafka: string }).librdkafka}), kcat ${version('sh', ['-c', 'kcat -V 2>&1 | grep -i "^version" | cut -c1-60'])}`,
    `- Kafka ${kafkaVersion}, ${brokers} broker(s) at ${bootstrap} on the same machine; topics: ${PARTITIONS} partitions, replication ${Math.min(3, brokers)}, min.insync.replicas ${Math.min(2, brokers)}`,
    `- CSV replay: ${ticksPerBar} ticks per daily bar, 20 symbols; simulator: 5 symbols`,
  ];
  const report = [...facts, '', ...rows].join('\n');
  process.stdout.write(`${report}\n`);
  if (writeTo) {
    const previous = existsSync(writeTo) ? readFileSync(writeTo, 'utf8') : '# Producer benchmark\n';
    writeFileSync(writeTo, `${previous.trimEnd()}\n\n## Run ${new Date().toISOString().slice(0, 16)}Z\n\n${report}\n`);
  }
}

await main();
