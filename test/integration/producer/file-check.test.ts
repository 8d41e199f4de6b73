/**
 * Issue 16 through the CLI: a user's file understood before anything is published, and a
 * run that says what happened. The day-first file of the issue is generated (10,526 good
 * bars from 29/06/1979 and 27,670 all-empty rows): `--check` reads it without Kafka and
 * reports the format found and why, rows by outcome, the date range and the empty rows by
 * reason with a hint; a real run against the shared broker publishes its good bars with no
 * flag and its summary groups the rejected rows the same way; read as ISO (as in the issue)
 * nothing is publishable and the run exits 1 saying why; an ambiguous file exits 2 before
 * publishing anything.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckReport } from '../../../producer/check.js';
import { requireKafka, sharedKafka } from '../../support/kafka.js';
import { dayFirst, weekdays, writeBars, writeIssueFile, YAHOO_HEADER, yahooRow } from '../../support/user-files.js';
import { lastSummary, readDeadLetters, readTicks, uniquePrefix } from './support.js';

const CLI = ['bin/tickstream.js', 'produce'];
const GOOD = 10_526;
const EMPTY = 27_670;

describe('producer: a user file checked and explained (issue 16)', function () {
  this.timeout(300_000);
  const kafka = sharedKafka();
  const dir = mkdtempSync(join(tmpdir(), 'tickstream-file-check-'));
  const issueFile = join(dir, 'daily.csv');
  const ambiguous = join(dir, 'ambiguous.csv');
  const common = (prefix: string): string[] => ['--bootstrap', kafka.bootstrap, '--topic-prefix', prefix, '--no-metrics', '--progress', 'off', '--log-level', 'warn', '--create-topics'];
  // --check must not need Kafka: nothing listens on this address.
  const noKafka = ['--bootstrap', '127.0.0.1:1'];
  const run = (args: string[]) => spawnSync('node', [...CLI, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });

  before(() => {
    writeIssueFile(issueFile, GOOD, EMPTY);
    writeBars(ambiguous, { header: YAHOO_HEADER, days: weekdays({ year: 2024, month: 1, day: 1 }, 60).filter((d) => d.day <= 12), row: yahooRow(dayFirst('/')) });
  });

  describe('--check (no Kafka)', () => {
    it('prints the format found and its evidence, rows by outcome, the date range and the empty rows by reason with lines and a hint; exits 0', () => {
      const r = run([issueFile, '--check', ...noKafka]);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/layout +Yahoo Finance/);
      expect(r.stdout).to.match(/date format +DD\/MM\/YYYY: day-first dates: "29\/06\/1979" \(line 2\) has a day above 12/);
      expect(r.stdout).to.match(/rows +38,196 read: 10,526 publishable \(4,105,140 ticks\), 27,670 rejected \(72\.4%\); 0 blank lines/);
      expect(r.stdout).to.match(/daily +1979-06-29 \.\. \d{4}-\d\d-\d\d +10,526 bars/);
      expect(r.stdout).to.match(/27,670 x empty row: lines 5265, 5266, 5267, 5268, 5269, \.\.\./);
      expect(r.stdout).to.match(/hint: rows whose every field is blank/);
      expect(r.stdout).to.match(/WARNING +72\.4% of the rows \(27,670 of 38,196\) were rejected, more than the 10% allowed/);
    });

    it('--json: the same report as one object', () => {
      const r = run([issueFile, '--check', '--json', ...noKafka]);
      expect(r.status, r.stderr).to.equal(0);
      const report = JSON.parse(r.stdout) as CheckReport;
      expect(report).to.deep.include({ rows: GOOD + EMPTY, bars: GOOD, rejectedRows: EMPTY });
      expect(report.format.dateFormat.value).to.equal('DD/MM/YYYY');
      expect(report.rejects.map((g) => [g.kind, g.count])).to.deep.equal([['empty-row', EMPTY]]);
      expect(report.symbols[0]).to.deep.include({ symbol: 'daily', bars: GOOD, first: '1979-06-29' });
    });

    it('exits 1 when nothing is publishable (read as ISO) and under --strict when too many rows are rejected', () => {
      const iso = run([issueFile, '--check', '--date-format', 'iso', ...noKafka]);
      expect(iso.status, iso.stderr).to.equal(1);
      expect(iso.stdout).to.match(/10,526 x date not in the format used: lines 2, 3, 4, 5, 6, \.\.\./);
      expect(iso.stdout).to.match(/NOT PUBLISHABLE nothing to publish: all 38,196 rows were rejected, most as "empty row"/);
      const strict = run([issueFile, '--check', '--strict', ...noKafka]);
      expect(strict.status, strict.stderr).to.equal(1);
      expect(strict.stdout).to.match(/FAILED --strict/);
      expect(run([issueFile, '--check', '--strict', '--max-rejected', '80', ...noKafka]).status, 'within --max-rejected').to.equal(0);
    });

    it('exits 2 for an ambiguous file, naming both formats and the flag', () => {
      const r = run([ambiguous, '--check', ...noKafka]);
      expect(r.status).to.equal(2);
      expect(r.stderr).to.match(/cannot tell the date format of .*ambiguous\.csv/).and.match(/--date-format DD\/MM\/YYYY \(day first\) or --date-format MM\/DD\/YYYY \(month first\)/);
      expect(run([ambiguous, '--check', '--date-format', 'MM/DD/YYYY', ...noKafka]).status, 'the flag decides').to.equal(0);
    });
  });

  describe('a real run (shared broker)', () => {
    before(async () => {
      await requireKafka(kafka);
    });

    it('publishes the good bars of the day-first file with no flag; the summary groups the empty rows with a hint and warns', async () => {
      const prefix = uniquePrefix('issue16');
      const r = run([issueFile, '--ticks-per-bar', '4', ...common(prefix)]);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/format +dates DD\/MM\/YYYY, delimiter ",", decimal "\."; Yahoo Finance/);
      expect(r.stdout).to.match(/27,670 x empty row: lines 5265, 5266, 5267, 5268, 5269, \.\.\./);
      expect(r.stdout).to.match(/WARNING +72\.4% of the rows/);
      const ticks = await readTicks(kafka, `${prefix}ticks`, GOOD * 4);
      expect(ticks).to.have.length(GOOD * 4);
      expect(new Date(Math.min(...ticks.map((t) => t.ts))).toISOString().slice(0, 10)).to.equal('1979-06-29');
    });

    it('read as ISO, as in the issue: every row a dead letter, the summary says why and the run exits 1', async () => {
      const prefix = uniquePrefix('issue16-iso');
      const r = run([issueFile, '--date-format', 'iso', '--json', ...common(prefix)]);
      expect(r.status, r.stderr).to.equal(1);
      const summary = lastSummary(r.stdout);
      expect(summary).to.deep.include({ rows: GOOD + EMPTY, bars: 0, ticksProduced: 0, deadLetters: GOOD + EMPTY, deadLettersFailed: 0 });
      expect(summary.rejects!.map((g) => [g.kind, g.count, g.firstLines[0]])).to.deep.equal([
        ['empty-row', EMPTY, GOOD / 2 + 2],
        ['bad-date', GOOD, 2],
      ]);
      expect(summary.verdict).to.deep.include({ publishable: false, exitCode: 1 });
      expect(summary.verdict!.message).to.match(/nothing to publish: all 38,196 rows were rejected/);
      expect(r.stderr).to.match(/nothing to publish/);
      const letters = await readDeadLetters(kafka, `${prefix}ticks.dlq`, GOOD + EMPTY);
      expect(letters).to.have.length(GOOD + EMPTY);
    });

    it('--strict fails a run that rejected more than --max-rejected percent, after publishing what was good', () => {
      const prefix = uniquePrefix('issue16-strict');
      const r = run([issueFile, '--ticks-per-bar', '4', '--strict', '--json', ...common(prefix)]);
      expect(r.status, r.stderr).to.equal(1);
      expect(lastSummary(r.stdout)).to.deep.include({ bars: GOOD, ticksDelivered: GOOD * 4, deadLetters: EMPTY });
      expect(lastSummary(r.stdout).verdict).to.deep.include({ publishable: true, overShare: true, exitCode: 1 });
    });

    it('refuses an ambiguous file before publishing anything: exit 2, no topic touched', () => {
      const prefix = uniquePrefix('ambiguous');
      const r = run([ambiguous, ...common(prefix), '--log-level', 'info']);
      expect(r.status).to.equal(2);
      expect(r.stderr).to.match(/--date-format DD\/MM\/YYYY \(day first\) or --date-format MM\/DD\/YYYY/);
      expect(r.stderr).not.to.match(/"msg":"(producing|topics created)"/);
    });

    it('two workers: the same grouped reasons, added up', () => {
      const prefix = uniquePrefix('issue16-workers');
      const r = run([issueFile, '--ticks-per-bar', '4', '--workers', '2', '--json', ...common(prefix)]);
      expect(r.status, r.stderr).to.equal(0);
      const summary = lastSummary(r.stdout);
      expect(summary).to.deep.include({ bars: GOOD, deadLetters: EMPTY, workers: 2 });
      expect(summary.rejects!.map((g) => [g.kind, g.count, g.firstLines])).to.deep.equal([['empty-row', EMPTY, [5265, 5266, 5267, 5268, 5269]]]);
      expect(summary.verdict).to.deep.include({ publishable: true, overShare: true, exitCode: 0 });
    });
  });
});
