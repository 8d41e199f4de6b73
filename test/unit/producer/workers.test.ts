/**
 * The pure parts of a run over several worker processes: which worker owns a symbol and a
 * rejected row (exactly one), how count and rate are shared, the settings a worker gets,
 * and how the workers' counters and summaries add up.
 */
import { expect } from 'chai';
import { loadConfig } from '../../../lib/config.js';
import { producerSpec } from '../../../producer/settings.js';
import { ownsReject, ownsSymbol, planWorkers, shardOfSymbol, splitByWeight, type Shard } from '../../../producer/shard.js';
import { parseSymbols } from '../../../producer/sim/gbm.js';
import { EMPTY_STATUS, mergeStats, progressSnapshot, sumStatuses, type ProducerStatus } from '../../../producer/status.js';
import { combineSummaries, exitCodeOf, formatSummary, type RunSummary } from '../../../producer/summary.js';
import { partitionOf } from '../../../producer/wire.js';
import { workerConfig } from '../../../producer/workers.js';

const shards = (count: number): Shard[] => Array.from({ length: count }, (_, index) => ({ index, count }));

describe('producer workers: sharding', () => {
  it('gives every symbol and every rejected row to exactly one worker', () => {
    const symbols = ['AAPL', 'MSFT', 'GSPTSE', '^NYA', 'N225', 'ÆØÅ', 'x'];
    for (const count of [1, 2, 3, 5]) {
      for (const symbol of symbols) {
        expect(shards(count).filter((s) => ownsSymbol(s, symbol)), `${symbol} / ${count}`).to.have.length(1);
        expect(shards(count).filter((s) => ownsReject(s, symbol))).to.have.length(1);
      }
      // A row without a symbol is worker 0's.
      expect(shards(count).filter((s) => ownsReject(s, undefined)).map((s) => s.index)).to.deep.equal([0]);
      expect(shards(count).filter((s) => ownsReject(s, '')).map((s) => s.index)).to.deep.equal([0]);
    }
  });

  it('uses the Kafka partitioner, so with 6 partitions and 2 or 3 workers a worker owns whole partitions', () => {
    for (let i = 0; i < 200; i++) {
      const symbol = `SYM${i}`;
      const partition = partitionOf(Buffer.from(symbol), 6);
      expect(shardOfSymbol(symbol, 2)).to.equal(partition % 2);
      expect(shardOfSymbol(symbol, 3)).to.equal(partition % 3);
    }
    expect(shardOfSymbol('anything', 1)).to.equal(0);
  });

  it('splits whole numbers by weight, adding up exactly', () => {
    expect(splitByWeight(10, [3, 2])).to.deep.equal([6, 4]);
    expect(splitByWeight(3, [3, 2])).to.deep.equal([2, 1]);
    expect(splitByWeight(1_000_001, [1, 1, 1])).to.deep.equal([333_334, 333_334, 333_333]);
    expect(splitByWeight(0, [1, 2])).to.deep.equal([0, 0]);
    for (let total = 0; total < 50; total++) expect(splitByWeight(total, [3, 3, 2, 1]).reduce((s, x) => s + x, 0)).to.equal(total);
    expect(() => splitByWeight(5, [0, 0])).to.throw(RangeError);
  });

  it('plans the simulator: symbols dealt out, count and rate in proportion, no idle or endless worker', () => {
    const symbols = parseSymbols('AAA:100,BBB:50,CCC:20,DDD:250,EEE:75');
    const plans = planWorkers({ workers: 2, rate: 1000, count: 1_000_000, symbols });
    expect(plans.map((p) => p.symbols)).to.deep.equal(['AAA:100,CCC:20,EEE:75', 'BBB:50,DDD:250']);
    expect(plans.map((p) => p.count)).to.deep.equal([600_000, 400_000]);
    expect(plans.map((p) => p.rate)).to.deep.equal([600, 400]);
    expect(plans.map((p) => p.shard)).to.deep.equal([{ index: 0, count: 2 }, { index: 1, count: 2 }]);
    // More workers than symbols, or than ticks: fewer workers, each with something to do.
    expect(planWorkers({ workers: 8, rate: 0, count: 0, symbols })).to.have.length(5);
    const two = planWorkers({ workers: 4, rate: 0, count: 2, symbols });
    expect(two.map((p) => p.count)).to.deep.equal([1, 1]);
    // A share that rounds to 0 would mean "until stopped": it gets one tick instead.
    const uneven = planWorkers({ workers: 3, rate: 0, count: 3, symbols: parseSymbols('A,B,C,D,E,F,G') });
    expect(uneven.map((p) => p.count)).to.deep.equal([1, 1, 1]);
    expect(planWorkers({ workers: 3, rate: 0, count: 0, symbols }).every((p) => p.count === 0)).to.equal(true);
  });

  it('plans CSV replay: every worker reads the file, the rate is shared equally', () => {
    const plans = planWorkers({ workers: 3, rate: 900, count: 0, symbols: null });
    expect(plans.map((p) => [p.shard.index, p.rate, p.symbols])).to.deep.equal([
      [0, 300, undefined],
      [1, 300, undefined],
      [2, 300, undefined],
    ]);
  });

  it('gives a worker its share and nothing it must not do twice (topics, metrics, progress, more workers)', () => {
    const config = loadConfig(producerSpec, { env: {}, overrides: { 'producer.workers': 2, 'producer.createTopics': true, 'producer.count': 10, 'producer.rate': 50 } });
    const [plan] = planWorkers({ workers: 2, rate: 50, count: 10, symbols: parseSymbols(config.producer.symbols) });
    const w = workerConfig(config, plan!);
    expect(w.producer).to.deep.include({ workers: 1, metrics: false, progress: 'off', createTopics: false, count: 6, rate: 30, symbols: 'AAPL:190,GOOG:170,NVDA:120' });
    expect(w.kafka).to.deep.equal(config.kafka);
    expect(config.producer.workers).to.equal(2); // the run's own settings are left as they were
  });

  it('reads producer.workers from the environment and refuses 0', () => {
    expect(loadConfig(producerSpec, { env: { TICKSTREAM_PRODUCER_WORKERS: '3' } }).producer.workers).to.equal(3);
    expect(loadConfig(producerSpec, { env: {} }).producer.workers).to.equal(1);
    expect(() => loadConfig(producerSpec, { env: { TICKSTREAM_PRODUCER_WORKERS: '0' } })).to.throw(/producer\.workers \(TICKSTREAM_PRODUCER_WORKERS\)/);
  });
});

describe('producer workers: adding up', () => {
  const status = (over: Partial<ProducerStatus>): ProducerStatus => ({ ...EMPTY_STATUS, ...over });

  it('sums counters, takes the least advanced worker for the file and the worst live lag', () => {
    const total = sumStatuses([
      status({ csv: true, rows: 100, bytesRead: 4000, totalBytes: 9000, ticksProduced: 10, ticksDelivered: 8, ticksFailed: 1, deadLetters: 2, queued: 1, lagMs: 5 }),
      status({ csv: true, rows: 90, bytesRead: 3000, totalBytes: 9000, ticksProduced: 20, ticksDelivered: 20, deadLetters: 0, queueFullWaits: 3, lagMs: 9 }),
    ]);
    expect(total).to.deep.include({ rows: 90, bytesRead: 3000, totalBytes: 9000, ticksProduced: 30, ticksDelivered: 28, ticksFailed: 1, deadLetters: 2, queued: 1, queueFullWaits: 3, lagMs: 9, csv: true });
    expect(progressSnapshot(total)).to.deep.equal({ rows: 90, bytesRead: 3000, totalBytes: 9000, ticksProduced: 30, ticksDelivered: 28, deadLetters: 2, failed: 1, queued: 1 });
    expect(progressSnapshot(status({ ticksProduced: 4 }))).to.not.have.property('rows');
    expect(sumStatuses([])).to.deep.equal(EMPTY_STATUS);
  });

  it('merges librdkafka statistics: counts add, a broker is up only if up for every client, rtt mean and worst', () => {
    const merged = mergeStats([
      { msg_cnt: 5, txmsgs: 100, brokers: { b1: { nodeid: 1, state: 'UP', outbuf_msg_cnt: 2, rtt: { avg: 1000, p99: 3000 } }, boot: { nodeid: -1, state: 'INIT' } } },
      { msg_cnt: 7, txmsgs: 50, tx_bytes: 9, brokers: { b1: { nodeid: 1, state: 'UP', outbuf_msg_cnt: 1, rtt: { avg: 3000, p99: 8000 } }, b2: { nodeid: 2, state: 'DOWN' } } },
      { brokers: { b2: { nodeid: 2, state: 'UP' } } },
    ]);
    expect(merged).to.deep.include({ msg_cnt: 12, txmsgs: 150, tx_bytes: 9 });
    expect(merged.brokers!.b1).to.deep.equal({ nodeid: 1, state: 'UP', outbuf_msg_cnt: 3, rtt: { avg: 2000, p99: 8000 } });
    expect(merged.brokers!.b2!.state).to.equal('DOWN');
    expect(merged.brokers!.boot!.state).to.equal('INIT');
  });

  const part = (over: Partial<RunSummary>): RunSummary => ({
    source: 'csv',
    file: 'f.csv',
    rows: 10,
    blankLines: 1,
    bars: 0,
    ticksProduced: 0,
    ticksDelivered: 0,
    ticksFailed: 0,
    ticksUnconfirmed: 0,
    deadLetters: 0,
    deadLettersFailed: 0,
    queueFullWaits: 0,
    seconds: 1,
    ticksPerSecond: 0,
    interrupted: false,
    flushed: true,
    failureReasons: {},
    maxRssBytes: 100,
    ...over,
  });

  it('combines summaries: the file read once, bars, ticks and dead letters summed, any failure fails the run', () => {
    const ok = combineSummaries(
      [part({ bars: 6, ticksProduced: 24, ticksDelivered: 24, deadLetters: 1 }), part({ bars: 3, ticksProduced: 12, ticksDelivered: 12, failureReasons: {} })],
      { seconds: 2, maxRssBytes: 300 },
    );
    expect(ok).to.deep.include({ rows: 10, blankLines: 1, bars: 9, ticksProduced: 36, ticksDelivered: 36, deadLetters: 1, seconds: 2, ticksPerSecond: 18, maxRssBytes: 300, workers: 2, flushed: true });
    expect(exitCodeOf(ok)).to.equal(0);
    expect(formatSummary(ok)).to.match(/peak RSS 0 MiB \(2 workers together\)/);

    const bad = combineSummaries(
      [
        part({ ticksProduced: 5, ticksDelivered: 3, ticksFailed: 2, failureReasons: { 'Broker: Message too large': 2 } }),
        part({ ticksProduced: 4, ticksFailed: 4, failureReasons: { 'Broker: Message too large': 4 }, interrupted: true, flushed: false, error: 'worker 1: was killed by SIGKILL before reporting' }),
      ],
      { seconds: 1, maxRssBytes: 1 },
    );
    expect(bad).to.deep.include({ ticksFailed: 6, interrupted: true, flushed: false, error: 'worker 1: was killed by SIGKILL before reporting' });
    expect(bad.failureReasons).to.deep.equal({ 'Broker: Message too large': 6 });
    expect(exitCodeOf(bad)).to.equal(1);
    expect(() => combineSummaries([], { seconds: 0, maxRssBytes: 0 })).to.throw(RangeError);
  });

  it('keeps the workers\' implicit acknowledgements: re-checked ones found count delivered, absent ones failed, the rest unconfirmed', () => {
    const acked = combineSummaries(
      [
        part({ ticksProduced: 10, ticksDelivered: 9, ticksFailed: 1, implicitAcks: [{ topic: 't', partition: 0, messages: 2, confirmed: 1, absent: 1 }] }),
        part({ ticksProduced: 10, ticksDelivered: 9, ticksUnconfirmed: 1, implicitAcks: [{ topic: 't', partition: 3, messages: 1, confirmed: 0, absent: 0 }] }),
        part({ ticksProduced: 10, ticksDelivered: 10 }),
      ],
      { seconds: 1, maxRssBytes: 1 },
    );
    expect(acked.implicitAcks).to.have.length(2);
    expect(acked).to.deep.include({ ticksDelivered: 28, ticksFailed: 1, ticksUnconfirmed: 1 });
    expect(exitCodeOf(acked)).to.equal(1);
    expect(formatSummary(acked)).to.contain('implicit acks   3 (librdkafka, no offset): 1 found on re-read, 1 absent');
    expect(formatSummary(acked)).to.contain('1 failed, 1 unconfirmed');
    expect(combineSummaries([part({})], { seconds: 1, maxRssBytes: 1 })).to.not.have.property('implicitAcks');
  });
});
