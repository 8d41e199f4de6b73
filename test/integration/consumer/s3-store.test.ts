/**
 * The S3 object store against a real S3 protocol server (moto): the contract the write
 * protocol relies on (atomic put, get of a missing key, delete of a missing key, list by
 * prefix), multipart upload for large objects, and a key prefix below the bucket.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireMoto, TEST_AWS_ENV } from '../../support/moto.js';
import { S3Store } from '../../../consumer/store/s3.js';
import { parseS3Url } from '../../../consumer/store/store.js';

describe('S3 store (moto)', function () {
  this.timeout(60_000);
  let store: S3Store;
  const bucket = `sink-store-${process.pid}-${Date.now()}`;

  before(async () => {
    Object.assign(process.env, TEST_AWS_ENV);
    const endpoint = await requireMoto();
    store = new S3Store({ url: `s3://${bucket}/lake/`, endpoint, multipartThresholdBytes: 6 * 1024 * 1024, partSizeBytes: 5 * 1024 * 1024 });
    await store.client.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  after(async () => store?.close());

  it('puts, gets, lists by prefix and deletes, under the lake prefix', async () => {
    await store.put('raw/ticks/dt=2024-01-02/a+0+1.parquet', Buffer.from('one'));
    await store.put('raw/ticks/dt=2024-01-02/a+0+1.parquet', Buffer.from('two')); // replaces
    await store.put('_sink/intents/a+0+1.json', Buffer.from('{}'));
    await store.put('_sink/intents/a+10+1.json', Buffer.from('{}'));
    expect(Buffer.from((await store.get('raw/ticks/dt=2024-01-02/a+0+1.parquet'))!).toString()).to.equal('two');
    expect(await store.get('raw/ticks/missing.parquet')).to.equal(null);
    expect(await store.list('_sink/intents/a+0+')).to.deep.equal(['_sink/intents/a+0+1.json']);
    expect((await store.list('')).sort()).to.deep.equal(['_sink/intents/a+0+1.json', '_sink/intents/a+10+1.json', 'raw/ticks/dt=2024-01-02/a+0+1.parquet']);
    await store.delete('_sink/intents/a+0+1.json');
    await store.delete('_sink/intents/never-written.json');
    expect(await store.list('_sink/')).to.deep.equal(['_sink/intents/a+10+1.json']);
  });

  it('uploads a large object in parts and reads it back whole', async () => {
    const body = Buffer.alloc(13 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4096) body[i] = i % 251;
    await store.put('big/object.bin', body);
    const got = await store.get('big/object.bin');
    expect(got!.length).to.equal(body.length);
    expect(Buffer.from(got!).equals(body)).to.equal(true);
  });

  it('puts local files: a small one in one request, a large one in parts read from disk, the file left in place', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickstream-s3-putfile-'));
    try {
      const small = join(dir, 'small.parquet');
      writeFileSync(small, 'small body');
      await store.putFile('raw/ticks/dt=2024-01-02/s+0+1.parquet', small);
      expect(Buffer.from((await store.get('raw/ticks/dt=2024-01-02/s+0+1.parquet'))!).toString()).to.equal('small body');
      const big = join(dir, 'big.parquet');
      const body = Buffer.alloc(11 * 1024 * 1024 + 123);
      for (let i = 0; i < body.length; i += 1000) body[i] = (i / 1000) % 253;
      writeFileSync(big, body);
      await store.putFile('raw/ticks/dt=2024-01-02/b+0+1.parquet', big);
      expect(Buffer.from((await store.get('raw/ticks/dt=2024-01-02/b+0+1.parquet'))!).equals(body)).to.equal(true);
      expect(readFileSync(big).length).to.equal(body.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses lake URLs', () => {
    expect(parseS3Url('s3://my-bucket/a/b/')).to.deep.equal({ bucket: 'my-bucket', prefix: 'a/b' });
    expect(parseS3Url('s3://my-bucket')).to.deep.equal({ bucket: 'my-bucket', prefix: '' });
    expect(() => parseS3Url('s3:/x')).to.throw();
  });
});
