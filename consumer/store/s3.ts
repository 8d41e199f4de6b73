/**
 * The lake on S3 (or an S3-compatible server such as moto or MinIO: set the endpoint).
 * A PutObject is atomic by S3's contract (readers see the old object or the whole new one),
 * and durable once S3 answered; objects at or above the multipart threshold go up in parts
 * (`@aws-sdk/lib-storage`), which is also atomic: the object appears only on completion,
 * and a failed upload is aborted so no parts are left behind.
 *
 * Retries: the SDK retries a request once on its own (fast, for a dropped connection);
 * longer outages are the caller's to ride out with backoff (`retry.ts`), because only the
 * caller knows whether the partition is still its own to write.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { parseS3Url, type ObjectInfo, type ObjectStore } from './store.js';

export interface S3StoreOptions {
  /** `s3://bucket/prefix` */
  readonly url: string;
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
  readonly multipartThresholdBytes?: number;
  readonly partSizeBytes?: number;
  readonly requestTimeoutMs?: number;
}

export class S3Store implements ObjectStore {
  readonly url: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly client: S3Client;
  private readonly multipartThreshold: number;
  private readonly partSize: number;

  constructor(options: S3StoreOptions) {
    const { bucket, prefix } = parseS3Url(options.url);
    this.bucket = bucket;
    this.prefix = prefix;
    this.url = `s3://${bucket}${prefix ? `/${prefix}` : ''}`;
    this.multipartThreshold = options.multipartThresholdBytes ?? 16 * 1024 * 1024;
    this.partSize = Math.max(5 * 1024 * 1024, options.partSizeBytes ?? 8 * 1024 * 1024);
    this.client = new S3Client({
      region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
      ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
      maxAttempts: 2,
      requestHandler: { requestTimeout: options.requestTimeoutMs ?? 30_000, connectionTimeout: 5_000 },
    });
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    const params = { Bucket: this.bucket, Key: this.key(key), Body: body };
    if (body.length < this.multipartThreshold) {
      await this.client.send(new PutObjectCommand({ ...params, ContentLength: body.length }));
      return;
    }
    const upload = new Upload({ client: this.client, params, partSize: this.partSize, queueSize: 2, leavePartsOnError: false });
    await upload.done();
  }

  /** A local file's bytes: one PutObject below the multipart threshold, else parts read from disk. */
  async putFile(key: string, path: string): Promise<void> {
    const { size } = await stat(path);
    if (size < this.multipartThreshold) {
      await this.put(key, await readFile(path));
      return;
    }
    const body = createReadStream(path, { highWaterMark: 1024 * 1024 });
    try {
      const params = { Bucket: this.bucket, Key: this.key(key), Body: body, ContentLength: size };
      const upload = new Upload({ client: this.client, params, partSize: this.partSize, queueSize: 2, leavePartsOnError: false });
      await upload.done();
    } finally {
      body.destroy();
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return res.Body ? await res.Body.transformToByteArray() : new Uint8Array(0);
    } catch (err) {
      if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const base = this.prefix ? `${this.prefix}/` : '';
    for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: base + prefix })) {
      for (const o of page.Contents ?? []) if (o.Key) out.push(o.Key.slice(base.length));
    }
    return out;
  }

  async listInfo(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const base = this.prefix ? `${this.prefix}/` : '';
    for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: base + prefix })) {
      for (const o of page.Contents ?? []) {
        if (o.Key) out.push({ key: o.Key.slice(base.length), bytes: o.Size ?? 0, modifiedMs: o.LastModified?.getTime() ?? 0 });
      }
    }
    return out;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private key(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }
}
