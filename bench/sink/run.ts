/**
 * Sink throughput beside the raw consume rate of the same topic, in one run.
 *
 *   node --import tsx bench/sink/run.ts [--ticks 1000000] [--partitions 6] [--moto-port 25001]
 *
 * Against the broker at TICKSTREAM_KAFKA_BOOTSTRAP: produces N ticks into a fresh topic,
 * then reads that topic four ways and reports each rate:
 *   kcat       `kcat -C -o beginning -e` (librdkafka's own C client) into /dev/null: the reference
 *   rdkafka    a bare node-rdkafka consume loop, no processing (what the Node client costs)
 *   sink-local the sink (consumer/main.ts, a child process) into a lake folder
 *   sink-s3    the sink into S3 (a private moto server, from .venv)
 * A sink's time runs from its "partitions assigned" log line to the moment the group's
 * committed offsets reach the end of every partition (polled every 100 ms), so it includes
 * encoding, writing, committing, and the idle flush of the last batches. Peak RSS is the
 * child's VmHWM; the average file size is over raw/ticks objects.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import Kafka from 'node-rdkafka';
import { clientSettings, consumerSettings } from '../../lib/kafka.js';
import { S3Store } from '../../consumer/store/s3.js';
import { createTopics, committedOffsets, endOffsets, tickStream } from '../../test/integration/consumer/support.js';
import { produceAll, requireKafka, sharedKafka } from '../../test/support/kafka.js';
import { startMoto, TEST_AWS_ENV } from '../../test/support/moto.js';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const TICKS = arg('ticks', 1_000_000);
const PARTITIONS = arg('partitions', 6);
const MOTO_PORT = arg('moto-port', 25_001);

interface Result {
  name: string;
  seconds: number;
  rate: number;
  peakRssMb?: number;
  files?: number;
  avgFileKb?: number;
}

const kafka = sharedKafka();
Object.assign(process.env, TEST_AWS_ENV); // moto accepts these; never real credentials
const log = (m: string): void => void process.stderr.write(`${m}\n`);

async function main(): Promise<void> {
  const brokers = await requireKafka(kafka);
  const prefix = `bench-sink-${Date.now()}.`;
  const topics = await createTopics(kafka, prefix, PARTITIONS, brokers);
  log(`producing ${TICKS} ticks into ${topics.ticks} (${PARTITIONS} partitions, ${brokers} brokers)`);
  // 50 busy minutes of 500 symbols (from 14:00 UTC): one dt, batches cut by count.
  const stream = tickStream(TICKS, { symbols: 500, spanMs: 3_000_000, start: Date.UTC(2024, 2, 4, 14), seed: 5 });
  for (let i = 0; i < stream.messages.length; i += 200_000) await produceAll(kafka, topics.ticks, stream.messages.slice(i, i + 200_000));
  const end = await endOffsets(kafka, topics.ticks, PARTITIONS);
  const total = [...end.values()].reduce((a, b) => a + b, 0);
  const bytes = stream.messages.reduce((n, m) => n + m.value.length + m.key.length, 0);
  log(`produced ${total} messages, ${(bytes / 1e6).toFixed(0)} MB of keys and values`);

  const results: Result[] = [];
  results.push(kcat(topics.ticks, total));
  results.push(await rdkafka(topics.ticks, total));
  const lake = mkdtempSync(join(tmpdir(), 'tickstream-bench-lake-'));
  results.push(await sink('sink-local', `${prefix}local`, { TICKSTREAM_LAKE: lake }, prefix, end, total, () => fileStats(join(lake, 'raw', 'ticks'))));
  rmSync(lake, { recursive: true, force: true });

  const moto = await startMoto(MOTO_PORT);
  try {
    const bucket = 'bench-lake';
    const store = new S3Store({ url: `s3://${bucket}`, endpoint: moto.endpoint });
    await store.client.send(new CreateBucketCommand({ Bucket: bucket }));
    const s3Stats = async (): Promise<{ files: number; bytes: number }> => {
      let files = 0;
      let size = 0;
      for (const key of await store.list('tickstream/raw/ticks/')) {
        files++;
        size += (await store.get(key))!.length;
      }
      return { files, bytes: size };
    };
    results.push(
      await sink('sink-s3', `${prefix}s3`, { ...TEST_AWS_ENV, TICKSTREAM_LAKE: `s3://${bucket}/tickstream`, TICKSTREAM_S3_ENDPOINT: moto.endpoint }, prefix, end, total, s3Stats),
    );
    await store.close();
  } finally {
    await moto.stop();
  }
  await deleteTopics([topics.ticks, topics.dlq]);

  const reference = results[0]!.rate;
  const lines = [
    `ticks: ${total}, partitions: ${PARTITIONS}, brokers: ${brokers}, message size: ${(bytes / total).toFixed(0)} B`,
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB (${(freemem() / 2 ** 30).toFixed(1)} free), load ${loadavg().map((l) => l.toFixed(1)).join(' ')}, node ${process.version}`,
    '',
    '| reader | seconds | ticks/s | vs kcat | peak RSS | raw/ticks files | avg file |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.name} | ${r.seconds.toFixed(2)} | ${Math.round(r.rate).toLocaleString('en-US')} | ${(r.rate / reference).toFixed(2)} | ${r.peakRssMb ? `${r.peakRssMb.toFixed(0)} MB` : '-'} | ${r.files ?? '-'} | ${r.avgFileKb ? `${(r.avgFileKb / 1024).toFixed(2)} MB` : '-'} |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function kcat(topic: string, total: number): Result {
  log('kcat -C ...');
  const t0 = performance.now();
  const res = spawnSync('kcat', ['-C', '-b', kafka.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\n'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const seconds = (performance.now() - t0) / 1000;
  if (res.status !== 0) throw new Error(`kcat failed (apt-get install kcat): ${res.stderr ?? res.error?.message}`);
  return { name: 'kcat (reference)', seconds, rate: total / seconds };
}

async function rdkafka(topic: string, total: number): Promise<Result> {
  log('node-rdkafka bare consume loop ...');
  const consumer = new Kafka.KafkaConsumer(
    { ...consumerSettings(kafka, `bench-raw-${Date.now()}`, 'bench'), 'fetch.max.bytes': 52_428_800, 'queued.max.messages.kbytes': 65_536 },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 15_000 }, (err) => (err ? reject(err) : resolve())));
  consumer.setDefaultConsumeTimeout(100);
  consumer.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition, offset: -2 })));
  let seen = 0;
  const t0 = performance.now();
  while (seen < total) {
    seen += await new Promise<number>((resolve, reject) => consumer.consume(5000, (err, m) => (err ? reject(err) : resolve(m.length))));
  }
  const seconds = (performance.now() - t0) / 1000;
  await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  return { name: 'node-rdkafka, no processing', seconds, rate: total / seconds };
}

async function sink(
  name: string,
  group: string,
  env: Record<string, string>,
  prefix: string,
  end: Map<number, number>,
  total: number,
  stats: () => { files: number; bytes: number } | Promise<{ files: number; bytes: number }>,
): Promise<Result> {
  log(`${name} ...`);
  const child = spawn(process.execPath, ['--import', 'tsx', 'consumer/main.ts'], {
    env: {
      ...process.env,
      TICKSTREAM_TOPIC_PREFIX: prefix,
      TICKSTREAM_SINK_GROUP: group,
      TICKSTREAM_SINK_METRICS: 'false',
      TICKSTREAM_SINK_ROTATE_RECORDS: '100000',
      TICKSTREAM_SINK_IDLE_FLUSH_MS: '500',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let assignedAt = 0;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (!assignedAt && stderr.includes('"msg":"partitions assigned"')) assignedAt = performance.now();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${name} exited: ${stderr.slice(-2000)}`);
      if (assignedAt) {
        const committed = await committedOffsets(kafka, group, `${prefix}ticks`, end.size);
        if ([...end].every(([p, e]) => (committed.get(p) ?? -1) >= e)) break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (performance.now() - assignedAt) / 1000;
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    child.kill('SIGTERM');
    await exited;
    const s = await stats();
    return { name: `tickstream sink, ${name === 'sink-local' ? 'local lake' : 'S3 (moto)'}`, seconds, rate: total / seconds, peakRssMb: Number(hwm?.[1] ?? 0) / 1024, files: s.files, avgFileKb: s.bytes / s.files / 1024 };
  } finally {
    child.kill('SIGKILL');
  }
}

function fileStats(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const day of readdirSync(dir)) {
    for (const f of readdirSync(join(dir, day))) {
      files++;
      bytes += statSync(join(dir, day, f)).size;
    }
  }
  return { files, bytes };
}

async function deleteTopics(names: string[]): Promise<void> {
  const admin = Kafka.AdminClient.create({ ...clientSettings(kafka, 'bench-admin') } as Kafka.GlobalConfig);
  for (const n of names) await new Promise<void>((resolve) => admin.deleteTopic(n, 10_000, () => resolve()));
  admin.disconnect();
}

await main();
