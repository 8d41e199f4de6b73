/**
 * Asynchronous offset commits (consumer/offset-committer.ts): settled by librdkafka's
 * offset-commit callback, bounded by a timeout and an abort signal, and a retry of the same
 * offset joins the request already waiting instead of sending another.
 */
import { expect } from 'chai';
import { CommitTimeoutError, OffsetCommitter } from '../../../consumer/offset-committer.js';
import { AbortedError } from '../../../consumer/retry.js';
import { sinkExitStatus } from '../../../consumer/service.js';

type Tp = { topic: string; partition: number; offset: number };

describe('OffsetCommitter', () => {
  it('resolves on the callback that reports the offset, rejects on its error', async () => {
    const sent: Tp[] = [];
    const c = new OffsetCommitter((tp) => sent.push(tp));
    const a = c.commit('t', 0, 10, 5000);
    const b = c.commit('t', 1, 20, 5000);
    expect(sent).to.deep.equal([
      { topic: 't', partition: 0, offset: 10 },
      { topic: 't', partition: 1, offset: 20 },
    ]);
    c.onResult(undefined, [{ topic: 't', partition: 0, offset: 10 }]);
    await a;
    c.onResult({ message: 'Broker: Not coordinator', code: 16 }, [{ topic: 't', partition: 1, offset: 20 }]);
    let err: unknown;
    await b.catch((e: unknown) => (err = e));
    expect((err as Error).message).to.match(/t \[1\] at 20 failed: Broker: Not coordinator/);
    expect(c.inFlight).to.equal(0);
  });

  it('times out without an answer, and a retry joins the waiting request', async () => {
    const sent: Tp[] = [];
    const c = new OffsetCommitter((tp) => sent.push(tp));
    const t0 = Date.now();
    let err: unknown;
    await c.commit('t', 0, 10, 50).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(CommitTimeoutError);
    expect(Date.now() - t0).to.be.lessThan(1000);
    const retry = c.commit('t', 0, 10, 5000);
    expect(sent, 'one request for one offset').to.have.length(1);
    c.onResult(undefined, [{ topic: 't', partition: 0, offset: 10 }]);
    await retry;
  });

  it('gives up at once when its signal fires', async () => {
    const c = new OffsetCommitter(() => undefined);
    const abort = new AbortController();
    const p = c.commit('t', 0, 1, 60_000, abort.signal);
    abort.abort('revoked');
    let err: unknown;
    await p.catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(AbortedError);
    let early: unknown;
    await c.commit('t', 0, 2, 60_000, abort.signal).catch((e: unknown) => (early = e));
    expect(early).to.be.instanceOf(AbortedError);
  });
});

describe('sink exit status', () => {
  const base = { mode: 'finish', reason: 'finished', uncommittedBatches: 0, abandonedMessages: 0, kafkaReachable: true, kafkaClosed: true } as const;
  it('is 0 after a clean stop (also an abandoning one) and 75 when Kafka was unreachable or the clients did not close', () => {
    expect(sinkExitStatus(null)).to.equal(0);
    expect(sinkExitStatus(base)).to.equal(0);
    expect(sinkExitStatus({ ...base, mode: 'abandon', reason: 'abandoned', abandonedMessages: 500 })).to.equal(0);
    expect(sinkExitStatus({ ...base, reason: 'kafka-unreachable', kafkaReachable: false, kafkaClosed: false, uncommittedBatches: 3 })).to.equal(75);
    expect(sinkExitStatus({ ...base, kafkaClosed: false })).to.equal(75);
  });
});
