import { expect } from 'chai';
import { decodeMetadataResponse, encodeMetadataRequest, underReplicated } from '../../../lib/kafka-probe.js';

/** Builds a Metadata v4 response body the way a broker encodes it. */
function responseBody(): Buffer {
  const parts: Buffer[] = [];
  const i32 = (n: number) => { const b = Buffer.alloc(4); b.writeInt32BE(n); parts.push(b); };
  const i16 = (n: number) => { const b = Buffer.alloc(2); b.writeInt16BE(n); parts.push(b); };
  const str = (s: string | null) => { if (s === null) return i16(-1); i16(Buffer.byteLength(s)); parts.push(Buffer.from(s)); };
  i32(77); // correlation id
  i32(0); // throttle
  i32(2); // brokers
  i32(1); str('127.0.0.1'); i32(9092); str('a');
  i32(2); str('127.0.0.1'); i32(9093); str(null);
  str('cluster-x');
  i32(1); // controller
  i32(1); // topics
  i16(0); str('ticks'); parts.push(Buffer.from([0]));
  i32(2); // partitions
  i16(0); i32(0); i32(1); i32(2); i32(1); i32(2); i32(2); i32(1); i32(2); // p0 leader 1, replicas [1,2], isr [1,2]
  i16(0); i32(1); i32(2); i32(2); i32(2); i32(1); i32(1); i32(2); // p1 leader 2, replicas [2,1], isr [2]
  return Buffer.concat(parts);
}

describe('Kafka metadata probe (wire format)', () => {
  it('encodes a Metadata v4 request with a size prefix, api key 3 and no auto-creation', () => {
    const req = encodeMetadataRequest(5, 'probe', ['ticks']);
    expect(req.readInt32BE(0)).to.equal(req.length - 4);
    expect(req.readInt16BE(4)).to.equal(3);
    expect(req.readInt16BE(6)).to.equal(4);
    expect(req.readInt32BE(8)).to.equal(5);
    expect(req.subarray(-1)[0]).to.equal(0);
    const all = encodeMetadataRequest(5, 'probe', null);
    expect(all.readInt32BE(all.length - 5)).to.equal(-1);
  });

  it('decodes brokers, controller and partitions', () => {
    const { correlationId, metadata } = decodeMetadataResponse(responseBody());
    expect(correlationId).to.equal(77);
    expect(metadata.brokers).to.deep.equal([
      { nodeId: 1, host: '127.0.0.1', port: 9092, rack: 'a' },
      { nodeId: 2, host: '127.0.0.1', port: 9093, rack: null },
    ]);
    expect(metadata.clusterId).to.equal('cluster-x');
    expect(metadata.controllerId).to.equal(1);
    expect(metadata.topics[0]!.partitions[1]).to.deep.equal({ errorCode: 0, partition: 1, leader: 2, replicas: [2, 1], isr: [2] });
  });

  it('finds partitions whose ISR is smaller than their replica set', () => {
    const { metadata } = decodeMetadataResponse(responseBody());
    expect(underReplicated(metadata)).to.deep.equal([{ topic: 'ticks', partition: 1 }]);
  });
});
