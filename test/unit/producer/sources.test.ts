/**
 * The CSV side of the producer without Kafka: byte-order marks, record splitting with
 * line numbers, header mapping, dates, and the row checks that decide what becomes a bar
 * and what becomes a dead letter.
 */
import { expect } from 'chai';
import { checkBarRow, truncationReason, type RowContext } from '../../../producer/sources/bars.js';
import { sniffBom } from '../../../producer/sources/bom.js';
import { mapColumns, normalizeHeader } from '../../../producer/sources/columns.js';
import { dateParser, dayNumber } from '../../../producer/sources/dates.js';
import { fieldParser } from '../../../producer/sources/fields.js';
import { parseInfo } from '../../../producer/sources/info.js';
import { RecordSplitter, type CsvRecord } from '../../../producer/sources/records.js';

describe('producer: byte-order marks', () => {
  it('recognises a plain and a double-encoded UTF-8 mark and nothing else', () => {
    expect(sniffBom(Buffer.from([0xef, 0xbb, 0xbf, 0x41]))).to.deep.equal({ kind: 'utf8', skip: 3 });
    expect(sniffBom(Buffer.from([0xc3, 0xaf, 0xc2, 0xbb, 0xc2, 0xbf, 0x49]))).to.deep.equal({ kind: 'utf8-double', skip: 6 });
    expect(sniffBom(Buffer.from('Index,Date'))).to.deep.equal({ kind: 'none', skip: 0 });
    expect(sniffBom(Buffer.from([0xc3, 0xaf]))).to.deep.equal({ kind: 'none', skip: 0 });
  });

  it('refuses UTF-16 and UTF-32 files with the conversion to do', () => {
    expect(() => sniffBom(Buffer.from([0xff, 0xfe, 0x49, 0x00]))).to.throw(/UTF-16LE.*iconv/);
    expect(() => sniffBom(Buffer.from([0xfe, 0xff, 0x00, 0x49]))).to.throw(/UTF-16BE/);
    expect(() => sniffBom(Buffer.from([0xff, 0xfe, 0x00, 0x00]))).to.throw(/UTF-32LE/);
  });
});

function splitAll(text: string, pieces = 1): CsvRecord[] {
  const s = new RecordSplitter();
  const out: CsvRecord[] = [];
  const size = Math.max(1, Math.ceil(text.length / pieces));
  for (let i = 0; i < text.length; i += size) out.push(...s.push(text.slice(i, i + size)));
  return [...out, ...s.end()];
}

describe('producer: record splitting', () => {
  const text = 'h1,h2\r\n1,2\r\n\r\n"a\nb",3\n"x""y",4\nlast,5';

  it('numbers physical lines, keeps quoted line breaks in their field and strips CRLF', () => {
    const records = splitAll(text);
    expect(records.map((r) => [r.line, r.text, r.terminated])).to.deep.equal([
      [1, 'h1,h2', true],
      [2, '1,2', true],
      [3, '', true],
      [4, '"a\nb",3', true],
      [6, '"x""y",4', true],
      [7, 'last,5', false],
    ]);
  });

  it('gives the same records whatever the chunk boundaries', () => {
    const whole = splitAll(text);
    for (const pieces of [2, 3, 7, text.length]) expect(splitAll(text, pieces)).to.deep.equal(whole);
  });

  it('marks a file that ends inside quotes, and one that ends with a line break', () => {
    expect(splitAll('a,b\n1,"open').at(-1)).to.include({ line: 2, terminated: false, openQuote: true });
    expect(splitAll('a,b\n1,2\n').at(-1)).to.include({ line: 2, terminated: true });
  });
});

describe('producer: fields (fast-csv per record)', () => {
  const parse = fieldParser(',');
  it('parses quotes, escaped quotes and empty fields', () => {
    expect(parse('"a,b","c""d",,e')).to.deep.equal(['a,b', 'c"d', '', 'e']);
    expect(fieldParser(';')('1;2,5;x')).to.deep.equal(['1', '2,5', 'x']);
  });
  it('throws for one malformed record only', () => {
    expect(() => parse('1,"2"x')).to.throw(/Parse Error/);
    expect(() => parse('1,"2')).to.throw(/missing closing/);
    expect(parse('3,4')).to.deep.equal(['3', '4']);
  });
});

describe('producer: header mapping', () => {
  it("maps Kaggle's indexData header, double-encoded byte-order mark and all", () => {
    const header = ['\u00ef\u00bb\u00bfIndex', 'Date', 'Open', 'High', 'Low', 'Close', 'Adj Close', 'Volume'];
    expect(normalizeHeader(header[0]!)).to.equal('index');
    expect(mapColumns(header)).to.deep.equal({ symbol: 0, date: 1, open: 2, high: 3, low: 4, close: 5, volume: 7 });
  });

  it('maps Yahoo, all_stocks_5yr and Stooq layouts', () => {
    expect(mapColumns(['Date', 'Open', 'High', 'Low', 'Close', 'Adj Close', 'Volume'], {}, { symbolFallback: true })).to.deep.equal({
      date: 0, open: 1, high: 2, low: 3, close: 4, volume: 6,
    });
    expect(mapColumns(['date', 'open', 'high', 'low', 'close', 'volume', 'Name'])).to.include({ symbol: 6, close: 4, volume: 5 });
    expect(mapColumns(['<TICKER>', '<PER>', '<DATE>', '<TIME>', '<OPEN>', '<HIGH>', '<LOW>', '<CLOSE>', '<VOL>'])).to.deep.equal({
      symbol: 0, date: 2, open: 4, high: 5, low: 6, close: 7, volume: 8,
    });
  });

  it('lets --map name the columns and override a guess', () => {
    const header = ['Ticker', 'Day', 'O', 'H', 'L', 'Last', 'Close', 'Qty'];
    expect(mapColumns(header, { date: 'Day', close: 'Last' })).to.deep.equal({ symbol: 0, date: 1, open: 2, high: 3, low: 4, close: 5, volume: 7 });
  });

  it('names the missing columns, the header and the fix', () => {
    expect(() => mapColumns(['Ticker', 'When', 'Open', 'High', 'Low', 'Close'])).to.throw(/cannot find the date column.*"When".*--map date=<column>/);
    expect(() => mapColumns(['Date', 'Open', 'High', 'Low', 'Close'])).to.throw(/symbol/);
    expect(() => mapColumns(['Date'], { colour: 'Date' })).to.throw(/unknown role "colour"/);
    expect(() => mapColumns(['Date'], { date: 'Day' })).to.throw(/--map date=Day: no such column/);
  });
});

describe('producer: dates', () => {
  it('reads ISO dates (a time part is ignored) and rejects impossible ones', () => {
    const iso = dateParser('iso');
    expect(iso('2021-06-02')).to.deep.equal({ year: 2021, month: 6, day: 2 });
    expect(iso('2021-06-02T00:00:00Z')).to.deep.equal({ year: 2021, month: 6, day: 2 });
    expect(iso('2021-02-29')).to.equal(null);
    expect(iso('2020-02-29')).to.deep.equal({ year: 2020, month: 2, day: 29 });
    expect(iso('02/06/2021')).to.equal(null);
    expect(iso('null')).to.equal(null);
  });

  it('reads patterns and epochs', () => {
    expect(dateParser('MM/DD/YYYY')('06/02/2021')).to.deep.equal({ year: 2021, month: 6, day: 2 });
    expect(dateParser('D.M.YYYY')('2.6.2021')).to.deep.equal({ year: 2021, month: 6, day: 2 });
    expect(dateParser('YYYYMMDD')('20210602')).to.deep.equal({ year: 2021, month: 6, day: 2 });
    expect(dateParser('YYYYMMDD')('2021-06-02')).to.equal(null);
    expect(dateParser('epoch-s')('1622592000')).to.deep.equal({ year: 2021, month: 6, day: 2 });
    expect(dateParser('epoch-ms')('1622592000000')).to.deep.equal({ year: 2021, month: 6, day: 2 });
    expect(() => dateParser('DD/MM')).to.throw(/exactly one year/);
  });

  it('numbers days from 1970, before it too', () => {
    expect(dayNumber({ year: 1970, month: 1, day: 2 })).to.equal(1);
    expect(dayNumber({ year: 1965, month: 12, day: 31 })).to.be.lessThan(0);
  });
});

describe('producer: row checks', () => {
  const header = ['Index', 'Date', 'Open', 'High', 'Low', 'Close', 'Adj Close', 'Volume'];
  const ctx: RowContext = { columns: mapColumns(header), headerLength: header.length, parseDate: dateParser('iso'), dateFormat: 'iso' };
  const row = (s: string): string[] => s.split(',');

  it('accepts a bar and keeps the precision it was written with', () => {
    const r = checkBarRow(row('NYA,1965-12-31,528.690002,528.690002,528.690002,528.690002,528.690002,0'), ctx);
    expect(r).to.deep.equal({
      ok: true,
      bar: { symbol: 'NYA', date: { year: 1965, month: 12, day: 31 }, open: 528.690002, high: 528.690002, low: 528.690002, close: 528.690002, volume: 0, decimals: 6 },
    });
    const v = checkBarRow(row('HSI,2010-01-08,22282.75,22443.2207,22206.16016,22296.75,22296.75,1626022600.0'), ctx);
    expect(v.ok && v.bar.volume).to.equal(1626022600);
  });

  it('says which fields are null, missing or not numbers', () => {
    expect(checkBarRow(row('NYA,1967-02-23,null,null,null,null,null,null'), ctx)).to.deep.equal({
      ok: false,
      reason: 'open, high, low, close, volume are null',
      symbol: 'NYA',
    });
    expect(checkBarRow(row('NYA,1967-02-23,1,,1,1,1,x'), ctx)).to.deep.include({ reason: 'high is missing; volume "x" is not a number' });
    expect(checkBarRow(row('NYA,1967-02-23,1,2.,1,1,1,0'), ctx)).to.deep.include({ reason: 'high "2." is not a number' });
  });

  it('rejects impossible bars with the numbers', () => {
    const reason = (s: string): string | undefined => {
      const r = checkBarRow(row(s), ctx);
      return r.ok ? undefined : r.reason;
    };
    expect(reason('A,2020-01-02,0,1,0,1,1,5')).to.equal('open 0 is not positive');
    expect(reason('A,2020-01-02,5,4,6,5,5,5')).to.equal('high 4 is below low 6');
    expect(reason('A,2020-01-02,7,6,4,5,5,5')).to.equal('open 7 is outside low..high 4..6');
    expect(reason('A,2020-01-02,5,6,4,3,5,5')).to.equal('close 3 is outside low..high 4..6');
    expect(reason('A,2020-01-02,5,6,4,5,5,1.5')).to.equal('volume 1.5 is not an integer');
    expect(reason('A,2020-01-02,5,6,4,5,5,-1')).to.equal('volume -1 is negative');
    expect(reason('A,2020-13-02,5,6,4,5,5,1')).to.equal('date "2020-13-02" is not a valid date in format iso');
    expect(reason(',2020-01-02,5,6,4,5,5,1')).to.equal('symbol is missing');
    expect(reason('A,2020-01-02,5,6,4,5,5')).to.equal('row has 7 fields, the header has 8');
  });

  it('recognises a last row the file was cut off in, in any column', () => {
    const hsi = ['Index', 'Date', 'Open', 'High', 'Low', 'Close', 'Adj Close', 'Volume', 'CloseUSD'];
    const cut = 'HSI,2010-01-11,22524.17969,22671.91992,22373.96094,22411.51953,22411.51953,1744637600.0,2913.'.split(',');
    expect(truncationReason(cut, hsi.length, hsi)).to.match(/^truncated row: .*field CloseUSD "2913\." is cut short/);
    expect(truncationReason(cut.slice(0, 7), hsi.length, hsi)).to.match(/^truncated row: .*7 of 9 fields/);
    expect(truncationReason(['GSPTSE', '2017-11-28', '16064.2002', '16086', '16019.40039', '16029.59961', '16029.59961', '15398500000'], 8, header)).to.equal(null);
  });
});

describe('producer: enrichment file', () => {
  it('reads indexInfo.csv: symbol to exchange and currency', () => {
    const info = parseInfo('\uFEFFRegion,Exchange,Index,Currency\r\nUnited States,New York Stock Exchange,NYA,USD\r\nHong Kong,Hong Kong Stock Exchange,HSI,HKD');
    expect(info.get('NYA')).to.deep.equal({ exchange: 'New York Stock Exchange', currency: 'USD' });
    expect(info.get('HSI')).to.deep.equal({ exchange: 'Hong Kong Stock Exchange', currency: 'HKD' });
    expect(() => parseInfo('A,B\n1,2')).to.throw(/expected columns/);
  });
});
