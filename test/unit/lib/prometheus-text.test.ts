import { expect } from 'chai';
import { parsePrometheusText, sumOf } from '../../../lib/prometheus-text.js';

describe('Prometheus text reader', () => {
  const text = [
    '# HELP tickstream_delivered_total Ticks delivered',
    '# TYPE tickstream_delivered_total counter',
    'tickstream_delivered_total{service="producer",topic="ticks"} 1500',
    'tickstream_delivered_total{service="producer",topic="ticks.dlq"} 12',
    'tickstream_lag{partition="0",label="a \\"quoted\\" value"} 3 1700000000000',
    'up 1',
    'weird_inf +Inf',
  ].join('\n');

  it('reads samples with labels and values', () => {
    const samples = parsePrometheusText(text);
    expect(samples).to.have.length(5);
    expect(samples[2]).to.deep.equal({ name: 'tickstream_lag', labels: { partition: '0', label: 'a "quoted" value' }, value: 3 });
    expect(samples[3]).to.deep.equal({ name: 'up', labels: {}, value: 1 });
    expect(samples[4]!.value).to.equal(Infinity);
  });

  it('sums a metric over matching labels', () => {
    const samples = parsePrometheusText(text);
    expect(sumOf(samples, 'tickstream_delivered_total')).to.equal(1512);
    expect(sumOf(samples, 'tickstream_delivered_total', { topic: 'ticks' })).to.equal(1500);
    expect(sumOf(samples, 'missing')).to.equal(0);
  });
});
