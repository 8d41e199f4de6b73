/**
 * The "done when", against the shared broker: replaying Kaggle's indexData.csv
 * delivers exactly one message per valid row times ticks-per-bar; the 681 `null` rows land
 * in the dead-letter topic with their line numbers; the double-encoded byte-order mark is
 * handled; and a consumer reading `ticks` back sees each symbol in event-time order and
 * every bar's open, high, low, close (and volume) reproduced exactly. The truncated HSI
 * file's cut-off last row is a dead letter and nothing else is lost.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { partitionOf } from '../../../producer/wire.js';
import { exitCodeOf } from '../../../producer/summary.js';
import { requireKafka, sharedKafka } from '../../support/kafka.js';
import { bySymbol, expectedBars, KAGGLE, orderProblems, produceInProcess, readDeadLetters, readTicks, testConfig, uniquePrefix } from './support.js';

const TICKS_PER_BAR = 5;

describe('producer: CSV replay into Kafka (shared broker)', function () {
  this.timeout(300_000);
  const kafka = sharedKafka();

  before(async () => {
    await requireKafka(kafka);
  });

  it('indexData.csv: one message per valid row x ticks per bar, null rows in the DLQ by line, OHLC reproduced, order kept', async () => {
    const file = join(KAGGLE, 'indexData.csv');
    const expected = expectedBars(file);
    const validRows = [...expected.bars.values()].reduce((s, b) => s + b.length, 0);
    expect(validRows).to.equal(51_249 - 681);
    const prefix = uniquePrefix('indexdata');
    const summary = await produceInProcess(
      testConfig(kafka, prefix, { file, ticksPerBar: TICKS_PER_BAR, info: join(KAGGLE, 'indexInfo.csv'), seed: 11 }),
    );

    expect(summary).to.deep.include({
      rows: 51_249,
      bars: validRows,
      ticksProduced: validRows * TICKS_PER_BAR,
      ticksDelivered: validRows * TICKS_PER_BAR,
      ticksFailed: 0,
      deadLetters: 681,
      bom: 'utf8-double',
      flushed: true,
    });
    expect(summary.mapping).to.match(/^symbol=Index date=Date /);
    expect(exitCodeOf(summary)).to.equal(0);

    const letters = await readDeadLetters(kafka, `${prefix}ticks.dlq`, 681);
    expect(letters).to.have.length(681);
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

  it('indexProcessed-HSI-truncated.csv: the cut-off last row is a truncated-row dead letter, every other row is delivered', async () => {
    const file = join(KAGGLE, 'indexProcessed-HSI-truncated.csv');
    const expected = expectedBars(file, true);
    const validRows = expected.bars.get('HSI')!.length;
    const prefix = uniquePrefix('hsi');
    const summary = await produceInProcess(testConfig(kafka, prefix, { file, ticksPerBar: 4 }));
    expect(summary).to.deep.include({
      ticksDelivered: validRows * 4,
      ticksFailed: 0,
      deadLetters: expected.nullLines.length + 1,
      bars: validRows,
    });
    const letters = await readDeadLetters(kafka, `${prefix}ticks.dlq`, expected.nullLines.length + 1);
    const truncated = letters.filter((l) => l.reason.startsWith('truncated row'));
    expect(truncated).to.have.length(1);
    expect(truncated[0]!.origin).to.deep.equal({ kind: 'file', file, line: expected.lines });
    expect(truncated[0]!.raw).to.match(/^HSI,2010-01-11,.*,2913\.$/);
    const ticks = await readTicks(kafka, `${prefix}ticks`, validRows * 4);
    expect(ticks).to.have.length(validRows * 4);
    expect(orderProblems(ticks)).to.deep.equal([]);
    expect(ticks.at(-1)!.price).to.equal(expected.bars.get('HSI')!.at(-1)!.close);
  });
});
