/**
 * CSV replay without Kafka: the real Kaggle files with their real defects, and a file of
 * assorted defects read in tiny chunks, must give every bar and every rejected row with
 * its line number; nothing is skipped silently.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvSource, type CsvEvent } from '../../../producer/sources/csv.js';
import { KAGGLE_DIR as KAGGLE } from '../../support/shared-data.js';

async function readAll(source: CsvSource): Promise<CsvEvent[]> {
  const out: CsvEvent[] = [];
  for await (const batch of source.events()) out.push(...batch);
  return out;
}

/** Line numbers of rows whose fields are the literal null, computed from the raw file. */
function nullLines(file: string): number[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l, i) => ({ l, line: i + 1 }))
    .filter(({ l }) => l.includes(',null,'))
    .map(({ line }) => line);
}

describe('producer: CSV replay of the Kaggle files (no Kafka)', function () {
  this.timeout(60_000);

  it('indexData.csv: the double-encoded BOM is removed, every valid row is a bar, the 681 null rows are rejected by line', async () => {
    const file = join(KAGGLE, 'indexData.csv');
    const source = new CsvSource({ file, dateFormat: 'iso', delimiter: ',' });
    const events = await readAll(source);
    const rejects = events.filter((e) => e.kind === 'reject');
    const bars = events.filter((e) => e.kind === 'bar');
    const expectedNull = nullLines(file);
    expect(expectedNull).to.have.length(681);
    expect(source.header).to.deep.include({ bom: 'utf8-double' });
    expect(source.header!.mapping).to.equal('symbol=Index date=Date open=Open high=High low=Low close=Close volume=Volume');
    expect(rejects.map((r) => r.line)).to.deep.equal(expectedNull);
    expect(rejects.every((r) => r.kind === 'reject' && r.reason === 'open, high, low, close, volume are null')).to.equal(true);
    expect(bars).to.have.length(51_249 - 681);
    expect(source.progress).to.deep.include({ rows: 51_249, blankLines: 0 });
    // The last row has no line break after it and is complete: it is a bar.
    expect(bars.at(-1)).to.deep.include({ line: 51_250 });
    expect(bars[0]).to.deep.include({ line: 2, raw: 'NYA,1965-12-31,528.690002,528.690002,528.690002,528.690002,528.690002,0' });
  });

  it('indexProcessed-HSI-truncated.csv: the cut-off last row is rejected as truncated, nothing else is lost', async () => {
    const file = join(KAGGLE, 'indexProcessed-HSI-truncated.csv');
    const source = new CsvSource({ file, dateFormat: 'iso', delimiter: ',' });
    const events = await readAll(source);
    const lines = readFileSync(file, 'utf8').split('\n');
    const rejects = events.filter((e) => e.kind === 'reject');
    expect(rejects).to.have.length(1);
    expect(rejects[0]).to.deep.include({ line: lines.length });
    expect(rejects[0]!.kind === 'reject' && rejects[0]!.reason).to.match(/^truncated row: .*CloseUSD "2913\."/);
    expect(events.filter((e) => e.kind === 'bar')).to.have.length(lines.length - 2);
  });
});

describe('producer: CSV replay of a file with assorted defects', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'tickstream-producer-csv-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const text = [
    '\uFEFFTicker;Day;Open;High;Low;Close;Volume',
    'AAA;02/01/2024;10;11;9;10.5;100',
    '',
    'BBB;02/01/2024;"20";21;19;20;200',
    'AAA;03/01/2024;10;9;11;10;5',
    '"CCC ""quoted""";03/01/2024;1;1;1;1;0',
    'AAA;04/01/2024;1;"2"x;1;1;1',
    'AAA;05/01/2024;N/A;2;1;1;1',
    'AAA;06/01/2024;1;2;1;1',
    'AAA;31/02/2024;1;2;1;1;1',
    'AAA;07/01/2024;1;2;1;1;1',
  ].join('\r\n');

  for (const chunkBytes of [1, 3, 7, 64 * 1024]) {
    it(`gives the same bars and line-numbered rejects with ${chunkBytes}-byte reads`, async () => {
      const file = join(dir, `defects-${chunkBytes}.csv`);
      writeFileSync(file, text);
      const source = new CsvSource({ file, dateFormat: 'DD/MM/YYYY', delimiter: ';', chunkBytes });
      const events = await readAll(source);
      expect(source.header).to.deep.include({ bom: 'utf8', mapping: 'symbol=Ticker date=Day open=Open high=High low=Low close=Close volume=Volume' });
      expect(events.map((e) => (e.kind === 'bar' ? `${e.line} bar ${e.bar.symbol}` : `${e.line} ${e.reason}`))).to.deep.equal([
        '2 bar AAA',
        '4 bar BBB',
        '5 high 9 is below low 11',
        '6 bar CCC "quoted"',
        "7 malformed CSV: Parse Error: expected: ';' OR new line got: 'x'. at 'x;1;1;1'",
        '8 open is null',
        '9 row has 6 fields, the header has 7',
        '10 date "31/02/2024" is not a valid date in format DD/MM/YYYY',
        '11 bar AAA',
      ]);
      expect(source.progress).to.deep.include({ rows: 9, blankLines: 1 });
    });
  }

  it('takes the symbol from the file name when there is no symbol column, and reports an unmappable header', async () => {
    const yahoo = join(dir, 'MSFT.csv');
    writeFileSync(yahoo, 'Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,1,2,1,2,2,10\n');
    const events = await readAll(new CsvSource({ file: yahoo, dateFormat: 'iso', delimiter: ',' }));
    expect(events).to.have.length(1);
    expect(events[0]!.kind === 'bar' && events[0]!.bar.symbol).to.equal('MSFT');

    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'When,Price\n2024-01-02,1\n');
    let err: Error | undefined;
    try {
      await readAll(new CsvSource({ file: bad, dateFormat: 'iso', delimiter: ',' }));
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/cannot find the date, open, high, low, close columns in the header "When","Price"/);
    expect(() => new CsvSource({ file: join(dir, 'missing.csv'), dateFormat: 'iso', delimiter: ',' })).to.throw(/cannot read .*missing\.csv/);
  });
});
