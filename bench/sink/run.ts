/**
 * Sink throughput beside the raw consume rate of the same topic, in the same run.
 *
 *   node --import tsx bench/sink/run.ts [--ticks 1000000] [--partitions 6] [--runs 3]
 *        [--s3 1] [--moto-port 25190]
 *
 * Against the brokers at TICKSTREAM_KAFKA_BOOTSTRAP it produces N ticks into a fresh topic
 * once, then, `--runs` times, reads that whole topic these ways, one after the other:
 *   kcat        `kcat -C -o beginning -e` into /dev/null (librdkafka's own C client): the
 *               reference, measured right before every sink it is paired with;
 *   java        Apache Kafka's ConsumerPerformance tool (the pinned 3.9.2 jars), once a run;
 *   bare        a node-rdkafka loop that drops the messages (`bare-consumer.ts`): the Node
 *               client's own ceiling;
 *   sink        `consumer/main.ts` into a lake folder, and into S3 (a private moto server)
 *               unless `--s3 0`; each paired with the kcat run right before it.
 * A sink's time runs from its first "partitions assigned" log line until the group's
 * committed offsets reach the end of every partition, so it includes decoding, Parquet
 * encoding, writing (fsync / upload), committing, and the idle flush of the last batches.
 * Then it is stopped with SIGTERM and must exit 0 (a clean shutdown).
 * CPU is user + system time of the sink process (all threads) in that window; peak RSS is its
 * resident memory sampled every 250 ms (and its own peak, VmHWM).
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { cpus, homedir, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import Kafka from 'node-rdkafka';
import { S3Store } from '../../consumer/store/s3.js';
import { clientSettings } from '../../lib/kafka.js';
import { distributionFor, jarsPresent, libsDirFor } from '../../local/jars.js';
import { createTopics, endOffsets, tickStream } from '../../test/integration/consumer/support.js';
import { produceAll, requireKafka, sharedKafka } from '../../test/support/kafka.js';
import { startMoto, TEST_AWS_ENV, type MotoServer } from '../../test/support/moto.js';
import { load } from '../proc.js';
import { fileStats, kcatConsumeArgs, measureSink, rdkafkaVersion, requireKcat } from '../shared.js';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const TICKS = Number(arg('ticks', '1000000'));
const PARTITIONS = Number(arg('partitions', '6'));
const RUNS = Number(arg('runs', '3'));
const WITH_S3 = arg('s3', '1') !== '0';
const MOTO_PORT = Number(arg('moto-port', '25190'));

const kafka = sharedKafka();
Object.assign(process.env, TEST_AWS_ENV); // moto accepts these; never real credentials
const say = (m: string): void => void process.stderr.write(`${m}\n`);

interface Measured {
  readonly name: string;
  readonly seconds: number;
  readonly cpuSeconds?: number;
  /** The kcat rate this row is compared with. */
  readonly reference?: number;
  readonly peakRssMb?: number;
  readonly hwmMb?: number;
  readonly files?: number;
  readonly avgFileMb?: number;
  readonly note?: string;
}

interface Topic {
  readonly name: string;
  readonly prefix: string;
  readonly end: Map<number, number>;
  readonly total: number;
}

async function main(): Promise<void> {
  const brokers = await requireKafka(kafka);
  const prefix = `bench-sink-${Date.now()}.`;
  const topics = await createTopics(kafka, prefix, PARTITIONS, brokers);
  say(`producing ${TICKS} ticks into ${topics.ticks} (${PARTITIONS} partitions, ${brokers} brokers)`);
  // 50 busy minutes of 500 symbols (from 14:00 UTC): one dt, batches cut by count.
  const stream = tickStream(TICKS, { symbols: 500, spanMs: 3_000_000, start: Date.UTC(2024, 2, 4, 14), seed: 5 });
  for (let i = 0; i < stream.messages.length; i += 200_000) await produceAll(kafka, topics.ticks, stream.messages.slice(i, i + 200_000));
  const end = await endOffsets(kafka, topics.ticks, PARTITIONS);
  const topic: Topic = { name: topics.ticks, prefix, end, total: [...end.values()].reduce((a, b) => a + b, 0) };
  const bytes = stream.messages.reduce((n, m) => n + m.value.length + m.key.length, 0);

  const out: string[] = [
    `ticks: ${topic.total}, partitions: ${PARTITIONS}, brokers: ${brokers}, message: ${(bytes / topic.total).toFixed(0)} B (key + JSON value), lz4`,
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    `versions: ${versions()}`,
    `load average at start: ${load()}`,
  ];
  const moto = WITH_S3 ? await startMoto(MOTO_PORT) : null;
  const ratios = new Map<string, number[]>();
  try {
    for (let run = 1; run <= RUNS; run++) {
      const loadBefore = load();
      const rows: Measured[] = [];
      const kcats: number[] = [];
      const paired = async (sinkRun: () => Promise<Measured>): Promise<void> => {
        const ref = await kcat(topic);
        kcats.push(topic.total / ref.seconds);
        rows.push(ref);
        const r = await sinkRun();
        rows.push({ ...r, reference: topic.total / ref.seconds });
        const ratio = topic.total / r.seconds / (topic.total / ref.seconds);
        ratios.set(r.name, [...(ratios.get(r.name) ?? []), ratio]);
      };
      await paired(() => sinkLocal(topic, run));
      if (moto) await paired(() => sinkS3(topic, run, moto));
      const reference = median(kcats);
      rows.push({ ...(await consumerPerformance(topic)), reference });
      rows.push({ ...(await bare(topic)), reference });
      out.push('', `### run ${run}: load ${loadBefore} before, ${load()} after`, '', ...table(topic.total, rows));
      say(out.slice(-rows.length - 4).join('\n'));
    }
  } finally {
    await moto?.stop();
    await deleteTopics([topics.ticks, topics.dlq]);
  }
  out.push('', '### ratio to kcat (paired), every run', '', '| sink | runs | median | min | max |', '|---|---|---:|---:|---:|');
  for (const [name, rs] of ratios) {
    out.push(`| ${name} | ${rs.map((r) => r.toFixed(2)).join(', ')} | ${median(rs).toFixed(2)} | ${Math.min(...rs).toFixed(2)} | ${Math.max(...rs).toFixed(2)} |`);
  }
  out.push('', `load average at end: ${load()}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

/** Node, node-rdkafka (and its librdkafka), kcat (and its librdkafka), the Kafka jars the stack runs. */
function versions(): string {
  return `node ${process.version}; ${rdkafkaVersion()}; kcat ${requireKcat()}; Kafka ${distributionFor('zookeeper').kafkaVersion} (ZooKeeper mode)`;
}

function table(total: number, rows: readonly Measured[]): string[] {
  const num = (n: number): string => Math.round(n).toLocaleString('en-US');
  return [
    '| reader | seconds | msgs/s | vs kcat | CPU µs/msg | peak RSS (sampled; VmHWM) | raw/ticks files | avg file |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => {
      const rate = total / r.seconds;
      return [
        `${r.name}${r.note ? ` (${r.note})` : ''}`,
        r.seconds.toFixed(2),
        num(rate),
        r.reference ? (rate / r.reference).toFixed(2) : '-',
        r.cpuSeconds !== undefined ? ((r.cpuSeconds * 1e6) / total).toFixed(1) : '-',
        r.peakRssMb ? `${r.peakRssMb.toFixed(0)} MB; ${r.hwmMb!.toFixed(0)} MB` : '-',
        r.files ?? '-',
        r.avgFileMb ? `${r.avgFileMb.toFixed(2)} MB` : '-',
      ].join(' | ');
    }).map((line) => `| ${line} |`),
  ];
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/**
 * Runs a command under /usr/bin/time: wall and CPU seconds from its report. Its standard
 * output goes to /dev/null unless `keep` (then it is returned).
 */
function timed(command: string, args: readonly string[], keep = false): Promise<{ seconds: number; cpuSeconds: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const devNull = keep ? null : openSync('/dev/null', 'w');
    const child = spawn('/usr/bin/time', ['-f', 'TIME %e %U %S', command, ...args], { stdio: ['ignore', devNull ?? 'pipe', 'pipe'] });
    if (devNull !== null) closeSync(devNull);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(stderr);
      if (code !== 0 || !m) return reject(new Error(`${command} failed (${code}): ${stderr.slice(-1500)}`));
      resolve({ seconds: Number(m[1]), cpuSeconds: Number(m[2]) + Number(m[3]), stdout });
    });
  });
}

async function kcat(topic: Topic): Promise<Measured> {
  say('kcat -C ...');
  // The whole topic from the beginning to its end (-e), values only, into /dev/null.
  const r = await timed('kcat', kcatConsumeArgs(kafka.bootstrap, topic.name));
  return { name: 'kcat -C (reference)', seconds: r.seconds, cpuSeconds: r.cpuSeconds };
}

async function consumerPerformance(topic: Topic): Promise<Measured> {
  const cache = process.env.TICKSTREAM_CACHE ?? join(homedir(), '.cache', 'tickstream');
  const libs = libsDirFor(distributionFor('zookeeper'), cache);
  if (!jarsPresent(libs) && !existsSync(libs)) return { name: 'Kafka ConsumerPerformance', seconds: NaN, note: `no jars in ${libs}: run the stack once` };
  say('ConsumerPerformance ...');
  const r = await timed('java', [
    '-cp',
    `${libs}/*`,
    'org.apache.kafka.tools.ConsumerPerformance',
    '--bootstrap-server',
    kafka.bootstrap,
    '--topic',
    topic.name,
    '--messages',
    String(topic.total),
    '--group',
    `${topic.prefix}perf-${Date.now()}`,
    '--timeout',
    '120000',
  ], true);
  // start.time, end.time, MB, MB.sec, nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const line = r.stdout.trim().split('\n').pop()!.split(',').map((s) => s.trim());
  const seconds = topic.total / Number(line[5]);
  const fetchRate = Number(line[9]);
  // The JVM's start-up is not in its own timing; its CPU is (whole process).
  return { name: 'Kafka ConsumerPerformance (java)', seconds, cpuSeconds: r.cpuSeconds, note: `group join included; fetch only ${Math.round(fetchRate).toLocaleString('en-US')}/s; CPU incl. JVM start` };
}

async function bare(topic: Topic): Promise<Measured> {
  say('node-rdkafka bare loop ...');
  const r = await timed(process.execPath, ['--import', 'tsx', 'bench/sink/bare-consumer.ts', topic.name, String(PARTITIONS), String(topic.total)], true);
  const own = JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number; cpuSeconds: number };
  return { name: 'node-rdkafka consume loop, no processing', seconds: own.seconds, cpuSeconds: own.cpuSeconds };
}

async function sinkLocal(topic: Topic, run: number): Promise<Measured> {
  const lake = mkdtempSync(join(tmpdir(), 'tickstream-bench-lake-'));
  try {
    return await sink('sink, local lake', topic, `${topic.prefix}local-${run}`, { TICKSTREAM_LAKE: lake }, () =>
      fileStats(join(lake, 'raw', 'ticks')),
    );
  } finally {
    rmSync(lake, { recursive: true, force: true });
  }
}

async function sinkS3(topic: Topic, run: number, moto: MotoServer): Promise<Measured> {
  const bucket = `bench-lake-${run}-${Date.now()}`;
  const store = new S3Store({ url: `s3://${bucket}`, endpoint: moto.endpoint });
  try {
    await store.client.send(new CreateBucketCommand({ Bucket: bucket }));
    const stats = async (): Promise<{ files: number; bytes: number }> => {
      const keys = await store.list('tickstream/raw/ticks/');
      let size = 0;
      for (const key of keys) size += (await store.get(key))!.length;
      return { files: keys.length, bytes: size };
    };
    const env = { ...TEST_AWS_ENV, TICKSTREAM_LAKE: `s3://${bucket}/tickstream`, TICKSTREAM_S3_ENDPOINT: moto.endpoint };
    return await sink('sink, S3 (moto)', topic, `${topic.prefix}s3-${run}`, env, stats);
  } finally {
    await store.close();
  }
}

/** One sink run on the topic, measured (../shared.ts), with the lake's files counted after. */
async function sink(
  name: string,
  topic: Topic,
  group: string,
  env: Record<string, string>,
  stats: () => { files: number; bytes: number } | Promise<{ files: number; bytes: number }>,
): Promise<Measured> {
  say(`${name} ...`);
  const r = await measureSink({
    kafka,
    topic: topic.name,
    end: topic.end,
    group,
    env: {
      ...process.env,
      TICKSTREAM_TOPIC_PREFIX: topic.prefix,
      TICKSTREAM_SINK_METRICS: 'false',
      TICKSTREAM_SINK_ROTATE_RECORDS: '100000',
      TICKSTREAM_SINK_IDLE_FLUSH_MS: '1000',
      ...env,
    },
  });
  const s = await stats();
  return {
    name,
    seconds: r.seconds,
    cpuSeconds: r.cpuSeconds,
    peakRssMb: r.peakRssMib,
    hwmMb: r.hwmMib,
    files: s.files,
    avgFileMb: s.bytes / s.files / 2 ** 20,
    ...(r.exitCode !== 0 ? { note: `UNCLEAN STOP: exit ${r.exitCode}` } : {}),
  };
}

async function deleteTopics(names: string[]): Promise<void> {
  const admin = Kafka.AdminClient.create({ ...clientSettings(kafka, 'bench-admin') } as Kafka.GlobalConfig);
  for (const n of names) await new Promise<void>((resolve) => admin.deleteTopic(n, 10_000, () => resolve()));
  admin.disconnect();
}

await main();
