import { expect } from 'chai';
import { deadLetter, decodeDeadLetter, encodeDeadLetter, MAX_RAW_CHARS } from '../../../lib/dlq.js';

describe('dead letters', () => {
  const at = new Date('2026-01-02T03:04:05Z');

  it('carries reason, file and line in the value and in headers', () => {
    const letter = deadLetter('producer', 'price is missing', { kind: 'file', file: 'indexData.csv', line: 42 }, 'NYA,1966-01-03,null', at);
    const msg = encodeDeadLetter(letter, 'NYA');
    expect(msg.key!.toString()).to.equal('NYA');
    expect(decodeDeadLetter(msg.value)).to.deep.equal({
      reason: 'price is missing',
      origin: { kind: 'file', file: 'indexData.csv', line: 42 },
      raw: 'NYA,1966-01-03,null',
      stage: 'producer',
      at: '2026-01-02T03:04:05.000Z',
    });
    expect(msg.headers).to.deep.include({ 'tickstream.origin': 'indexData.csv:42' });
    expect(msg.headers).to.deep.include({ 'tickstream.reason': 'price is missing' });
  });

  it('describes a Kafka origin as topic/partition@offset and has no key without a symbol', () => {
    const letter = deadLetter('sink', 'value is not valid JSON', { kind: 'kafka', topic: 'ticks', partition: 2, offset: 99 }, Buffer.from('{'), at);
    const msg = encodeDeadLetter(letter);
    expect(msg.key).to.equal(null);
    expect(msg.headers).to.deep.include({ 'tickstream.origin': 'ticks/2@99' });
  });

  it('cuts huge raw input', () => {
    const letter = deadLetter('sink', 'too big', { kind: 'kafka', topic: 't', partition: 0, offset: 0 }, 'x'.repeat(MAX_RAW_CHARS * 2), at);
    expect(letter.raw).to.have.length(MAX_RAW_CHARS);
  });
});
