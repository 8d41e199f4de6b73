import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, describeSpec, loadConfig } from '../../../lib/config.js';
import { sharedSpec } from '../../../lib/settings.js';
import { stackSpec } from '../../../local/settings.js';

function writeJson(value: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tickstream-config-')), 'config.json');
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

function problemsOf(fn: () => unknown): ConfigError['problems'] {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('config loader', () => {
  it('gives the documented defaults when nothing is set', () => {
    const cfg = loadConfig(sharedSpec, { env: {} });
    expect(cfg.kafka.bootstrap).to.equal('127.0.0.1:9092');
    expect(cfg.topics.partitions).to.equal(6);
    expect(cfg.topics.prefix).to.equal('');
    expect(cfg.log.level).to.equal('info');
    expect(cfg.kafka.saslPassword).to.equal(undefined);
  });

  it('lets the environment override the file and the command line override both', () => {
    const file = writeJson({ topics: { partitions: 12, prefix: 'dev.' }, stack: { brokers: 2 } });
    const cfg = loadConfig({ ...sharedSpec, ...stackSpec }, {
      env: { TICKSTREAM_TOPIC_PARTITIONS: '24' },
      file,
      overrides: { 'stack.brokers': 3 },
    });
    expect(cfg.topics.partitions).to.equal(24);
    expect(cfg.topics.prefix).to.equal('dev.');
    expect(cfg.stack.brokers).to.equal(3);
  });

  it('reads the file named by TICKSTREAM_CONFIG', () => {
    const file = writeJson({ kafka: { bootstrap: 'b1:9092,b2:9092' } });
    const cfg = loadConfig(sharedSpec, { env: { TICKSTREAM_CONFIG: file } });
    expect(cfg.kafka.bootstrap).to.equal('b1:9092,b2:9092');
  });

  it('names the key, the variable and the bad value', () => {
    const problems = problemsOf(() => loadConfig(sharedSpec, { env: { TICKSTREAM_TOPIC_PARTITIONS: 'many' } }));
    expect(problems).to.have.length(1);
    expect(problems[0]!.key).to.equal('topics.partitions');
    expect(problems[0]!.env).to.equal('TICKSTREAM_TOPIC_PARTITIONS');
    expect(problems[0]!.message).to.match(/integer.*"many".*\$TICKSTREAM_TOPIC_PARTITIONS/);
  });

  it('reports every bad key at once, not only the first', () => {
    const problems = problemsOf(() =>
      loadConfig({ ...sharedSpec, ...stackSpec }, {
        env: { TICKSTREAM_KAFKA_BOOTSTRAP: 'nohostport', TICKSTREAM_STACK_MODE: 'zk', TICKSTREAM_STACK_BROKERS: '0' },
      }),
    );
    expect(problems.map((p) => p.key)).to.have.members(['kafka.bootstrap', 'stack.mode', 'stack.brokers']);
    expect(problems.find((p) => p.key === 'stack.mode')!.message).to.match(/zookeeper, kraft/);
    expect(problems.find((p) => p.key === 'stack.brokers')!.message).to.match(/>= 1/);
  });

  it('rejects a typo in a known section of the file', () => {
    const file = writeJson({ topics: { partitons: 12 } });
    const problems = problemsOf(() => loadConfig(sharedSpec, { env: {}, file }));
    expect(problems[0]!.key).to.equal('topics.partitons');
    expect(problems[0]!.message).to.match(/unknown setting; known: prefix, partitions/);
  });

  it('leaves sections of other services alone', () => {
    const file = writeJson({ someOtherService: { anything: 1 } });
    expect(() => loadConfig(sharedSpec, { env: {}, file })).not.to.throw();
  });

  it('says so when the file is not JSON or not an object of sections', () => {
    expect(problemsOf(() => loadConfig(sharedSpec, { env: {}, file: writeJson('{ not json') }))[0]!.message).to.match(/not valid JSON/);
    expect(problemsOf(() => loadConfig(sharedSpec, { env: {}, file: writeJson([1, 2]) }))[0]!.message).to.match(/object of sections/);
    expect(problemsOf(() => loadConfig(sharedSpec, { env: {}, file: '/nonexistent/x.json' }))[0]!.message).to.match(/cannot read/);
  });

  it('never prints a secret value', () => {
    const spec = { kafka: { saslPassword: sharedSpec.kafka.saslPassword } };
    const problems = problemsOf(() => loadConfig(spec, { env: {}, file: writeJson({ kafka: { saslPassword: 42 } }) }));
    expect(problems[0]!.message).to.include('(hidden)').and.not.include('42');
  });

  it('parses booleans, bounded integers and host:port lists in both forms', () => {
    const cfg = loadConfig(sharedSpec, {
      env: { TICKSTREAM_LOG_PRETTY: 'yes', TICKSTREAM_KAFKA_BOOTSTRAP: ' a:1 , b.example.com:65535 ' },
    });
    expect(cfg.log.pretty).to.equal(true);
    expect(cfg.kafka.bootstrap).to.equal('a:1,b.example.com:65535');
    expect(problemsOf(() => loadConfig(sharedSpec, { env: { TICKSTREAM_KAFKA_BOOTSTRAP: 'a:70000' } }))[0]!.key).to.equal('kafka.bootstrap');
    expect(problemsOf(() => loadConfig(sharedSpec, { env: { TICKSTREAM_LOG_PRETTY: 'maybe' } }))[0]!.message).to.match(/true or false/);
  });

  it('rejects an override for a setting nobody reads', () => {
    expect(problemsOf(() => loadConfig(sharedSpec, { env: {}, overrides: { 'topics.nope': 1 } }))[0]!.key).to.equal('topics.nope');
  });

  it('describes every setting for --help', () => {
    const lines = describeSpec(sharedSpec);
    expect(lines.some((l) => l.includes('TICKSTREAM_KAFKA_BOOTSTRAP') && l.includes('127.0.0.1:9092'))).to.equal(true);
    expect(lines.find((l) => l.includes('TICKSTREAM_KAFKA_SASL_PASSWORD'))).to.include('(unset)');
  });

  describe('secret settings from a file (<ENV>_FILE)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickstream-secret-'));
    writeFileSync(join(dir, 'kafka-sasl-password'), 's3cret-from-file\n');

    it('reads an absolute path, dropping the trailing newline', () => {
      const cfg = loadConfig(sharedSpec, { env: { TICKSTREAM_KAFKA_SASL_PASSWORD_FILE: join(dir, 'kafka-sasl-password') } });
      expect(cfg.kafka.saslPassword).to.equal('s3cret-from-file');
    });

    it('reads a relative name from $CREDENTIALS_DIRECTORY (systemd LoadCredential=)', () => {
      const cfg = loadConfig(sharedSpec, { env: { TICKSTREAM_KAFKA_SASL_PASSWORD_FILE: 'kafka-sasl-password', CREDENTIALS_DIRECTORY: dir } });
      expect(cfg.kafka.saslPassword).to.equal('s3cret-from-file');
    });

    it('names the key when the file is missing, the credentials directory unset, or both ways are set', () => {
      const cases: Array<[NodeJS.ProcessEnv, RegExp]> = [
        [{ TICKSTREAM_KAFKA_SASL_PASSWORD_FILE: join(dir, 'nope') }, /cannot read the secret file .*nope: ENOENT/],
        [{ TICKSTREAM_KAFKA_SASL_PASSWORD_FILE: 'kafka-sasl-password' }, /CREDENTIALS_DIRECTORY is not set/],
        [{ TICKSTREAM_KAFKA_SASL_PASSWORD_FILE: join(dir, 'kafka-sasl-password'), TICKSTREAM_KAFKA_SASL_PASSWORD: 'x' }, /either .* not both/],
      ];
      for (const [env, message] of cases) {
        const problems = problemsOf(() => loadConfig(sharedSpec, { env }));
        expect(problems).to.have.length(1);
        expect(problems[0]).to.include({ key: 'kafka.saslPassword', env: 'TICKSTREAM_KAFKA_SASL_PASSWORD_FILE' });
        expect(problems[0]!.message).to.match(message);
        expect(problems[0]!.message).to.not.include('s3cret');
      }
    });

    it('only secret settings take a _FILE', () => {
      const cfg = loadConfig(sharedSpec, { env: { TICKSTREAM_KAFKA_BOOTSTRAP_FILE: join(dir, 'kafka-sasl-password') } });
      expect(cfg.kafka.bootstrap).to.equal('127.0.0.1:9092');
    });
  });
});
