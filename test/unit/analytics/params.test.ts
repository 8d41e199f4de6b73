import { expect } from 'chai';
import { athenaLiteral, bindParams, parseParam, type ParamDecl } from '../../../analytics/params.js';

const DECLS: ParamDecl[] = [
  { name: 'interval', type: 'interval', default: 60, doc: 'bar' },
  { name: 'symbol', type: 'string', default: '', doc: 'sym' },
  { name: 'from', type: 'date', doc: 'first day' },
  { name: 'window', type: 'integer', default: 20, min: 2, doc: 'days' },
];

describe('query parameters', () => {
  it('parses each type and refuses what is not of it', () => {
    expect(parseParam({ name: 'i', type: 'interval' }, '5m')).to.equal(300);
    expect(parseParam({ name: 'i', type: 'interval' }, '1d')).to.equal(86_400);
    expect(parseParam({ name: 'i', type: 'interval' }, '90')).to.equal(90);
    expect(() => parseParam({ name: 'i', type: 'interval' }, '0s')).to.throw(/positive/);
    expect(() => parseParam({ name: 'i', type: 'interval' }, '5 minutes')).to.throw(/duration/);
    expect(parseParam({ name: 'd', type: 'date' }, '2024-02-29')).to.equal('2024-02-29');
    expect(() => parseParam({ name: 'd', type: 'date' }, '2023-02-29')).to.throw(/calendar date/);
    expect(() => parseParam({ name: 'd', type: 'date' }, '2023-2-1')).to.throw(/YYYY-MM-DD/);
    expect(parseParam({ name: 'n', type: 'number' }, '2.5')).to.equal(2.5);
    expect(() => parseParam({ name: 'n', type: 'number' }, 'NaN')).to.throw(/a number/);
    expect(() => parseParam({ name: 'n', type: 'integer' }, '1.5')).to.throw(/integer/);
    expect(() => parseParam({ name: 'n', type: 'integer', min: 2 }, '1')).to.throw(/>= 2/);
    expect(() => parseParam({ name: 's', type: 'string' }, 'a\nb')).to.throw(/control/);
  });

  it('binds values by name into query order, with defaults, and refuses unknown or missing ones', () => {
    expect(bindParams('q', DECLS, { from: '2021-01-04', interval: '1h' }).map((p) => p.value)).to.deep.equal([3600, '', '2021-01-04', 20]);
    expect(() => bindParams('q', DECLS, { from: '2021-01-04', limit: '3' })).to.throw(/has no parameter limit/);
    expect(() => bindParams('q', DECLS, {})).to.throw(/needs parameter from/);
  });

  it('makes Athena literals that cannot leave their string', () => {
    expect(athenaLiteral({ name: 's', type: 'string', value: "NYA' OR '1'='1" })).to.equal(`'NYA'' OR ''1''=''1'`);
    expect(athenaLiteral({ name: 'd', type: 'date', value: '2021-01-04' })).to.equal(`'2021-01-04'`);
    expect(athenaLiteral({ name: 'i', type: 'integer', value: 20 })).to.equal('20');
    expect(athenaLiteral({ name: 'n', type: 'number', value: 2.5 })).to.equal('2.5E+0');
    expect(athenaLiteral({ name: 'n', type: 'number', value: 1e21 })).to.equal('1E+21');
    expect(() => athenaLiteral({ name: 'i', type: 'integer', value: 1.5 })).to.throw(/not an integer/);
  });
});
