/**
 * Bare-client benchmark of the batch-native path (issue 15): on one cluster (the one
 * TICKSTREAM_KAFKA_BOOTSTRAP names, e.g. `tickstream stack up --brokers 3 --topics`), N
 * tick-like messages produced by kcat (librdkafka's own C client), node-rdkafka and the
 * addon, each into a fresh topic, with the producer's settings (idempotent, acks=all, one
 * in flight, lz4, linger 20 ms); then the kcat topic consumed by each of the three with the
 * sink's fetch settings. Per run: msgs/s, CPU µs/msg, peak RSS, ratio to kcat.
 *
 *   node --import tsx bench/native/run.ts [--messages 200000] [--partitions 6] [--json]
 *
 * Client times run from the first message to the last acknowledgement or message (start-up
 * and loading the input not counted); kcat's are its whole process (start-up included,
 * which favours the Node clients slightly). CPU is the process's, all threads. Numbers taken
 * on a loaded machine are not results: run it on a quiet one (bench/native/RESULTS.md).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTopics } from '../../lib/admin.js';
import { loadNativeKafka } from '../../lib/kafka-batch.js';
import { encodeTick } from '../../lib/tick.js';
import { requireKafka, sharedKafka } from '../../test/support/kafka.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const N = opt('--messages', 200_000);
const PARTITIONS = opt('--partitions', 6);
const kafka = sharedKafka();
const say = (m: string): void => void process.stderr.write(`${m}\n`);

interface Row {
  readonly what: string;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly peakRssMib: number;
}

/** Runs a command under /usr/bin/time; its own JSON line (if `own`) replaces the wall and CPU times. */
function timed(command: string, argv: readonly string[], own: boolean): Promise<{ seconds: number; cpuSeconds: number; peakRssMib: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'TIME %e %U %S %M', command, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(err);
      if (code !== 0 || !m) return reject(new Error(`${command} ${argv.join(' ')} failed (${code}): ${err.slice(-1500)}`));
      const peakRssMib = Number(m[4]) / 1024;
      if (!own) return resolve({ seconds: Number(m[1]), cpuSeconds: Number(m[2]) + Number(m[3]), peakRssMib });
      const j = JSON.parse(out.trim().split('\n').pop()!) as { seconds: number; cpuSeconds: number; failed?: number };
      if (j.failed) return reject(new Error(`${command}: ${j.failed} messages failed`));
      resolve({ seconds: j.seconds, cpuSeconds: j.cpuSeconds, peakRssMib });
    });
  });
}

const client = (...a: string[]): Promise<{ seconds: number; cpuSeconds: number; peakRssMib: number }> =>
  timed(process.execPath, ['--import', 'tsx', 'bench/native/client.ts', ...a], true);

function kcatProducerArgs(topic: string, file: string): string[] {
  return [
    '-P', '-b', kafka.bootstrap, '-t', topic, '-K', '\t', '-l',
    '-X', 'enable.idempotence=true', '-X', 'acks=all', '-X', 'max.in.flight.requests.per.connection=1',
    '-X', 'compression.type=lz4', '-X', 'linger.ms=20', '-X', 'batch.num.messages=10000', '-X', 'batch.size=1000000',
    '-X', 'partitioner=murmur2_random', file,
  ];
}

async function main(): Promise<void> {
  await requireKafka(kafka);
  const native = loadNativeKafka();
  if (!native.ok) throw new Error(native.reason);
  const dir = mkdtempSync(join(tmpdir(), 'tickstream-bench-native-'));
  const file = join(dir, 'messages.tsv');
  const symbols = ['AAPL', 'MSFT', 'GOOG', 'AMZN', 'NVDA', 'TSLA', 'META', 'BRK.B', 'JPM', 'V'];
  const lines: string[] = [];
  for (let i = 0; i < N; i++) {
    const symbol = symbols[i % symbols.length]!;
    const tick = { symbol, ts: 1_704_205_800_000 + i, price: 100 + (i % 1000) / 100, volume: 100 + (i % 37), exchange: 'NASDAQ', currency: 'USD', source: 'sim', seq: Math.floor(i / symbols.length) };
    lines.push(`${symbol}\t${encodeTick(tick).toString('utf8')}`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  const run = randomBytes(3).toString('hex');
  const topics = { kcat: `bench-native-${run}-kcat`, rdkafka: `bench-native-${run}-rdkafka`, native: `bench-native-${run}-native` };
  await ensureTopics(kafka, Object.values(topics).map((name) => ({ name, partitions: PARTITIONS, replicationFactor: 3, config: { 'min.insync.replicas': '2' } })));

  const rows: Row[] = [];
  try {
    say('produce: kcat ...');
    rows.push({ what: 'produce: kcat -P', ...(await timed('kcat', kcatProducerArgs(topics.kcat, file), false)) });
    say('produce: node-rdkafka ...');
    rows.push({ what: 'produce: node-rdkafka', ...(await client('produce', 'rdkafka', topics.rdkafka, file)) });
    say('produce: native addon ...');
    rows.push({ what: 'produce: native addon', ...(await client('produce', 'native', topics.native, file)) });
    say('consume: kcat ...');
    rows.push({ what: 'consume: kcat -C', ...(await timed('kcat', ['-C', '-b', kafka.bootstrap, '-t', topics.kcat, '-o', 'beginning', '-e', '-q', '-f', '%s\n'], false)) });
    say('consume: node-rdkafka ...');
    rows.push({ what: 'consume: node-rdkafka', ...(await client('consume', 'rdkafka', topics.kcat, String(PARTITIONS), String(N))) });
    say('consume: native addon ...');
    rows.push({ what: 'consume: native addon', ...(await client('consume', 'native', topics.kcat, String(PARTITIONS), String(N))) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const ref = (r: Row): Row => rows.find((x) => x.what === `${r.what.split(':')[0]}: kcat ${r.what.startsWith('produce') ? '-P' : '-C'}`)!;
  const result = rows.map((r) => ({
    what: r.what,
    msgs_per_s: Math.round(N / r.seconds),
    vs_kcat: Number((ref(r).seconds / r.seconds).toFixed(2)),
    cpu_us_per_msg: Number(((r.cpuSeconds * 1e6) / N).toFixed(2)),
    peak_rss_mib: Math.round(r.peakRssMib),
  }));
  const table = [
    `${N.toLocaleString('en-US')} messages, ${PARTITIONS} partitions, librdkafka ${native.addon.librdkafkaVersion}, node ${process.version}`,
    '',
    '| client | msgs/s | vs kcat | CPU µs/msg | peak RSS MiB |',
    '|---|---:|---:|---:|---:|',
    ...result.map((r) => `| ${r.what} | ${r.msgs_per_s.toLocaleString('en-US')} | ${r.vs_kcat} | ${r.cpu_us_per_msg} | ${r.peak_rss_mib} |`),
  ];
  process.stdout.write(`${table.join('\n')}\n`);
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify({ messages: N, partitions: PARTITIONS, results: result })}\n`);
}

await main();
