/**
 * CSV replay of files in the Kaggle layout without Kafka, run on the generated fixture by
 * `npm test` (test/unit/producer/csv.test.ts) and on the real files by the real-data lane
 * (test/real-data/csv.test.ts). Every expectation is computed from the file's own text by
 * a plain split (not the producer's parser); on the generated fixture it is also checked
 * against what the generator says it wrote, so a fixture that lost a defect fails too.
 */
import { expect } from 'chai';
import { CsvSource, type CsvEvent } from '../../../producer/sources/csv.js';
import type { KaggleFiles } from '../market-data.js';
import { scanKaggleFile } from './kaggle-scan.js';

async function readAll(source: CsvSource): Promise<CsvEvent[]> {
  const out: CsvEvent[] = [];
  for await (const batch of source.events()) out.push(...batch);
  return out;
}

export function describeKaggleCsv(title: string, data: () => KaggleFiles): void {
  describe(title, function () {
    this.timeout(60_000);

    it('indexData.csv: the byte-order mark is removed, every valid row is a bar, the null rows are rejected by line, empty rows are counted', async () => {
      const files = data();
      const scan = scanKaggleFile(files.indexData);
      const facts = files.facts?.indexData;
      if (facts) {
        // The generated file carries each defect it is meant to reproduce.
        expect(scan.bom).to.equal('utf8-double');
        expect(scan.crlf && !scan.finalNewline).to.equal(true);
        expect(scan.nullLines).to.deep.equal(facts.nullLines).and.not.be.empty;
        expect(scan.blankLines).to.deep.equal(facts.blankLines).and.not.be.empty;
        expect(scan.rows).to.equal(facts.rows);
        expect(scan.lines[1]).to.equal(facts.firstRow);
      }
      expect(scan.nullLines, 'rows of literal null in the file').to.not.be.empty;
      const source = new CsvSource({ file: files.indexData, dateFormat: 'iso', delimiter: ',' });
      const events = await readAll(source);
      const rejects = events.filter((e) => e.kind === 'reject');
      const bars = events.filter((e) => e.kind === 'bar');
      expect(source.header).to.deep.include({ bom: scan.bom });
      expect(source.header!.mapping).to.equal('symbol=Index date=Date open=Open high=High low=Low close=Close volume=Volume');
      expect(rejects.map((r) => r.line)).to.deep.equal(scan.nullLines);
      expect(rejects.every((r) => r.kind === 'reject' && r.reason === 'open, high, low, close, volume are null')).to.equal(true);
      expect(bars).to.have.length(scan.rows - scan.nullLines.length);
      expect(source.progress).to.deep.include({ rows: scan.rows, blankLines: scan.blankLines.length });
      // The last row (without a line break after it in the Kaggle copies) is complete: it is a bar.
      expect(bars.at(-1)).to.deep.include({ line: scan.lastDataLine });
      expect(bars[0]).to.deep.include({ line: 2, raw: scan.lines[1] });
    });

    it('indexProcessed: a last row cut off mid-number is rejected as truncated, volumes written as floats are read, nothing else is lost', async () => {
      const files = data();
      const scan = scanKaggleFile(files.indexProcessed);
      const facts = files.facts?.indexProcessed;
      if (facts) {
        expect(scan.cut).to.equal(true);
        expect(scan.lines.at(-1)).to.equal(facts.cutRow);
        expect(scan.rows).to.equal(facts.rows);
      }
      expect(scan.floatVolumes, 'volumes written as floats (1626022600.0)').to.be.greaterThan(0);
      const source = new CsvSource({ file: files.indexProcessed, dateFormat: 'iso', delimiter: ',' });
      const events = await readAll(source);
      const rejects = events.filter((e) => e.kind === 'reject');
      const truncated = rejects.filter((r) => r.kind === 'reject' && r.reason.startsWith('truncated row'));
      expect(rejects.map((r) => r.line)).to.deep.equal([...scan.nullLines, ...(scan.cut ? [scan.lines.length] : [])]);
      expect(truncated).to.have.length(scan.cut ? 1 : 0);
      if (scan.cut) {
        const fields = scan.lines.at(-1)!.split(',');
        const why =
          fields.length < scan.header.length
            ? `${fields.length} of ${scan.header.length} fields`
            : `field ${scan.header[fields.length - 1]} "${fields.at(-1)}" is cut short`;
        expect(truncated[0]!.kind === 'reject' && truncated[0]!.reason).to.equal(`truncated row: the file ends in the middle of it (${why}, no line break at the end)`);
      }
      const bars = events.filter((e) => e.kind === 'bar');
      expect(bars).to.have.length(scan.rows - rejects.length);
      // A float volume is the same number as the integer it stands for.
      const firstBar = bars[0]!;
      expect(firstBar.kind === 'bar' && firstBar.bar.volume).to.equal(Number(scan.lines[1]!.split(',')[7]));
    });
  });
}
