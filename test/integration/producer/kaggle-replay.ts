/**
 * Replaying files in the Kaggle layout into Kafka, end to end: run by `npm test` on the
 * generated fixture (replay.test.ts) and by the real-data lane on the real files
 * (test/real-data/replay.test.ts). indexData.csv gives exactly one message per valid row
 * times ticks-per-bar (in one process and over three workers); its `null` rows land in the
 * dead-letter topic with their line numbers; the doubly encoded byte-order mark and the
 * empty rows are handled; a consumer reading `ticks` back sees each symbol in event-time
 * order and every bar's open, high, low, close (and volume) reproduced exactly. The
 * processed file's cut-off last row is a dead letter and nothing else is lost.
 * Expectations come from a plain split of the file (expectedBars, scanKaggleFile).
 */
import { expect } from 'chai';
import { partitionOf } from '../../../producer/wire.js';
import { exitCodeOf } from '../../../producer/summary.js';
import { requireKafka, sharedKafka } from '../../support/kafka.js';
import type { KaggleFiles } from '../../support/market-data.js';
import { scanKaggleFile } from '../../support/suites/kaggle-scan.js';
import { bySymbol, expectedBars, orderProblems, produceInProcess, readDeadLetters, readTicks, testConfig, uniquePrefix } from './support.js';

const TICKS_PER_BAR = 5;

export function describeKaggleReplay(title: string, data: () => KaggleFiles): void {
  describe(title, function () {
    this.timeout(300_000);
    const kafka = sharedKafka();

    before(async () => {
      await requireKafka(kafka);
    });

    it('indexData.csv: one message per valid row x ticks per bar, null rows in the DLQ by line, OHLC reproduced, order kept', async () => {
      const files = data();
      const file = files.indexData;
      const scan = scanKaggleFile(file);
      const expected = expectedBars(file);
      const validRows = [...expected.bars.values()].reduce((s, b) => s + b.length, 0);
      expect(expected.nullLines).to.deep.equal(scan.nullLines).and.not.be.empty;
      expect(validRows).to.equal(scan.rows - scan.nullLines.length);
      if (files.facts) expect(expected.nullLines).to.deep.equal(files.facts.indexData.nullLines);
      const nulls = expected.nullLines.length;
      const prefix = uniquePrefix('indexdata');
      const summary = await produceInProcess(testConfig(kafka, prefix, { file, ticksPerBar: TICKS_PER_BAR, info: files.indexInfo, seed: 11 }));

      expect(summary).to.deep.include({
        rows: scan.rows,
        bars: validRows,
        ticksProduced: validRows * TICKS_PER_BAR,
        ticksDelivered: validRows * TICKS_PER_BAR,
        ticksFailed: 0,
        deadLetters: nulls,
        bom: scan.bom,
        flushed: true,
      });
      expect(summary.mapping).to.match(/^symbol=Index date=Date /);
      expect(exitCodeOf(summary)).to.equal(0);

      const letters = await readDeadLetters(kafka, `${prefix}ticks.dlq`, nulls);
      expect(letters).to.have.length(nulls);
      const lines = letters.map((l) => (l.origin.kind === 'file' ? l.origin.line : -1)).sort((a, b) => a - b);
      expect(lines).to.deep.equal(expected.nullLines);
      expect(letters.every((l) => l.stage === 'producer' && l.origin.kind === 'file' && l.origin.file === file)).to.equal(true);
      expect(letters.every((l) => l.reason === 'open, high, low, close, volume are null' && /^[^,]+,\d{4}-\d{2}-\d{2},null,/.test(l.raw))).to.equal(true);

      const ticks = await readTicks(kafka, `${prefix}ticks`, validRows * TICKS_PER_BAR);
      expect(ticks).to.have.length(validRows * TICKS_PER_BAR);
      expect(orderProblems(ticks)).to.deep.equal([]);
      const got = bySymbol(ticks);
      expect([...got.keys()].sort()).to.deep.equal([...expected.bars.keys()].sort());
      for (const [symbol, bars] of expected.bars) {
        const list = got.get(symbol)!;
        expect(list[0]!.partition, `${symbol} partition`).to.equal(partitionOf(Buffer.from(symbol), 6));
        expect(list.every((t) => t.key === symbol && t.source === 'csv' && t.currency !== undefined && t.exchange !== undefined)).to.equal(true);
        const wrong: string[] = [];
        bars.forEach((bar, b) => {
          const day = list.slice(b * TICKS_PER_BAR, (b + 1) * TICKS_PER_BAR);
          const prices = day.map((t) => t.price);
          const actual = {
            symbol,
            open: prices[0],
            high: Math.max(...prices),
            low: Math.min(...prices),
            close: prices.at(-1),
            volume: day.reduce((s, t) => s + t.volume, 0),
          };
          if (wrong.length < 5 && JSON.stringify(actual) !== JSON.stringify(bar)) wrong.push(`bar ${b}: ${JSON.stringify(actual)} != ${JSON.stringify(bar)}`);
          // A bar's ticks fall inside one trading day of its exchange.
          if (wrong.length < 5 && day.at(-1)!.ts - day[0]!.ts > 10 * 3_600_000) wrong.push(`bar ${b} spans more than a session`);
        });
        expect(wrong, symbol).to.deep.equal([]);
      }
    });

    it('indexData.csv with 3 workers: every valid row once, each null row in the DLQ once with its line', async () => {
      const files = data();
      const file = files.indexData;
      const ticksPerBar = 4;
      const scan = scanKaggleFile(file);
      const expected = expectedBars(file);
      const validRows = [...expected.bars.values()].reduce((s, b) => s + b.length, 0);
      const nulls = expected.nullLines.length;
      const prefix = uniquePrefix('w3');
      const summary = await produceInProcess(testConfig(kafka, prefix, { file, ticksPerBar, info: files.indexInfo, workers: 3 }));
      expect(summary).to.deep.include({
        workers: 3,
        rows: scan.rows,
        bars: validRows,
        ticksProduced: validRows * ticksPerBar,
        ticksDelivered: validRows * ticksPerBar,
        ticksFailed: 0,
        deadLetters: nulls,
        bom: scan.bom,
        flushed: true,
        interrupted: false,
      });
      expect(summary.mapping).to.match(/^symbol=Index date=Date /);
      expect(exitCodeOf(summary)).to.equal(0);
      // One more than expected, to see that no worker reported a row twice.
      const letters = await readDeadLetters(kafka, `${prefix}ticks.dlq`, nulls + 1, 8000);
      expect(letters.map((l) => (l.origin.kind === 'file' ? l.origin.line : -1)).sort((a, b) => a - b)).to.deep.equal(expected.nullLines);
    });

    it('indexProcessed: the cut-off last row is a truncated-row dead letter, every other row is delivered', async () => {
      const files = data();
      const file = files.indexProcessed;
      const scan = scanKaggleFile(file);
      if (files.facts) expect(scan.cut).to.equal(true);
      const expected = expectedBars(file, scan.cut);
      const validRows = [...expected.bars.values()].reduce((s, b) => s + b.length, 0);
      const letterCount = expected.nullLines.length + (scan.cut ? 1 : 0);
      const prefix = uniquePrefix('hsi');
      const summary = await produceInProcess(testConfig(kafka, prefix, { file, ticksPerBar: 4 }));
      expect(summary).to.deep.include({ ticksDelivered: validRows * 4, ticksFailed: 0, deadLetters: letterCount, bars: validRows });
      const letters = await readDeadLetters(kafka, `${prefix}ticks.dlq`, letterCount);
      const truncated = letters.filter((l) => l.reason.startsWith('truncated row'));
      expect(truncated).to.have.length(scan.cut ? 1 : 0);
      if (scan.cut) {
        expect(truncated[0]!.origin).to.deep.equal({ kind: 'file', file, line: expected.lines });
        expect(truncated[0]!.raw).to.equal(scan.lines.at(-1));
      }
      const ticks = await readTicks(kafka, `${prefix}ticks`, validRows * 4);
      expect(ticks).to.have.length(validRows * 4);
      expect(orderProblems(ticks)).to.deep.equal([]);
      expect(expected.bars.has('HSI')).to.equal(true);
      for (const [symbol, list] of bySymbol(ticks)) expect(list.at(-1)!.price, symbol).to.equal(expected.bars.get(symbol)!.at(-1)!.close);
    });
  });
}
