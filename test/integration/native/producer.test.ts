import { expect } from 'chai';
import { Writable } from 'node:stream';
import { createLogger } from '../../../lib/logger.js';
import { runProducer } from '../../../producer/service.js';
import { readTicks, testConfig, uniquePrefix } from '../producer/support.js';
import { requireKafka, sharedKafka } from '../../support/kafka.js';
import { requireAddon } from './support.js';

describe('producer on the batch-native client (kafka.client=native)', function () {
  this.timeout(180_000);

  it('publishes every tick once, in per-symbol order, acknowledged, through the addon (not node-rdkafka)', async () => {
    requireAddon();
    const kafka = sharedKafka();
    await requireKafka(kafka);
    const prefix = uniquePrefix('native');
    const count = 30_000;
    const config = testConfig(kafka, prefix, { count, symbols: 'AAPL:190,MSFT:420,GOOG:170,AMZN:180,NVDA:120,TSLA:250,META:480' });
    const native = { ...config, kafka: { ...config.kafka, client: 'native' as const }, log: { ...config.log, level: 'info' as const } };
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, cb) => (lines.push(chunk.toString()), cb()) });
    const summary = await runProducer(native, { logger: createLogger('producer-test', native.log, sink), signal: new AbortController().signal, progress: 'off' });
    expect(lines.join('')).to.include('ticks go through the batch-native Kafka client');
    expect(summary.ticksProduced).to.equal(count);
    expect(summary.ticksDelivered).to.equal(count);
    expect(summary.ticksFailed).to.equal(0);
    expect(summary.ticksUnconfirmed).to.equal(0);
    const ticks = await readTicks(kafka, `${prefix}ticks`, count);
    expect(ticks.length).to.equal(count);
    const last = new Map<string, number>();
    for (const t of ticks) {
      expect(t.seq).to.equal((last.get(t.symbol) ?? -1) + 1, `seq of ${t.symbol}`);
      last.set(t.symbol, t.seq!);
    }
  });
});
