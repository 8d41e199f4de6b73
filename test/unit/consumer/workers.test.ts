/**
 * The sink supervisor's pure parts (consumer/workers.ts): each worker's settings, the check
 * of settings the workers cannot all have, and how the workers' ends become an exit status.
 */
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../../lib/config.js';
import { sinkSpec } from '../../../consumer/settings.js';
import { checkWorkerSettings, supervisedExitStatus, workerFailure, workerSinkConfig, type WorkerEnd } from '../../../consumer/workers.js';

const config = (env: Record<string, string>) => loadConfig(sinkSpec, { env });

describe('sink workers: settings and exit status', () => {
  it('defaults to one worker and reads TICKSTREAM_SINK_WORKERS, refusing 0', () => {
    expect(config({}).sink.workers).to.equal(1);
    expect(config({ TICKSTREAM_SINK_WORKERS: '4' }).sink.workers).to.equal(4);
    expect(() => config({ TICKSTREAM_SINK_WORKERS: '0' })).to.throw(ConfigError, /TICKSTREAM_SINK_WORKERS/);
  });

  it('gives worker i one process, metrics port base+i-1 and member id instanceId-i, the same group', () => {
    const c = config({ TICKSTREAM_SINK_WORKERS: '3', TICKSTREAM_SINK_METRICS_PORT: '9500', TICKSTREAM_SINK_INSTANCE_ID: 'host-a', TICKSTREAM_SINK_GROUP: 'g' });
    const w = [1, 2, 3].map((i) => workerSinkConfig(c, i).sink);
    expect(w.map((s) => s.workers)).to.deep.equal([1, 1, 1]);
    expect(w.map((s) => s.metricsPort)).to.deep.equal([9500, 9501, 9502]);
    expect(w.map((s) => s.instanceId)).to.deep.equal(['host-a-1', 'host-a-2', 'host-a-3']);
    expect(w.map((s) => s.group)).to.deep.equal(['g', 'g', 'g']);
    expect(workerSinkConfig(c, 2).lake).to.deep.equal(c.lake);
  });

  it('keeps port 0 (any free port) and no instance id as they are', () => {
    const s = workerSinkConfig(config({ TICKSTREAM_SINK_WORKERS: '2', TICKSTREAM_SINK_METRICS_PORT: '0' }), 2).sink;
    expect(s.metricsPort).to.equal(0);
    expect(s.instanceId).to.equal(undefined);
  });

  it('refuses metrics ports past 65535, naming the setting', () => {
    expect(() => checkWorkerSettings(config({ TICKSTREAM_SINK_WORKERS: '4', TICKSTREAM_SINK_METRICS_PORT: '65534' }))).to.throw(ConfigError, /sink\.workers/);
    expect(() => checkWorkerSettings(config({ TICKSTREAM_SINK_WORKERS: '2', TICKSTREAM_SINK_METRICS_PORT: '65534' }))).not.to.throw();
    expect(() => checkWorkerSettings(config({ TICKSTREAM_SINK_WORKERS: '4', TICKSTREAM_SINK_METRICS_PORT: '65534', TICKSTREAM_SINK_METRICS: 'false' }))).not.to.throw();
  });

  const end = (e: Partial<WorkerEnd>): WorkerEnd => ({ index: 1, code: 0, signal: null, asked: true, ...e });

  it('names a worker that ended before a stop was asked for, even with exit 0', () => {
    expect(workerFailure(end({ index: 2, code: 1, asked: false }))).to.equal('sink worker 2 exited with code 1 before a stop was asked for');
    expect(workerFailure(end({ index: 3, code: null, signal: 'SIGKILL', asked: false }))).to.equal('sink worker 3 was killed by SIGKILL before a stop was asked for');
    expect(workerFailure(end({ code: 0, asked: false }))).to.match(/before a stop/);
    expect(workerFailure(end({ code: 1 }))).to.match(/while stopping/);
    expect(workerFailure(end({ code: 0 }))).to.equal(null);
    expect(workerFailure(end({ code: 75 }))).to.equal(null);
  });

  it('exits 1 when any worker failed, else 75 when any stopped with Kafka unreachable, else 0', () => {
    expect(supervisedExitStatus([end({}), end({ index: 2 })])).to.equal(0);
    expect(supervisedExitStatus([end({}), end({ index: 2, code: 75 })])).to.equal(75);
    expect(supervisedExitStatus([end({ code: 75 }), end({ index: 2, code: 1 })])).to.equal(1);
    expect(supervisedExitStatus([end({}), end({ index: 2, asked: false })])).to.equal(1);
  });
});
