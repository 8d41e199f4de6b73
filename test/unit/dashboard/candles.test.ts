import { expect } from 'chai';
import { MarketBoard } from '../../../dashboard/candles.js';

const T0 = Date.UTC(2026, 0, 5, 14, 30, 0);
const tick = (symbol: string, secondsAfter: number, price: number, volume = 10) => ({ symbol, ts: T0 + secondsAfter * 1000, price, volume });

describe('dashboard market board', () => {
  it('builds OHLCV candles per symbol and interval', () => {
    const board = new MarketBoard(60);
    for (const t of [tick('A', 0, 10), tick('A', 20, 12), tick('A', 40, 9), tick('A', 59, 11), tick('A', 60, 11.5), tick('B', 5, 100)]) board.add(t);
    const a = board.candlesOf('A');
    expect(a).to.deep.equal([
      { time: T0 / 1000, open: 10, high: 12, low: 9, close: 11, volume: 40, trades: 4 },
      { time: T0 / 1000 + 60, open: 11.5, high: 11.5, low: 11.5, close: 11.5, volume: 10, trades: 1 },
    ]);
    expect(board.candlesOf('B')).to.have.length(1);
    expect(board.symbols()).to.deep.equal(['A', 'B']);
  });

  it('puts a late tick into its own candle without moving the latest close', () => {
    const board = new MarketBoard(60);
    board.add(tick('A', 0, 10));
    board.add(tick('A', 65, 20));
    const update = board.add(tick('A', 30, 5));
    expect(update!.candle.time).to.equal(T0 / 1000);
    const [first, second] = board.candlesOf('A');
    expect(first).to.include({ low: 5, close: 10, trades: 2 });
    expect(second).to.include({ close: 20 });
    expect(board.quotesList()[0]!.last).to.equal(20);
  });

  it('tracks last price and change since the first tick of the UTC day', () => {
    const board = new MarketBoard(60);
    board.add(tick('A', 0, 100));
    board.add(tick('A', 10, 110));
    expect(board.quotesList()[0]).to.include({ last: 110, dayOpen: 100, change: 10, changePct: 10, ticks: 2 });
    board.add(tick('A', 86_400, 50));
    expect(board.quotesList()[0]).to.include({ last: 50, dayOpen: 50, change: 0 });
  });

  it('keeps at most maxCandles per symbol', () => {
    const board = new MarketBoard(1, 5);
    for (let i = 0; i < 20; i++) board.add(tick('A', i, 10 + i));
    const a = board.candlesOf('A');
    expect(a).to.have.length(5);
    expect(a[0]!.open).to.equal(25);
    expect(board.add(tick('A', 0, 1))).to.equal(null);
  });

  it('rejects a nonsensical interval', () => {
    expect(() => new MarketBoard(0)).to.throw(/interval/);
  });
});
