/**
 * The addon under valgrind's memcheck (native/test/valgrind.sh on native/test/smoke.mjs):
 * no invalid read or write, no use of uninitialised memory, no definite leak, on a round
 * trip through the shared cluster that produces, consumes, commits and closes.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { requireKafka, sharedKafka } from '../../support/kafka.js';
import { requireAddon } from './support.js';

describe('native addon under valgrind (memcheck)', function () {
  this.timeout(15 * 60_000);

  it('runs the smoke round trip with no memory error and no definite leak in the addon', async () => {
    requireAddon();
    const kafka = sharedKafka();
    await requireKafka(kafka);
    const r = spawnSync('bash', ['native/test/valgrind.sh'], {
      env: { ...process.env, TICKSTREAM_KAFKA_BOOTSTRAP: kafka.bootstrap },
      encoding: 'utf8',
      timeout: 14 * 60_000,
    });
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.status, out.slice(-4000)).to.equal(0);
    expect(out).to.match(/ERROR SUMMARY: 0 errors/);
    expect(out).to.match(/valgrind: clean/);
  });
});
