import { expect } from 'chai';
import { checkTick, decodeTick, encodeTick, type Tick } from '../../../lib/tick.js';

const good = { symbol: 'NYA', ts: Date.UTC(2021, 0, 4, 14, 30), price: 15000.25, volume: 1200 };

function reasonOf(value: unknown): string {
  const r = checkTick(value);
  if (r.ok) throw new Error(`expected a rejection of ${JSON.stringify(value)}`);
  return r.reason;
}

describe('tick contract', () => {
  it('accepts a minimal tick and keeps only known fields', () => {
    const r = checkTick({ ...good, extra: 'dropped', exchange: 'NYSE', seq: 7 });
    expect(r).to.deep.equal({ ok: true, tick: { ...good, exchange: 'NYSE', seq: 7 } });
  });

  it('accepts event times before 1970 (index data starts in 1965)', () => {
    expect(checkTick({ ...good, ts: Date.UTC(1965, 11, 31) }).ok).to.equal(true);
  });

  it('rejects missing and null fields by name', () => {
    expect(reasonOf({ ...good, symbol: undefined })).to.equal('symbol is missing');
    expect(reasonOf({ ...good, price: null })).to.equal('price is missing');
    expect(reasonOf({ ...good, volume: null })).to.equal('volume is missing');
    expect(reasonOf({ ...good, ts: null })).to.equal('ts is missing');
  });

  it('rejects wrong types and values', () => {
    expect(reasonOf({ ...good, price: '12.5' })).to.match(/price is not a finite number/);
    expect(reasonOf({ ...good, price: 0 })).to.match(/not positive/);
    expect(reasonOf({ ...good, price: -1 })).to.match(/not positive/);
    expect(reasonOf({ ...good, volume: 1.5 })).to.match(/volume is not an integer/);
    expect(reasonOf({ ...good, volume: -3 })).to.match(/negative/);
    expect(reasonOf({ ...good, ts: 1.5 })).to.match(/ts is not an integer/);
    expect(reasonOf({ ...good, ts: Date.UTC(2300, 0, 1) })).to.match(/outside/);
    expect(reasonOf({ ...good, symbol: '   ' })).to.equal('symbol is empty');
    expect(reasonOf({ ...good, symbol: 'A\nB' })).to.match(/control characters/);
    expect(reasonOf({ ...good, symbol: 'X'.repeat(65) })).to.match(/longer than 64/);
    expect(reasonOf({ ...good, seq: -1 })).to.match(/seq/);
    expect(reasonOf({ ...good, exchange: 5 })).to.match(/exchange is not a string/);
    expect(reasonOf([good])).to.match(/not a JSON object/);
  });

  it('round-trips through the wire form with a stable field order', () => {
    const tick: Tick = { ...good, exchange: 'NYSE', currency: 'USD', source: 'sim', seq: 3 };
    const bytes = encodeTick(tick);
    expect(bytes.toString()).to.equal(
      '{"symbol":"NYA","ts":1609770600000,"price":15000.25,"volume":1200,"exchange":"NYSE","currency":"USD","source":"sim","seq":3}',
    );
    expect(decodeTick(bytes)).to.deep.equal({ ok: true, tick });
  });

  it('explains undecodable messages', () => {
    expect(decodeTick(null)).to.deep.equal({ ok: false, reason: 'message has no value' });
    const r = decodeTick(Buffer.from('{"symbol":'));
    expect(r.ok).to.equal(false);
    expect(!r.ok && r.reason).to.match(/^value is not valid JSON/);
  });
});
