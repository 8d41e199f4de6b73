/**
 * Reads the lake the sink wrote to S3 (moto): downloads the raw tick files (only the new
 * ones on each call) and counts, with DuckDB, the Kafka messages they hold per partition,
 * reading what a listing engine (Athena) reads.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PartitionCount {
  readonly partition: number;
  readonly rows: number;
  readonly distinctOffsets: number;
  readonly minOffset: number;
  readonly maxOffset: number;
}

export class LakeReader {
  private readonly s3: S3Client;
  constructor(
    endpoint: string,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly dir: string,
  ) {
    this.s3 = new S3Client({
      endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    mkdirSync(dir, { recursive: true });
  }

  get client(): S3Client {
    return this.s3;
  }

  /**
   * The raw tick files a listing engine reads now (names starting with `_` or `.` are hidden,
   * as in Athena), as S3 keys: downloaded when new, and local copies of keys gone from S3
   * (files a compaction replaced) dropped. Returns the local copies of the keys listed.
   */
  async sync(): Promise<{ keys: string[]; files: string[] }> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.prefix}/raw/ticks/`, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        const name = o.Key?.split('/').pop() ?? '';
        if (name.endsWith('.parquet') && !name.startsWith('_') && !name.startsWith('.')) keys.push(o.Key!);
      }
      token = page.NextContinuationToken;
    } while (token);
    const files = keys.map((key) => join(this.dir, key.replace(/\//g, '__')));
    for (const [i, key] of keys.entries()) {
      if (existsSync(files[i]!)) continue;
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      writeFileSync(files[i]!, await res.Body!.transformToByteArray());
    }
    const listed = new Set(files);
    for (const name of readdirSync(this.dir)) if (!listed.has(join(this.dir, name))) rmSync(join(this.dir, name));
    return { keys, files };
  }

  /** Rows per Kafka partition of the ticks topic, as the lake holds them. */
  async counts(): Promise<PartitionCount[]> {
    const { files } = await this.sync();
    if (files.length === 0) return [];
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      const reader = await conn.runAndReadAll(
        `SELECT kafka_partition, count(*), count(DISTINCT kafka_offset), min(kafka_offset), max(kafka_offset)
         FROM read_parquet([${files.map((f) => `'${f}'`).join(', ')}]) GROUP BY kafka_partition ORDER BY kafka_partition`,
      );
      return reader.getRows().map((r) => ({
        partition: Number(r[0]),
        rows: Number(r[1]),
        distinctOffsets: Number(r[2]),
        minOffset: Number(r[3]),
        maxOffset: Number(r[4]),
      }));
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  }
}
