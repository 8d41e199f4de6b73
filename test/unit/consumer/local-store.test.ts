import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore } from '../../../consumer/store/local.js';

describe('local folder store', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'tickstream-store-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('puts by rename (no temp file left), replaces, lists by key prefix, deletes missing keys quietly', async () => {
    const store = new LocalStore(root);
    await store.put('raw/ticks/dt=2024-01-02/t+0+1.parquet', Buffer.from('a'));
    await store.put('raw/ticks/dt=2024-01-02/t+0+1.parquet', Buffer.from('b'));
    await store.put('_sink/intents/t+0+1.json', Buffer.from('{}'));
    await store.put('_sink/intents/t+10+1.json', Buffer.from('{}'));
    expect(Buffer.from((await store.get('raw/ticks/dt=2024-01-02/t+0+1.parquet'))!).toString()).to.equal('b');
    expect(await store.get('raw/ticks/nothing')).to.equal(null);
    expect(await store.list('_sink/intents/t+0+')).to.deep.equal(['_sink/intents/t+0+1.json']);
    expect((await store.list('')).sort()).to.deep.equal(['_sink/intents/t+0+1.json', '_sink/intents/t+10+1.json', 'raw/ticks/dt=2024-01-02/t+0+1.parquet']);
    expect(readdirSync(join(root, '_sink', 'tmp'))).to.deep.equal([]);
    await store.delete('_sink/intents/t+0+1.json');
    await store.delete('_sink/intents/never.json');
    expect(await store.list('_sink/intents/')).to.deep.equal(['_sink/intents/t+10+1.json']);
    await store.put('../outside', Buffer.from('x')).then(
      () => expect.fail('a key outside the lake was written'),
      (err: Error) => expect(err.message).to.match(/outside the lake/),
    );
  });

  it('puts a spooled file under a second name (no copy), keeps the file for a retry, replaces, and does not list the spool', async () => {
    const store = new LocalStore(root);
    const spool = join(root, '_sink', 'spool', '123');
    mkdirSync(spool, { recursive: true });
    const file = join(spool, 'ticks+0+1.0.ticks.2024-01-02.parquet');
    writeFileSync(file, 'first');
    await store.putFile('raw/ticks/dt=2024-01-02/t+0+1.parquet', file);
    await store.putFile('raw/ticks/dt=2024-01-02/t+0+1.parquet', file); // a retry of the same batch
    expect(readFileSync(join(root, 'raw/ticks/dt=2024-01-02/t+0+1.parquet'), 'utf8')).to.equal('first');
    expect(statSync(file).ino, 'the object is the spooled file itself').to.equal(statSync(join(root, 'raw/ticks/dt=2024-01-02/t+0+1.parquet')).ino);
    expect(readdirSync(spool)).to.deep.equal(['ticks+0+1.0.ticks.2024-01-02.parquet']);
    expect(await store.list('')).to.deep.equal(['raw/ticks/dt=2024-01-02/t+0+1.parquet']);
    expect(readdirSync(join(root, '_sink', 'tmp'))).to.deep.equal([]);
    // A spool file that is gone is an error, never an empty object.
    await store.putFile('raw/ticks/dt=2024-01-02/missing.parquet', join(spool, 'never-written')).then(
      () => expect.fail('a missing spool file was put'),
      (err: NodeJS.ErrnoException) => expect(err.code).to.equal('ENOENT'),
    );
  });

  it('writes again after its folders were removed, and sweeps stale temp files', async () => {
    const store = new LocalStore(root);
    await store.put('a/b.parquet', Buffer.from('1'));
    rmSync(join(root, 'a'), { recursive: true });
    rmSync(join(root, '_sink'), { recursive: true });
    await store.put('a/b.parquet', Buffer.from('2')).catch(() => undefined); // may fail once...
    await store.put('a/b.parquet', Buffer.from('3')); // ...then succeeds
    expect(Buffer.from((await store.get('a/b.parquet'))!).toString()).to.equal('3');
    mkdirSync(join(root, '_sink', 'tmp'), { recursive: true });
    writeFileSync(join(root, '_sink', 'tmp', 'old.tmp'), 'x');
    writeFileSync(join(root, '_sink', 'tmp', 'new.tmp'), 'x');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(join(root, '_sink', 'tmp', 'old.tmp'), hourAgo, hourAgo);
    expect(await store.sweepTemp()).to.equal(1);
    expect(readdirSync(join(root, '_sink', 'tmp'))).to.deep.equal(['new.tmp']);
  });
});
