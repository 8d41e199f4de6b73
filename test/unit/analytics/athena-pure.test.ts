import { expect } from 'chai';
import { athenaCostUsd, athenaValue, interpretStatus, isoFromAthena, MIN_BILLED_BYTES } from '../../../analytics/runners/athena-pure.js';
import { pollDelayMs } from '../../../analytics/wait.js';

describe('Athena runner decisions', () => {
  it('prices a query at USD 5 per TB, rounded up to the MB, 10 MB at least; failed queries are free', () => {
    const TB = 1024 ** 4;
    expect(athenaCostUsd(TB)).to.equal(5);
    expect(athenaCostUsd(0)).to.equal((MIN_BILLED_BYTES / TB) * 5);
    expect(athenaCostUsd(1)).to.equal(athenaCostUsd(10 * 1024 * 1024));
    expect(athenaCostUsd(10 * 1024 * 1024 + 1)).to.equal(((11 * 1024 * 1024) / TB) * 5);
    expect(athenaCostUsd(TB, false)).to.equal(0);
  });

  it('backs off exponentially between polls, up to a cap', () => {
    const delays = Array.from({ length: 12 }, (_, i) => pollDelayMs(i, { baseMs: 100, maxMs: 2000, factor: 2 }));
    expect(delays.slice(0, 5)).to.deep.equal([100, 200, 400, 800, 1600]);
    expect(delays.slice(5).every((d) => d === 2000)).to.equal(true);
  });

  it('reads a state as running, succeeded, or ended with the engine message', () => {
    expect(interpretStatus({ State: 'RUNNING' })).to.deep.equal({ done: false, state: 'RUNNING' });
    expect(interpretStatus({ State: 'SUCCEEDED' })).to.deep.equal({ done: true, state: 'SUCCEEDED' });
    const failed = interpretStatus({
      State: 'FAILED',
      StateChangeReason: 'SYNTAX_ERROR: line 1:8: Column x cannot be resolved',
      AthenaError: { ErrorCategory: 2, ErrorType: 1006, ErrorMessage: "COLUMN_NOT_FOUND: line 1:8: Column 'x' cannot be resolved" },
    });
    expect(failed).to.deep.equal({ done: true, state: 'FAILED', message: "COLUMN_NOT_FOUND: line 1:8: Column 'x' cannot be resolved [user error]" });
    expect(interpretStatus({ State: 'CANCELLED', StateChangeReason: 'Query cancelled by user' })).to.deep.equal({
      done: true,
      state: 'CANCELLED',
      message: 'Query cancelled by user',
    });
  });

  it('types result cells from the column metadata', () => {
    expect(athenaValue('42', 'bigint')).to.equal(42);
    expect(athenaValue('9007199254740993', 'bigint')).to.equal('9007199254740993');
    expect(athenaValue('0.25', 'double')).to.equal(0.25);
    expect(athenaValue('NaN', 'double')).to.equal('NaN');
    expect(athenaValue('true', 'boolean')).to.equal(true);
    expect(athenaValue('2021-01-04 14:30:00.000', 'timestamp(3)')).to.equal('2021-01-04T14:30:00.000Z');
    expect(athenaValue('2021-01-04', 'date')).to.equal('2021-01-04');
    expect(athenaValue(undefined, 'varchar')).to.equal(null);
    expect(athenaValue('', 'varchar')).to.equal('');
    expect(isoFromAthena('2021-01-04 14:30:00.5 UTC')).to.equal('2021-01-04T14:30:00.500Z');
  });
});
