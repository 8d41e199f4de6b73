/**
 * Reading back what a chaos run stored: the lake's raw/ticks with DuckDB, a topic with a
 * plain consumer (assigned partitions, no group), and copying an S3 bucket out and back in
 * (moto keeps objects in memory, so an outage that stops it must save and restore them).
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Kafka from 'node-rdkafka';
import { connectClient, consumeBatch, disconnectClient, highWatermark } from '../lib/rdkafka.js';
import { consumerSettings } from '../lib/kafka.js';
import type { KafkaConfig } from '../lib/settings.js';
import { LocalStore } from '../consumer/store/local.js';
import { S3Store } from '../consumer/store/s3.js';
import type { StoredTick } from './verify.js';

/** Every row of `<root>/raw/ticks` as (symbol, seq, partition, offset); empty when no file was written. */
export async function readLakeTicks(root: string): Promise<StoredTick[]> {
  const dir = join(root, 'raw', 'ticks');
  if (!existsSync(dir) || readdirSync(dir).length === 0) return [];
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const reader = await conn.runAndReadAll(
      `SELECT symbol, seq, kafka_partition AS p, kafka_offset AS o FROM read_parquet('${dir.replaceAll("'", "''")}/*/*.parquet', hive_partitioning = true)`,
    );
    return reader.getRowObjectsJS().map((r) => ({ symbol: String(r.symbol), seq: Number(r.seq), partition: Number(r.p), offset: Number(r.o) }));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Copies every object of the bucket into `dir` (emptied first); the number of objects. */
export async function saveBucket(bucket: string, endpoint: string, dir: string): Promise<number> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const s3 = new S3Store({ url: `s3://${bucket}`, endpoint, requestTimeoutMs: 10_000 });
  const local = new LocalStore(dir);
  try {
    const keys = await s3.list('');
    for (const k of keys) {
      const body = await s3.get(k);
      if (body) await local.put(k, body);
    }
    return keys.length;
  } finally {
    await s3.close();
  }
}

/** Creates the bucket (when missing) and puts back every object saved in `dir`. */
export async function restoreBucket(bucket: string, endpoint: string, dir: string): Promise<number> {
  const s3 = new S3Store({ url: `s3://${bucket}`, endpoint, requestTimeoutMs: 10_000 });
  try {
    await createBucket(s3, bucket);
    if (!existsSync(dir)) return 0;
    const local = new LocalStore(dir);
    const keys = await local.list('');
    for (const k of keys) await s3.put(k, (await local.get(k))!);
    return keys.length;
  } finally {
    await s3.close();
  }
}

export async function ensureBucket(bucket: string, endpoint: string): Promise<void> {
  const s3 = new S3Store({ url: `s3://${bucket}`, endpoint });
  try {
    await createBucket(s3, bucket);
  } finally {
    await s3.close();
  }
}

async function createBucket(s3: S3Store, bucket: string): Promise<void> {
  try {
    await s3.client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
  }
}

/** The sorted object keys of a bucket (to see when a frozen writer's last requests have landed). */
export async function listBucket(bucket: string, endpoint: string): Promise<string> {
  const s3 = new S3Store({ url: `s3://${bucket}`, endpoint, requestTimeoutMs: 5_000 });
  try {
    return (await s3.list('')).sort().join('\n');
  } finally {
    await s3.close();
  }
}

/** Every message of a topic's partitions, from the start to their end offsets now, as ticks (`symbol`, `seq` from the JSON value). */
export async function readTopicTicks(kafka: KafkaConfig, topic: string, partitions: number, timeoutMs: number): Promise<StoredTick[]> {
  const consumer = new Kafka.KafkaConsumer({ ...consumerSettings(kafka, `chaos-reader-${process.pid}-${Date.now()}`, 'chaos-reader') }, { 'auto.offset.reset': 'earliest' });
  await connectClient(consumer, 30_000);
  const out: StoredTick[] = [];
  try {
    const ends = await Promise.all(Array.from({ length: partitions }, (_, p) => highWatermark(consumer, topic, p, 10_000)));
    const positions = ends.map(() => 0);
    consumer.assign(ends.map((_, partition) => ({ topic, partition, offset: 0 })));
    const deadline = Date.now() + timeoutMs;
    while (positions.some((pos, p) => pos < ends[p]!)) {
      if (Date.now() > deadline) throw new Error(`reading ${topic} back did not finish within ${timeoutMs} ms: at ${positions.join(',')} of ${ends.join(',')}`);
      const batch = await consumeBatch(consumer, 1000);
      for (const m of batch) {
        positions[m.partition] = Math.max(positions[m.partition]!, m.offset + 1);
        const t = JSON.parse(m.value!.toString('utf8')) as { symbol: string; seq: number };
        out.push({ symbol: t.symbol, seq: t.seq, partition: m.partition, offset: m.offset });
      }
    }
    return out;
  } finally {
    await disconnectClient(consumer);
  }
}
