/**
 * The fast tick decoder against the contract (`decodeTick`): on the producer's messages it
 * takes the fast path; on everything (generated shapes, edge cases, random byte mutations)
 * its answer is exactly `decodeTick`'s, values (-0 included) and rejection reasons alike.
 */
import { expect } from 'chai';
import { decodeTick, tickJson, type Tick, type TickCheck } from '../../../lib/tick.js';
import { TickDecoder } from '../../../consumer/tick-decoder.js';

/** A plain copy without undefined fields, so a reused result compares like a fresh one. */
function plain(check: TickCheck): unknown {
  if (!check.ok) return check;
  const t: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(check.tick)) if (v !== undefined) t[k] = v;
  return { ok: true, tick: t };
}

function random(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
}

function expectSame(decoder: TickDecoder, value: Buffer, label = value.toString('latin1')): void {
  const got = plain(decoder.decode(value));
  const want = plain(decodeTick(value));
  expect(got, label).to.deep.equal(want);
}

describe('TickDecoder', function () {
  // Thousands of generated cases, each checked against JSON.parse: slow on a loaded machine.
  this.timeout(120_000);
  const ticks: Tick[] = [
    { symbol: 'AAPL', ts: 1709560800000, price: 106.93, volume: 258, exchange: 'XNAS', currency: 'USD', source: 'sim', seq: 1 },
    { symbol: '^GSPC', ts: -157766400000, price: 0.01, volume: 0 },
    { symbol: 'BRK B', ts: Date.UTC(2199, 11, 31), price: 123456789.12345, volume: 9007199254, seq: 0 },
    { symbol: 'X', ts: Date.UTC(1900, 0, 1), price: 1e-7, volume: 1, source: 'csv' },
    { symbol: 'EUR/USD', ts: 1709560800001, price: 1.0823, volume: 1000000, exchange: 'FX', currency: 'USD' },
  ];

  it('takes the fast path for the producer\'s messages and agrees with decodeTick', () => {
    const d = new TickDecoder();
    for (const t of ticks) expectSame(d, Buffer.from(tickJson(t)));
    // 1e-7 is written by JSON.stringify with an exponent, which only JSON.parse reads.
    expect(d.fast).to.equal(ticks.length - 1);
    expect(d.slow).to.equal(1);
  });

  it('agrees on numbers at the edge of exactness', () => {
    const d = new TickDecoder();
    const prices = ['0.1', '0.3', '1.005', '2.675', '123456789012345', '12345678901234.5', '1234567890123456', '0.000000000000001', '9.999999999999999', '100.0', '-0', '1.10', '3.14159265358979'];
    for (const p of prices) {
      expectSame(d, Buffer.from(`{"symbol":"A","ts":1709560800000,"price":${p},"volume":1}`));
      expectSame(d, Buffer.from(`{"symbol":"A","ts":1709560800000,"price":1,"volume":${p}}`));
    }
    const rng = random(11);
    for (let i = 0; i < 2000; i++) {
      const digits = 1 + Math.floor(rng() * 16);
      let n = String(1 + Math.floor(rng() * 9));
      for (let k = 1; k < digits; k++) n += String(Math.floor(rng() * 10));
      const dot = Math.floor(rng() * digits);
      const price = dot === 0 ? n : `${n.slice(0, dot)}.${n.slice(dot)}`;
      expectSame(d, Buffer.from(`{"symbol":"A","ts":1709560800000,"price":${price},"volume":7}`));
    }
  });

  it('agrees on unusual but valid JSON, and on every way to be invalid', () => {
    const d = new TickDecoder();
    const base = '"symbol":"AAPL","ts":1709560800000,"price":1.5,"volume":3';
    const cases = [
      `{${base}}`,
      `{ ${base} }`,
      `{${base}}\n`,
      `{${base},"seq":null,"exchange":null}`,
      `{${base},"exchange":""}`,
      `{${base},"extra":{"nested":[1,2]}}`,
      `{${base},"symbol":"MSFT"}`,
      `{"symbol":" AAPL ","ts":1,"price":1,"volume":1}`,
      `{"symbol":" AAPL","ts":1709560800000,"price":1,"volume":1}`,
      `{"symbol":"AA\\"PL","ts":1709560800000,"price":1,"volume":1}`,
      `{"symbol":"\\u0041APL","ts":1709560800000,"price":1,"volume":1}`,
      `{"symbol":"Ä","ts":1709560800000,"price":1,"volume":1}`,
      `{"symbol":"A\\u0001","ts":1709560800000,"price":1,"volume":1}`,
      `{"symbol":"${'S'.repeat(64)}","ts":1709560800000,"price":1,"volume":1}`,
      `{"symbol":"${'S'.repeat(65)}","ts":1709560800000,"price":1,"volume":1}`,
      `{"symbol":"","ts":1709560800000,"price":1,"volume":1}`,
      `{"symbol":"A","ts":1709560800000.5,"price":1,"volume":1}`,
      `{"symbol":"A","ts":1709560800000.0,"price":1,"volume":1}`,
      `{"symbol":"A","ts":1.7095608e12,"price":1,"volume":1}`,
      `{"symbol":"A","ts":99999999999999999,"price":1,"volume":1}`,
      `{"symbol":"A","ts":1709560800000,"price":0,"volume":1}`,
      `{"symbol":"A","ts":1709560800000,"price":-1.5,"volume":1}`,
      `{"symbol":"A","ts":1709560800000,"price":"1.5","volume":1}`,
      `{"symbol":"A","ts":1709560800000,"price":1,"volume":-1}`,
      `{"symbol":"A","ts":1709560800000,"price":1,"volume":-0}`,
      `{"symbol":"A","ts":1709560800000,"price":1,"volume":1.5}`,
      `{"symbol":"A","ts":1709560800000,"price":1,"volume":1,"seq":-1}`,
      `{"symbol":"A","ts":1709560800000,"price":1,"volume":1,"seq":1.5}`,
      `{"symbol":"A","ts":1709560800000,"price":01,"volume":1}`,
      `{"symbol":"A","ts":1709560800000,"price":1.,"volume":1}`,
      `{"symbol":"A","ts":1709560800000,"price":.5,"volume":1}`,
      `{"symbol":"A","ts":1709560800000,"price":1,"volume":1,}`,
      `{"symbol":"A","ts":1709560800000,"price":1}`,
      `{"symbol":"A","ts":1709560800000,"price":1,"volume":1}}`,
      `{"symbol":"A","ts":1709560800000,"price":1,"volume":1`,
      `{"ts":1709560800000,"price":1,"volume":1,"symbol":"A"}`,
      `{"symbol":5,"ts":1709560800000,"price":1,"volume":1}`,
      `{"symbol":"A","ts":-62167219200001,"price":1,"volume":1}`,
      `{"symbol":"A","ts":7258118400000,"price":1,"volume":1}`,
      '[]',
      '{}',
      '"tick"',
      'null',
      '',
    ];
    for (const c of cases) expectSame(d, Buffer.from(c, 'utf8'), c);
    expect(plain(d.decode(null))).to.deep.equal(plain(decodeTick(null)));
  });

  it('agrees on random mutations of real messages', () => {
    const d = new TickDecoder();
    const rng = random(3);
    const alphabet = '{}[]",:.-+eE0123456789 \\nulltrueAZaz\u00e9\u0001';
    for (let i = 0; i < 6000; i++) {
      const bytes = [...Buffer.from(tickJson(ticks[i % ticks.length]!))];
      const edits = 1 + Math.floor(rng() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rng() * (bytes.length + 1));
        const ch = Buffer.from(alphabet[Math.floor(rng() * alphabet.length)]!, 'utf8');
        const kind = rng();
        if (kind < 0.4) bytes.splice(at, 1, ...ch);
        else if (kind < 0.7) bytes.splice(at, 0, ...ch);
        else bytes.splice(at, 1);
      }
      expectSame(d, Buffer.from(bytes));
    }
    expect(d.fast).to.be.greaterThan(300);
    expect(d.slow).to.be.greaterThan(300);
  });

  it('reuses one result: a check is read before the next message is decoded', () => {
    const d = new TickDecoder();
    const a = d.decode(Buffer.from(tickJson(ticks[0]!)));
    expect(a.ok && a.tick.symbol).to.equal('AAPL');
    const b = d.decode(Buffer.from(tickJson(ticks[1]!)));
    expect(b).to.equal(a);
    expect(a.ok && a.tick.symbol).to.equal('^GSPC');
    expect(a.ok && a.tick.exchange).to.equal(undefined);
  });
});
