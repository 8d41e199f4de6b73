import { expect } from 'chai';
import { scramClient } from '../../../lib/scram.js';

// RFC 7677 section 3: the SCRAM-SHA-256 exchange of user "user" with password "pencil".
const NONCE = 'rOprNGfwEbeRWgbNEkqO';
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';

describe('SCRAM client', () => {
  it('produces the messages of the RFC 7677 example and accepts its server signature', () => {
    const c = scramClient('SCRAM-SHA-256', 'user', 'pencil', NONCE);
    expect(c.clientFirst).to.equal(`n,,n=user,r=${NONCE}`);
    expect(c.clientFinal(SERVER_FIRST)).to.equal(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    );
    expect(() => c.verifyServerFinal('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')).to.not.throw();
  });

  it('refuses a wrong server signature, a nonce that does not extend its own, and a server error', () => {
    const c = scramClient('SCRAM-SHA-256', 'user', 'pencil', NONCE);
    c.clientFinal(SERVER_FIRST);
    expect(() => c.verifyServerFinal('v=AAAA')).to.throw(/signature does not match/);
    expect(() => scramClient('SCRAM-SHA-256', 'user', 'pencil', NONCE).clientFinal('r=other,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')).to.throw(/nonce/);
    expect(() => scramClient('SCRAM-SHA-512', 'user', 'pencil').clientFinal('e=unknown-user')).to.throw(/refused: unknown-user/);
  });

  it('escapes = and , in the user name', () => {
    expect(scramClient('SCRAM-SHA-512', 'a=b,c', 'p', 'n').clientFirst).to.equal('n,,n=a=3Db=2Cc,r=n');
  });
});
