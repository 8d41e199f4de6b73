/**
 * Detection from the data (issue 16): a corpus of small files the tests generate, one per
 * layout, date style, delimiter and decimal mark, read by `--check`'s own function over
 * the whole file (no Kafka), plus the pure parts: date formats from samples, the reason
 * kinds and their grouping, and the verdict.
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../../lib/config.js';
import { checkFile, formatCheck, type CheckReport } from '../../../producer/check.js';
import { resolveFormat } from '../../../producer/preflight.js';
import { judge, mergeRejectGroups, RejectTally } from '../../../producer/rejects.js';
import { producerSpec } from '../../../producer/settings.js';
import { combineSummaries, exitCodeOf, formatSummary, type RunSummary } from '../../../producer/summary.js';
import { CsvSource } from '../../../producer/sources/csv.js';
import { detectDateFormat, detectDelimiter, swapDayMonth, type DateSample } from '../../../producer/sources/detect.js';
import { headRecords } from '../../../producer/sources/head.js';
import { reasonKind, reasonKinds } from '../../../producer/sources/reasons.js';
import {
  bar,
  compact,
  dayFirst,
  epochMs,
  epochS,
  iso,
  monthFirst,
  weekdays,
  writeBars,
  writeIssueFile,
  YAHOO_HEADER,
  yahooRow,
} from '../../support/user-files.js';

const dir = mkdtempSync(join(tmpdir(), 'tickstream-detect-'));
const DAYS = weekdays({ year: 2024, month: 1, day: 2 }, 40);

function settings(file: string, extra: Record<string, unknown> = {}) {
  const overrides: Record<string, unknown> = { 'producer.file': file };
  for (const [k, v] of Object.entries(extra)) overrides[`producer.${k}`] = v;
  const p = loadConfig(producerSpec, { env: {}, overrides }).producer;
  return { ...p, file };
}

async function check(file: string, extra: Record<string, unknown> = {}): Promise<CheckReport> {
  return checkFile(settings(file, extra));
}

const samples = (values: string[]): DateSample[] => values.map((text, i) => ({ text, line: i + 2 }));

describe('producer detection: date formats from a sample', () => {
  it('a day above 12 decides day-first, and the evidence names it', () => {
    const d = detectDateFormat(samples(['01/06/1979', '29/06/1979', '02/07/1979']));
    expect(d).to.deep.include({ kind: 'found', format: 'DD/MM/YYYY' });
    expect(d.evidence).to.match(/"29\/06\/1979" \(line 3\) has a day above 12/);
  });

  it('a day above 12 in the second place decides month-first', () => {
    expect(detectDateFormat(samples(['06/01/1979', '06/29/1979']))).to.deep.include({ kind: 'found', format: 'MM/DD/YYYY' });
  });

  it('refuses dates that read both ways, with both candidates', () => {
    const d = detectDateFormat(samples(['01/02/2024', '03/02/2024', '05/06/2024']));
    expect(d.kind).to.equal('ambiguous');
    if (d.kind !== 'ambiguous') return;
    expect(d.candidates).to.deep.equal(['DD/MM/YYYY', 'MM/DD/YYYY']);
    expect(d.evidence).to.match(/read both day-first and month-first/);
  });

  it('takes dates whose day equals their month either way (both readings give the same days)', () => {
    expect(detectDateFormat(samples(['01/01/2024', '02/02/2024'])).kind).to.equal('found');
  });

  it('knows every separator, one-digit days and months, and a time after the date', () => {
    expect(detectDateFormat(samples(['29.06.1979', '02.07.1979']))).to.deep.include({ format: 'DD.MM.YYYY' });
    expect(detectDateFormat(samples(['29-06-1979']))).to.deep.include({ format: 'DD-MM-YYYY' });
    expect(detectDateFormat(samples(['29 06 1979']))).to.deep.include({ format: 'DD MM YYYY' });
    expect(detectDateFormat(samples(['6/29/1979', '7/2/1979']))).to.deep.include({ format: 'M/D/YYYY' });
    expect(detectDateFormat(samples(['29/06/1979 16:00', '02/07/1979 16:00:00']))).to.deep.include({ format: 'DD/MM/YYYY' });
    expect(detectDateFormat(samples(['6/29/1979 4:00 PM']))).to.deep.include({ format: 'M/D/YYYY' });
    expect(detectDateFormat(samples(['2024-01-02', '2024-01-03T16:00:00Z']))).to.deep.include({ format: 'iso' });
    expect(detectDateFormat(samples(['2024/01/02']))).to.deep.include({ format: 'YYYY/MM/DD' });
    expect(detectDateFormat(samples(['20240102', '20240103']))).to.deep.include({ format: 'YYYYMMDD' });
  });

  it('tells epoch seconds from milliseconds by their digits, also before 1970', () => {
    expect(detectDateFormat(samples(['1704153600', '1704240000']))).to.deep.include({ format: 'epoch-s' });
    expect(detectDateFormat(samples(['1704153600000']))).to.deep.include({ format: 'epoch-ms' });
    expect(detectDateFormat(samples(['-157766400000']))).to.deep.include({ format: 'epoch-ms' });
  });

  it('picks the format most dates fit and says how many', () => {
    const d = detectDateFormat(samples(['29/06/1979', '02/07/1979', 'yesterday']));
    expect(d).to.deep.include({ format: 'DD/MM/YYYY' });
    expect(d.evidence).to.match(/2 of 3 sampled dates/);
  });

  it('falls back to iso, saying so, when no date is readable or there is none', () => {
    expect(detectDateFormat(samples(['Jun 29 1979']))).to.deep.include({ format: 'iso' });
    expect(detectDateFormat(samples(['Jun 29 1979'])).evidence).to.match(/no known format/);
    expect(detectDateFormat(samples(['', 'null'])).evidence).to.match(/no dates/);
  });

  it('swaps day and month of a pattern', () => {
    expect(swapDayMonth('DD/MM/YYYY')).to.equal('MM/DD/YYYY');
    expect(swapDayMonth('M.D.YYYY')).to.equal('D.M.YYYY');
  });
});

describe('producer detection: delimiter', () => {
  const head = (text: string) => headRecords(text, false);
  it('finds ",", ";" and tab from the header and rows alike', () => {
    expect(detectDelimiter(head('a,b,c\n1,2,3\n')).value).to.equal(',');
    expect(detectDelimiter(head('a;b;c\n1,5;2,5;3\n')).value).to.equal(';');
    expect(detectDelimiter(head('a\tb\tc\n1\t2\t3\n')).value).to.equal('\t');
  });
  it('assumes "," for a one-column header, saying so', () => {
    expect(detectDelimiter(head('just one\n1\n')).evidence).to.match(/assumed ","/);
  });
});

describe('producer detection: a corpus of generated files, read whole as --check does', () => {
  it('the day-first file of issue 16: DD/MM/YYYY from 29/06/1979, good bars publishable, all-empty rows grouped with a hint', async () => {
    const file = join(dir, 'issue16.csv');
    writeIssueFile(file, 300, 700);
    const r = await check(file);
    expect(r.format.dateFormat.value).to.equal('DD/MM/YYYY');
    expect(r.format.dateFormat.evidence).to.match(/29\/06\/1979/);
    expect(r).to.deep.include({ rows: 1000, bars: 300, rejectedRows: 700 });
    expect(r.symbols).to.deep.equal([{ symbol: 'issue16', bars: 300, first: '1979-06-29', last: r.symbols[0]!.last }]);
    expect(r.rejects).to.have.length(1);
    expect(r.rejects[0]).to.deep.include({ kind: 'empty-row', count: 700, firstLines: [152, 153, 154, 155, 156] });
    expect(r.verdict).to.deep.include({ publishable: true, exitCode: 0, overShare: true, rejectedPercent: 70 });
    expect(formatCheck(r)).to.match(/700 x empty row: lines 152, 153, 154, 155, 156, \.\.\./).and.match(/hint: rows whose every field is blank/);
    expect((await check(file, { strict: true })).verdict.exitCode, '--strict').to.equal(1);
  });

  it('the same file read as ISO (an explicit flag wins): nothing publishable, the hint names --date-format', async () => {
    const file = join(dir, 'issue16.csv');
    const r = await check(file, { dateFormat: 'iso' });
    expect(r.format.dateFormat).to.deep.equal({ value: 'iso', evidence: 'set by --date-format (TICKSTREAM_PRODUCER_DATE_FORMAT)' });
    expect(r.bars).to.equal(0);
    expect(r.verdict).to.deep.include({ publishable: false, exitCode: 1 });
    expect(r.rejects.map((g) => [g.kind, g.count])).to.deep.equal([['empty-row', 700], ['bad-date', 300]]);
    expect(r.verdict.message).to.match(/nothing to publish: all 1,000 rows were rejected/);
    expect(r.rejects[1]!.hint).to.match(/--date-format DD\/MM\/YYYY/);
  });

  it('refuses an ambiguous file before reading it, naming both formats and the flag', () => {
    const file = join(dir, 'ambiguous.csv');
    writeBars(file, { header: YAHOO_HEADER, days: DAYS.filter((d) => d.day <= 12), row: yahooRow(dayFirst('/')) });
    let error: unknown;
    try {
      resolveFormat(settings(file));
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as Error).message).to.match(/--date-format DD\/MM\/YYYY .* --date-format MM\/DD\/YYYY/).and.match(/Nothing was published/);
    expect(resolveFormat(settings(file, { dateFormat: 'MM/DD/YYYY' })).dateFormat.value, 'the flag decides').to.equal('MM/DD/YYYY');
  });

  it('Yahoo: the symbol from the file name, Adj Close ignored', async () => {
    const file = join(dir, 'AAPL.csv');
    writeBars(file, { header: YAHOO_HEADER, days: DAYS, row: yahooRow(iso) });
    const r = await check(file);
    expect(r.format.layout).to.match(/^Yahoo Finance/);
    expect(r.format.columns[0]).to.deep.equal({ role: 'symbol', column: 'AAPL', from: 'no symbol column, the file name' });
    expect(formatCheck(r)).to.match(/columns +no symbol column, the file name: symbol=AAPL; recognised header names: date=Date open=Open high=High low=Low close=Close volume=Volume\n/);
    expect(r).to.deep.include({ bars: 40, rejectedRows: 0 });
    expect(r.verdict).to.deep.equal({ publishable: true, rejectedRows: 0, rejectedPercent: 0, overShare: false, exitCode: 0 });
  });

  it('stooq: angle-bracket header, YYYYMMDD dates', async () => {
    const file = join(dir, 'stooq.txt');
    writeBars(file, {
      header: ['<TICKER>', '<PER>', '<DATE>', '<TIME>', '<OPEN>', '<HIGH>', '<LOW>', '<CLOSE>', '<VOL>', '<OPENINT>'],
      days: DAYS,
      row: (d, i, num) => {
        const b = bar(i);
        return ['AAPL.US', 'D', compact(d), '000000', num(b.open), num(b.high), num(b.low), num(b.close), String(b.volume), '0'];
      },
    });
    const r = await check(file);
    expect(r.format.layout).to.match(/^stooq/);
    expect(r.format.dateFormat.value).to.equal('YYYYMMDD');
    expect(r.symbols.map((s) => s.symbol)).to.deep.equal(['AAPL.US']);
    expect(r.bars).to.equal(40);
  });

  it('Alpha Vantage: timestamp column, ISO dates, newest first is out of order and says so', async () => {
    const file = join(dir, 'daily_MSFT.csv');
    writeBars(file, {
      header: ['timestamp', 'open', 'high', 'low', 'close', 'volume'],
      days: [...DAYS].reverse(),
      row: (d, i, num) => {
        const b = bar(i);
        return [iso(d), num(b.open), num(b.high), num(b.low), num(b.close), String(b.volume)];
      },
    });
    const r = await check(file);
    expect(r.format.layout).to.match(/^Alpha Vantage/);
    expect(r.format.dateFormat.value).to.equal('iso');
    // Alpha Vantage writes the newest day first: only the first row is in order.
    expect(r.bars).to.equal(1);
    expect(r.rejects[0]).to.deep.include({ kind: 'out-of-order', count: 39, firstLines: [3, 4, 5, 6, 7] });
    expect(r.rejects[0]!.hint).to.match(/sort the file by symbol and date/);
  });

  it('Kaggle (Index) and the Name layout, several symbols with their date ranges', async () => {
    const kaggle = join(dir, 'indexData.csv');
    writeBars(kaggle, {
      header: ['Index', 'Date', 'Open', 'High', 'Low', 'Close', 'Adj Close', 'Volume'],
      days: [...DAYS, ...DAYS.slice(0, 10)],
      row: (d, i, num) => {
        const b = bar(i);
        return [i < 40 ? 'NYA' : 'HSI', iso(d), num(b.open), num(b.high), num(b.low), num(b.close), num(b.close), String(b.volume)];
      },
    });
    const r = await check(kaggle);
    expect(r.format.layout).to.match(/^Kaggle stock exchange data/);
    expect(r.symbols).to.deep.equal([
      { symbol: 'HSI', bars: 10, first: '2024-01-02', last: iso(DAYS[9]!) },
      { symbol: 'NYA', bars: 40, first: '2024-01-02', last: iso(DAYS[39]!) },
    ]);
    const named = join(dir, 'all_stocks_5yr.csv');
    writeBars(named, {
      header: ['date', 'open', 'high', 'low', 'close', 'volume', 'Name'],
      days: DAYS,
      row: (d, i, num) => {
        const b = bar(i);
        return [iso(d), num(b.open), num(b.high), num(b.low), num(b.close), String(b.volume), 'AAL'];
      },
    });
    expect((await check(named)).format.layout).to.match(/^Kaggle S&P 500/);
  });

  it('a Ticker column, epoch seconds and epoch milliseconds', async () => {
    for (const [name, writer, format] of [['epoch-s.csv', epochS, 'epoch-s'], ['epoch-ms.csv', epochMs, 'epoch-ms']] as const) {
      const file = join(dir, name);
      writeBars(file, {
        header: ['Ticker', 'Time', 'Open', 'High', 'Low', 'Close', 'Volume'],
        days: DAYS,
        row: (d, i, num) => {
          const b = bar(i);
          return ['ACME', writer(d), num(b.open), num(b.high), num(b.low), num(b.close), String(b.volume)];
        },
      });
      const r = await check(file);
      expect(r.format.dateFormat.value, name).to.equal(format);
      expect(r.symbols, name).to.deep.equal([{ symbol: 'ACME', bars: 40, first: '2024-01-02', last: iso(DAYS[39]!) }]);
    }
  });

  it('semicolons and decimal commas (a European spreadsheet): prices read exactly', async () => {
    const file = join(dir, 'european.csv');
    writeBars(file, { header: ['Symbol', 'Datum', 'Open', 'High', 'Low', 'Close', 'Volume'], days: DAYS, delimiter: ';', decimal: ',', row: (d, i, num) => {
      const b = bar(i);
      return ['SAP', dayFirst('.')(d), num(b.open), num(b.high), num(b.low), num(b.close), String(b.volume)];
    } });
    // `Datum` is no known name for the date: --map names it, the rest is found.
    const r = await check(file, { map: 'date=Datum' });
    expect(r.format.delimiter.value).to.equal(';');
    expect(r.format.decimal.value).to.equal(',');
    expect(r.format.decimal.evidence).to.match(/decimal comma \(e\.g\. "100,25"\)/);
    expect(r.format.dateFormat.value).to.equal('DD.MM.YYYY');
    expect(r.format.columns).to.deep.include({ role: 'date', column: 'Datum', from: 'set by --map' });
    expect(r.bars).to.equal(40);
    const source = new CsvSource({ file, dateFormat: 'DD.MM.YYYY', delimiter: ';', decimal: ',', map: { date: 'Datum' } });
    const bars = [];
    for await (const batch of source.events()) for (const e of batch) if (e.kind === 'bar') bars.push(e.bar);
    expect(bars).to.have.length(40);
    expect(bars[0]).to.deep.include({ symbol: 'SAP', open: 100.25, high: 102.25, low: 99.25, close: 101.25, volume: 1000, decimals: 2 });
  });

  it('tab-separated month-first dates', async () => {
    const file = join(dir, 'tabs.tsv');
    writeBars(file, { header: ['Symbol', 'Date', 'Open', 'High', 'Low', 'Close', 'Volume'], days: DAYS, delimiter: '\t', row: (d, i, num) => {
      const b = bar(i);
      return ['ACME', monthFirst('/')(d), num(b.open), num(b.high), num(b.low), num(b.close), String(b.volume)];
    } });
    const r = await check(file);
    expect(r.format.delimiter.value).to.equal('\t');
    expect(r.format.dateFormat.value).to.equal('MM/DD/YYYY');
    expect(r.bars).to.equal(40);
  });

  it('a file of nothing but empty rows is not publishable', async () => {
    const file = join(dir, 'empty-rows.csv');
    writeFileSync(file, `${YAHOO_HEADER.join(',')}\n${',,,,,,\n'.repeat(12)}`);
    const r = await check(file);
    expect(r.verdict).to.deep.include({ publishable: false, exitCode: 1, rejectedRows: 12 });
    expect(formatCheck(r)).to.match(/NOT PUBLISHABLE nothing to publish: all 12 rows were rejected, most as "empty row"/);
  });

  it('a header-only file is not publishable either', async () => {
    const file = join(dir, 'header-only.csv');
    writeFileSync(file, `${YAHOO_HEADER.join(',')}\n`);
    expect((await check(file)).verdict).to.deep.include({ publishable: false, exitCode: 1, message: 'nothing to publish: the file has no data rows' });
  });
});

describe('producer: rejected rows by reason', () => {
  it('sorts every reason the producer writes into a kind with a hint', () => {
    const cases: Array<[string, string]> = [
      ['empty row: every field is blank', 'empty-row'],
      ['open, high, low, close, volume are null', 'no-prices'],
      ['open, high is missing', 'no-prices'],
      ['high "2." is not a number', 'not-a-number'],
      ['date "29/06/1979" is not a valid date in format iso', 'bad-date'],
      ['date is missing', 'date-missing'],
      ['symbol is missing', 'symbol-missing'],
      ['row has 7 fields, the header has 8', 'field-count'],
      ['malformed CSV: Parse Error: x', 'malformed'],
      ['truncated row: the file ends in the middle of it (3 of 8 fields, no line break at the end)', 'truncated'],
      ['open 0 is not positive', 'not-positive'],
      ['high 4 is below low 6', 'not-a-bar'],
      ['close 7 is outside low..high 4..6', 'not-a-bar'],
      ['volume 1.5 is not an integer', 'volume'],
      ['date 2024-01-03 is not after the previous bar of A (line 4); ...', 'out-of-order'],
      ['tick rejected: price is missing', 'tick-rejected'],
      ['something new', 'other'],
    ];
    for (const [reason, kind] of cases) expect(reasonKind(reason).id, reason).to.equal(kind);
    expect(reasonKinds().every((k) => k.hint.length > 0)).to.equal(true);
  });

  it('counts, keeps the first lines and one reason as written, and adds workers up', () => {
    const a = new RejectTally();
    for (const line of [9, 3, 4, 5, 6, 7, 8]) a.add(line, 'empty row: every field is blank');
    a.add(2, 'date "x" is not a valid date in format iso');
    const b = new RejectTally();
    b.add(1, 'empty row: every field is blank');
    expect(a.list()[0]).to.deep.include({ kind: 'empty-row', count: 7, firstLines: [3, 4, 5, 6, 9] });
    const merged = mergeRejectGroups([a.list(), b.list()]);
    expect(merged.map((g) => [g.kind, g.count, g.firstLines])).to.deep.equal([
      ['empty-row', 8, [1, 3, 4, 5, 6]],
      ['bad-date', 1, [2]],
    ]);
  });

  it('judges a file: nothing publishable fails, too many rejected warns, and fails under strict', () => {
    const groups = new RejectTally().list();
    expect(judge({ rows: 10, bars: 0, groups, maxRejectedPercent: 10, strict: false })).to.deep.include({ publishable: false, exitCode: 1 });
    expect(judge({ rows: 10, bars: 9, groups, maxRejectedPercent: 10, strict: true })).to.deep.include({ overShare: false, exitCode: 0 });
    const over = judge({ rows: 10, bars: 8, groups, maxRejectedPercent: 10, strict: false });
    expect(over).to.deep.include({ overShare: true, exitCode: 0, rejectedPercent: 20 });
    expect(over.message).to.match(/20% of the rows \(2 of 10\) were rejected, more than the 10% allowed/);
    expect(judge({ rows: 10, bars: 8, groups, maxRejectedPercent: 10, strict: true }).exitCode).to.equal(1);
  });

  it('reads the new settings and refuses bad ones naming the key', () => {
    const p = loadConfig(producerSpec, { env: { TICKSTREAM_PRODUCER_DELIMITER: 'tab', TICKSTREAM_PRODUCER_DECIMAL: ',', TICKSTREAM_PRODUCER_MAX_REJECTED: '25', TICKSTREAM_PRODUCER_STRICT: 'true' } }).producer;
    expect(p).to.deep.include({ delimiter: '\t', decimal: ',', maxRejectedPercent: 25, strict: true, dateFormat: 'auto' });
    expect(() => loadConfig(producerSpec, { env: { TICKSTREAM_PRODUCER_DELIMITER: ';;' } })).to.throw(/producer\.delimiter \(TICKSTREAM_PRODUCER_DELIMITER\)/);
    expect(() => loadConfig(producerSpec, { env: { TICKSTREAM_PRODUCER_MAX_REJECTED: '101' } })).to.throw(/producer\.maxRejectedPercent/);
  });
});

describe('producer: a summary that explains', () => {
  const tally = new RejectTally();
  for (let line = 2; line < 12; line++) tally.add(line, `date "0${line % 10}/13/2024" is not a valid date in format DD/MM/YYYY`);
  const rejects = tally.list();
  const base: RunSummary = {
    source: 'csv', file: 'x.csv', format: { dateFormat: 'DD/MM/YYYY', delimiter: ';', decimal: ',' }, rows: 10, blankLines: 0, bars: 0,
    ticksProduced: 0, ticksDelivered: 0, ticksFailed: 0, ticksUnconfirmed: 0, deadLetters: 10, rejects, deadLettersFailed: 0,
    queueFullWaits: 0, seconds: 1, ticksPerSecond: 0, interrupted: false, flushed: true, failureReasons: {}, maxRssBytes: 0,
  };

  it('prints the format, the grouped reasons with lines and hint, and why nothing was published; exits 1', () => {
    const verdict = judge({ rows: 10, bars: 0, groups: rejects, maxRejectedPercent: 10, strict: false });
    const s = { ...base, verdict };
    const text = formatSummary(s);
    expect(text).to.match(/format +dates DD\/MM\/YYYY, delimiter ";", decimal ","/);
    expect(text).to.match(/10 x date not in the format used: lines 2, 3, 4, 5, 6, \.\.\./);
    expect(text).to.match(/hint: .*--date-format/);
    expect(text).to.match(/FAILED +nothing to publish: all 10 rows were rejected, most as "date not in the format used" \(10, first at line 2\)/);
    expect(exitCodeOf(s)).to.equal(1);
    expect(exitCodeOf({ ...s, verdict: judge({ rows: 10, bars: 9, groups: rejects, maxRejectedPercent: 10, strict: false }) })).to.equal(0);
    expect(exitCodeOf({ ...s, verdict: judge({ rows: 10, bars: 8, groups: rejects, maxRejectedPercent: 10, strict: true }) }), 'strict').to.equal(1);
  });

  it('adds the workers\' groups up', () => {
    const other = new RejectTally();
    other.add(1, 'empty row: every field is blank');
    const s = combineSummaries([base, { ...base, rejects: other.list() }], { seconds: 1, maxRssBytes: 0 });
    expect(s.rejects!.map((g) => [g.kind, g.count])).to.deep.equal([['bad-date', 10], ['empty-row', 1]]);
    expect(s.format).to.deep.equal(base.format);
  });
});
