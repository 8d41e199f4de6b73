/**
 * The parts of a run that decide what goes on the wire and when: the clocks, the pacer,
 * the partitioner and the encoder (byte-identical to lib/tick.ts), the summary's exit
 * code, the progress line, the producer's configuration and the shipped sample.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { loadConfig, ConfigError } from '../../../lib/config.js';
import { encodeTick, tickJson, type Tick } from '../../../lib/tick.js';
import { LiveClock, historicalClock } from '../../../producer/clock.js';
import { Pacer } from '../../../producer/pacer.js';
import { formatProgressLine } from '../../../producer/progress.js';
import { sampleCsv, SAMPLE_FILE } from '../../../producer/sample.js';
import { producerSpec } from '../../../producer/settings.js';
import { seeded } from '../../../producer/sim/random.js';
import { checkBarRow } from '../../../producer/sources/bars.js';
import { mapColumns } from '../../../producer/sources/columns.js';
import { dateParser } from '../../../producer/sources/dates.js';
import { exitCodeOf, type RunSummary } from '../../../producer/summary.js';
import { murmur2, partitionOf, Router, TickWriter } from '../../../producer/wire.js';

describe('producer: clocks and pacing', () => {
  it('historical keeps event times; live starts now and compresses long gaps', () => {
    expect(historicalClock.eventTime(-126230400000)).to.equal(-126230400000);
    const clock = new LiveClock(1_000_000, 60, 60_000);
    expect(clock.eventTime(5_000_000)).to.equal(1_000_000);
    expect(clock.eventTime(5_060_000)).to.equal(1_001_000); // one scenario minute = 1 s at speed 60
    expect(clock.eventTime(5_060_000 + 86_400_000)).to.equal(1_002_000); // the night is cut to 60 s
    expect(clock.eventTime(0)).to.equal(1_002_000); // going back in scenario time never goes back in event time
    expect(clock.eventTime(120)).to.equal(1_002_002);
  });

  it('spaces ticks at the rate and waits for live event times, sleeping only when it is worth it', () => {
    const p = new Pacer(1000);
    expect(p.delay(0)).to.equal(0);
    expect(p.delay(0)).to.equal(0); // 1 ms: too short to sleep
    expect(p.delay(0)).to.equal(2);
    expect(new Pacer(0).delay(50, 40)).to.equal(0);
    expect(new Pacer(0).delay(50, 80)).to.equal(30);
  });

  it('never lets a tick out before its event time, however short the wait', () => {
    // A rate limit may skip a wait too short for a timer; an event time may not: a tick
    // sent 1 ms before it happened is an early tick in Kafka.
    expect(new Pacer(0).delay(50, 51)).to.equal(1);
    expect(new Pacer(0).delay(50, 50)).to.equal(0);
    const p = new Pacer(1000);
    expect(p.delay(0, 1)).to.equal(1);
    expect(p.delay(0, 0)).to.equal(0); // rate-due at 1 ms: too short to sleep, and the event time is not ahead
    expect(p.delay(0, 1)).to.equal(2); // rate-due at 2 ms, after the event time
  });
});

describe('producer: wire format', () => {
  it("computes Kafka's murmur2 (the Java client's test vectors) and its partition", () => {
    const vectors: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of vectors) expect(murmur2(Buffer.from(key))).to.equal(hash);
    expect(partitionOf(Buffer.from('foobar'), 6)).to.equal((-790332482 & 0x7fffffff) % 6);
    const route = new Router(6).route('NYA');
    expect(route).to.deep.include({ key: Buffer.from('NYA'), partition: partitionOf(Buffer.from('NYA'), 6), symbolJson: '"NYA"', seq: 0 });
  });

  it('encodes byte for byte what lib/tick.ts encodeTick does, as a string and written into its buffer', () => {
    const rng = seeded(9);
    const writer = new TickWriter();
    const router = new Router(6);
    const symbols = ['NYA', '000001.SS', '^GSPC', 'Ünïcödé "q" \\', 'BRK.B'];
    for (let i = 0; i < 5000; i++) {
      const tick: Tick = {
        symbol: symbols[i % symbols.length]!,
        ts: Math.floor(-2e12 + rng.next() * 6e12),
        price: [rng.next() * 1e5, 1e-7 * (1 + rng.next()), 16110.59961, 1e21 * (1 + rng.next()), 0.1 + 0.2][i % 5]!,
        volume: rng.int(0, 2 ** 31) * (i % 3),
        exchange: i % 4 === 0 ? undefined : ['New York Stock Exchange', 'Zürich'][i % 2],
        currency: i % 3 === 0 ? undefined : 'USD',
        source: i % 7 === 0 ? undefined : 'csv',
        seq: i % 11 === 0 ? undefined : i,
      };
      const expected = encodeTick(tick);
      const json = tickJson(tick);
      expect(Buffer.from(json)).to.deep.equal(expected);
      expect(Buffer.compare(writer.write(tick, router.route(tick.symbol)), expected), json).to.equal(0);
    }
  });
});

describe('producer: summary, progress, settings', () => {
  const ok: RunSummary = {
    source: 'csv', rows: 3, blankLines: 0, bars: 2, ticksProduced: 8, ticksDelivered: 8, ticksFailed: 0, ticksUnconfirmed: 0,
    deadLetters: 1, deadLettersFailed: 0, queueFullWaits: 0, seconds: 1, ticksPerSecond: 8, interrupted: false, flushed: true,
    failureReasons: {}, maxRssBytes: 1,
  };

  it('exits 0 only when everything produced was acknowledged', () => {
    expect(exitCodeOf(ok)).to.equal(0);
    expect(exitCodeOf({ ...ok, interrupted: true })).to.equal(0);
    expect(exitCodeOf({ ...ok, ticksFailed: 1 })).to.equal(1);
    expect(exitCodeOf({ ...ok, deadLettersFailed: 1 })).to.equal(1);
    expect(exitCodeOf({ ...ok, flushed: false, ticksUnconfirmed: 3 })).to.equal(1);
    expect(exitCodeOf({ ...ok, error: 'boom' })).to.equal(1);
  });

  it('exits 75 when ticks are unconfirmed because no broker answered at the end', () => {
    expect(exitCodeOf({ ...ok, interrupted: true, flushed: false, ticksUnconfirmed: 3, kafkaUnreachable: true })).to.equal(75);
    expect(exitCodeOf({ ...ok, interrupted: true, kafkaUnreachable: true }), 'nothing unconfirmed').to.equal(0);
    expect(exitCodeOf({ ...ok, ticksFailed: 2, kafkaUnreachable: true }), 'failed deliveries').to.equal(75);
    expect(exitCodeOf({ ...ok, error: 'boom', kafkaUnreachable: true })).to.equal(1);
  });

  it('formats the progress line', () => {
    const line = formatProgressLine({ rows: 1234, bytesRead: 50, totalBytes: 200, ticksProduced: 5_000_000, ticksDelivered: 4_900_000, deadLetters: 681, failed: 0, queued: 100_000 }, 123456.7);
    expect(line).to.equal('rows 1,234 | ticks 5,000,000 sent, 4,900,000 acked | 123,457/s | dlq 681 | queue 100,000 | 25%');
    expect(formatProgressLine({ ticksProduced: 1, ticksDelivered: 0, deadLetters: 0, failed: 2, queued: 1 }, 0)).to.contain('FAILED 2');
  });

  it('reads TICKSTREAM_PRODUCER_* settings and names the bad ones', () => {
    const cfg = loadConfig(producerSpec, { env: { TICKSTREAM_PRODUCER_MAP: 'symbol=Ticker, date=Day', TICKSTREAM_PRODUCER_CLOCK: 'live', TICKSTREAM_PRODUCER_RATE: '500' } });
    expect(cfg.producer.map).to.deep.equal({ symbol: 'Ticker', date: 'Day' });
    expect(cfg.producer).to.include({ clock: 'live', rate: 500, ticksPerBar: 390 });
    let err: unknown;
    try {
      loadConfig(producerSpec, { env: { TICKSTREAM_PRODUCER_TICKS_PER_BAR: '3', TICKSTREAM_PRODUCER_MAP: 'symbol' } });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(/producer\.ticksPerBar \(TICKSTREAM_PRODUCER_TICKS_PER_BAR\): expected an integer >= 4/);
    expect((err as Error).message).to.match(/producer\.map \(TICKSTREAM_PRODUCER_MAP\)/);
  });
});

describe('producer: the sample data set', () => {
  it('is the committed data/sample-daily.csv, generated from its seed, small, and every row a valid bar', () => {
    const { text, rows } = sampleCsv();
    expect(readFileSync(SAMPLE_FILE, 'utf8')).to.equal(text);
    expect(Buffer.byteLength(text)).to.be.lessThan(100 * 1024);
    const [header, ...lines] = text.trimEnd().split('\n');
    const names = header!.split(',');
    const ctx = { columns: mapColumns(names), headerLength: names.length, parseDate: dateParser('iso'), dateFormat: 'iso' };
    expect(lines).to.have.length(rows);
    expect(new Set(lines.map((l) => l.split(',')[0])).size).to.equal(5);
    for (const line of lines) expect(checkBarRow(line.split(','), ctx).ok, line).to.equal(true);
  });
});
