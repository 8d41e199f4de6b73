import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { escapeTemplate, parseNamedQuery, readNamedQueries } from '../../../modules/analytics.js';
import { toLifecycleRule } from '../../../modules/bucket.js';
import { crawlerConfiguration, crawlerTableLevel, projectionParameters } from '../../../modules/catalog.js';
import { accessLogLifecycle, lakeLifecycle, resultsLifecycle } from '../../../modules/data-lake.js';
import { architectureOf, azIndexOf, cloudConfig, debianImageName, isBurstable } from '../../../modules/hosts.js';
import { DEFAULT_PARTITION_START } from '../../../modules/settings.js';
import { glueDatabaseName, lakeKey, partitionOf, s3Uri } from '../../../modules/naming.js';

const lifecycle = {
  lakePrefix: '',
  rawInfrequentAccessDays: 30,
  rawArchiveDays: 90,
  rawArchiveClass: 'GLACIER_IR',
  rawExpireDays: 0,
  noncurrentVersionDays: 30,
};

describe('infra building blocks', () => {
  describe('names', () => {
    it('builds S3 URIs and lake keys with exactly one slash between parts', () => {
      expect(s3Uri('b')).to.equal('s3://b/');
      expect(s3Uri('b', '')).to.equal('s3://b/');
      expect(s3Uri('b', 'market/v1', 'raw/')).to.equal('s3://b/market/v1/raw/');
      expect(lakeKey('', 'raw')).to.equal('raw/');
      expect(lakeKey('market', 'raw/ticks')).to.equal('market/raw/ticks/');
    });

    it('makes Glue-safe database names and picks the ARN partition of a region', () => {
      expect(glueDatabaseName('pre-prod')).to.equal('tickstream_pre_prod');
      expect(partitionOf('eu-west-1')).to.equal('aws');
      expect(partitionOf('cn-north-1')).to.equal('aws-cn');
      expect(partitionOf('us-gov-west-1')).to.equal('aws-us-gov');
    });
  });

  describe('hosts', () => {
    it('picks the image architecture from the instance family', () => {
      for (const t of ['m7g.large', 'c7gn.xlarge', 't4g.small', 'im4gn.large', 'a1.medium', 'g5g.xlarge']) expect(architectureOf(t), t).to.equal('arm64');
      for (const t of ['m7i.large', 't3.medium', 'g5.xlarge', 'r6id.large', 'inf2.xlarge']) expect(architectureOf(t), t).to.equal('x86_64');
    });

    it('sets CPU credits only on burstable types and spreads hosts round-robin over AZs', () => {
      expect([isBurstable('t3.small'), isBurstable('t4g.micro'), isBurstable('m7i.large'), isBurstable('trn1.2xlarge')]).to.deep.equal([true, true, false, false]);
      expect([0, 1, 2, 3, 4].map((i) => azIndexOf(i, 3))).to.deep.equal([0, 1, 2, 0, 1]);
      expect([0, 1, 2].map((i) => azIndexOf(i, 1))).to.deep.equal([0, 0, 0]);
    });

    it('matches Debian 12 release images of the architecture only (not backports, not other releases)', () => {
      const matches = (pattern: string, name: string): boolean => new RegExp(`^${pattern.replace(/\*/g, '.*')}$`).test(name);
      expect(debianImageName('x86_64')).to.equal('debian-12-amd64-*');
      expect(debianImageName('arm64')).to.equal('debian-12-arm64-*');
      expect(matches(debianImageName('x86_64'), 'debian-12-amd64-20250610-2137')).to.equal(true);
      for (const other of ['debian-12-backports-amd64-20250610-2137', 'debian-13-amd64-20250815-2204', 'debian-12-arm64-20250610-2137']) {
        expect(matches(debianImageName('x86_64'), other), other).to.equal(false);
      }
    });

    it('names the host after its stable DNS record in cloud-init', () => {
      const text = cloudConfig('broker-1', 'broker-1.tickstream.internal');
      expect(text.split('\n')).to.include.members(['#cloud-config', 'hostname: broker-1', 'fqdn: broker-1.tickstream.internal']);
    });
  });

  describe('lifecycle rules', () => {
    it('tiers raw/ to STANDARD_IA then the archive class, and aborts uploads lake-wide', () => {
      const rules = lakeLifecycle(lifecycle).map(toLifecycleRule);
      const raw = rules.find((r) => r.id === 'raw-tiering')!;
      expect(raw.filter).to.deep.equal([{ prefix: 'raw/' }]);
      expect(raw.transition).to.deep.equal([
        { days: 30, storageClass: 'STANDARD_IA' },
        { days: 90, storageClass: 'GLACIER_IR' },
      ]);
      expect(raw.expiration).to.equal(undefined);
      const all = rules.find((r) => r.id === 'all-objects')!;
      expect(all.filter).to.deep.equal([{ prefix: '' }]);
      expect(all.abortIncompleteMultipartUpload).to.deep.equal([{ daysAfterInitiation: 7 }]);
      expect(all.noncurrentVersionExpiration).to.deep.equal([{ noncurrentDays: 30 }]);
      expect(rules.every((r) => r.status === 'Enabled')).to.equal(true);
    });

    it('expires raw objects when asked, and scopes rules to the lake prefix', () => {
      const rules = lakeLifecycle({ ...lifecycle, lakePrefix: 'market', rawExpireDays: 400 }).map(toLifecycleRule);
      expect(rules.map((r) => r.filter)).to.deep.equal([[{ prefix: 'market/' }], [{ prefix: 'market/raw/' }]]);
      expect(rules[1]!.expiration).to.deep.equal([{ days: 400 }]);
    });

    it('expires query results and access logs', () => {
      const [results] = resultsLifecycle(7).map(toLifecycleRule);
      expect(results!.expiration).to.deep.equal([{ days: 7 }]);
      expect(results!.abortIncompleteMultipartUpload).to.deep.equal([{ daysAfterInitiation: 1 }]);
      const [logs] = accessLogLifecycle(365).map(toLifecycleRule);
      expect(logs!.expiration).to.deep.equal([{ days: 365 }]);
    });
  });

  describe('catalog', () => {
    it('projects dt as a date from its folder, with the placeholder escaped for Terraform', () => {
      const p = projectionParameters('s3://b/raw/ticks/', '1965-01-01');
      expect(p['projection.enabled']).to.equal('true');
      expect(p['projection.dt.type']).to.equal('date');
      expect(p['projection.dt.format']).to.equal('yyyy-MM-dd');
      expect(p['projection.dt.range']).to.equal('1965-01-01,NOW');
      // The default starts with the oldest data the producer replays (index history, 1965-12-31).
      expect(DEFAULT_PARTITION_START <= '1965-12-31' && DEFAULT_PARTITION_START >= '1965-01-01').to.equal(true);
      expect(p['storage.location.template']).to.equal('s3://b/raw/ticks/dt=$${dt}/');
    });

    it('puts crawler tables at the table folder, below any lake prefix', () => {
      expect(crawlerTableLevel('')).to.equal(3);
      expect(crawlerTableLevel('market/v1')).to.equal(5);
      const config = JSON.parse(crawlerConfiguration('market')) as { Grouping: { TableLevelConfiguration: number }; CrawlerOutput: unknown };
      expect(config.Grouping.TableLevelConfiguration).to.equal(4);
      expect(config.CrawlerOutput).to.deep.equal({ Partitions: { AddOrUpdateBehavior: 'InheritFromTable' } });
    });
  });

  describe('named queries', () => {
    it('takes the first comment line as the description', () => {
      const q = parseNamedQuery('vwap.sql', '\n-- Daily VWAP per symbol\n--\n-- more text\nSELECT 1\n');
      expect(q).to.deep.equal({ name: 'vwap', description: 'Daily VWAP per symbol', sql: '-- Daily VWAP per symbol\n--\n-- more text\nSELECT 1' });
    });

    it('describes a query without a leading comment by its name, and refuses an empty file', () => {
      expect(parseNamedQuery('count.sql', 'SELECT count(*) FROM ticks -- all').description).to.equal('tickstream query count');
      expect(() => parseNamedQuery('empty.sql', '  \n')).to.throw(/empty\.sql: empty/);
    });

    it('reads every .sql file of a folder in name order, and nothing from a missing or empty one', () => {
      const dir = mkdtempSync(join(tmpdir(), 'tickstream-queries-'));
      expect(readNamedQueries(join(dir, 'missing'))).to.deep.equal([]);
      expect(readNamedQueries(dir)).to.deep.equal([]);
      writeFileSync(join(dir, 'b.sql'), '-- second\nSELECT 2');
      writeFileSync(join(dir, 'a.sql'), '-- first\nSELECT 1');
      writeFileSync(join(dir, 'notes.md'), '# not a query');
      mkdirSync(join(dir, 'sub.sql.d'));
      try {
        expect(readNamedQueries(dir).map((q) => q.name)).to.deep.equal(['a', 'b']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('keeps ${ and %{ in SQL literal for Terraform', () => {
      expect(escapeTemplate("SELECT '${x}', '%{y}', '$z'")).to.equal("SELECT '$${x}', '%%{y}', '$z'");
    });
  });
});
