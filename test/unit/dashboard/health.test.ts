import { expect } from 'chai';
import { summarize } from '../../../dashboard/health.js';
import { parsePrometheusText } from '../../../lib/prometheus-text.js';

const producerPage = (delivered: number) =>
  parsePrometheusText(`tickstream_producer_ticks_delivered_total{service="producer"} ${delivered}\ntickstream_producer_dead_letters_total 3\n`);
const sinkPage = parsePrometheusText(
  [
    'tickstream_sink_rows_written_total{table="ticks"} 900',
    'tickstream_sink_rows_written_total{table="bars_1m"} 40',
    'tickstream_sink_files_written_total{table="ticks"} 4',
    'tickstream_sink_files_written_total{table="bars_1m"} 4',
    'tickstream_sink_consumer_lag{partition="0"} 60',
    'tickstream_sink_consumer_lag{partition="1"} 40',
    'tickstream_sink_records_total{result="tick"} 900',
    'tickstream_sink_records_total{result="dead_letter"} 2',
  ].join('\n'),
);

describe('dashboard health', () => {
  it('reads the services own counters', () => {
    const h = summarize({ at: 1000, producer: producerPage(1000), sink: sinkPage }, null);
    expect(h).to.deep.include({ producerUp: true, sinkUp: true, delivered: 1000, sinkRecords: 900, filesWritten: 8, sinkLag: 100, dlq: 5, producerRate: 0 });
  });

  it('computes the delivery rate between two readings', () => {
    const first = summarize({ at: 1000, producer: producerPage(1000), sink: sinkPage }, null);
    const second = summarize({ at: 3000, producer: producerPage(5000), sink: sinkPage }, first);
    expect(second.producerRate).to.equal(2000);
  });

  it('shows a service whose page did not answer as down with zero counts', () => {
    const h = summarize({ at: 1000, producer: null, sink: null }, null);
    expect(h).to.deep.include({ producerUp: false, sinkUp: false, delivered: 0, filesWritten: 0 });
  });

  it('keeps the last known counts of a service that stopped answering', () => {
    const live = summarize({ at: 1000, producer: producerPage(1000), sink: sinkPage }, null);
    const gone = summarize({ at: 2000, producer: null, sink: sinkPage }, live);
    expect(gone).to.deep.include({ producerUp: false, delivered: 1000, producerRate: 0, dlq: 5, sinkRecords: 900 });
  });
});
