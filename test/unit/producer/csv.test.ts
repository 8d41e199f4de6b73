/**
 * CSV replay without Kafka: files in the Kaggle layout with the defects of the real ones
 * (generated, test/fixtures/kaggle.ts; the real files run the same suite in the real-data
 * lane), and a file of assorted defects read in tiny chunks, must give every bar and every
 * rejected row with its line number; nothing is skipped silently.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvSource, type CsvEvent } from '../../../producer/sources/csv.js';
import { generatedKaggle } from '../../support/market-data.js';
import { describeKaggleCsv } from '../../support/suites/kaggle-csv.js';

async function readAll(source: CsvSource): Promise<CsvEvent[]> {
  const out: CsvEvent[] = [];
  for await (const batch of source.events()) out.push(...batch);
  return out;
}

describeKaggleCsv('producer: CSV replay of the generated Kaggle fixture (no Kafka)', generatedKaggle);

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
