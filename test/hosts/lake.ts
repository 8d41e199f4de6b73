/**
 * Reads the lake the sink wrote to S3 (moto): downloads the raw tick files (only the new
 * ones on each call) and counts, with DuckDB, the Kafka messages they hold per partition.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
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

  /** Downloads the raw tick files not downloaded yet; returns how many files there are in all. */
  async sync(): Promise<number> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.prefix}/raw/ticks/`, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key?.endsWith('.parquet')) keys.push(o.Key);
      token = page.NextContinuationToken;
    } while (token);
    for (const key of keys) {
      const file = join(this.dir, key.replace(/\//g, '__'));
      if (existsSync(file)) continue;
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      writeFileSync(file, await res.Body!.transformToByteArray());
    }
    return keys.length;
  }

  /** Rows per Kafka partition of the ticks topic, as the lake holds them. */
  async counts(): Promise<PartitionCount[]> {
    if ((await this.sync()) === 0) return [];
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      const reader = await conn.runAndReadAll(
        `SELECT kafka_partition, count(*), count(DISTINCT kafka_offset), min(kafka_offset), max(kafka_offset)
         FROM read_parquet('${join(this.dir, '*.parquet')}') GROUP BY kafka_partition ORDER BY kafka_partition`,
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
