/**
 * unitctl.py, the stand-in for systemctl in the local test mode: it must run a unit's
 * ExecStart the way systemd would (environment from EnvironmentFile= and Environment=,
 * `$VAR` split into words, `${VAR}` kept as one, `%%` as `%`), report changes truthfully
 * (a second start changes nothing), stop exactly the process it started, fail loudly
 * when a unit's command dies at once, and hand over LoadCredential= files as systemd does.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive, unitProcess, unitctl } from './support.js';

describe('unitctl (systemd units without systemd)', function () {
  this.timeout(60_000);
  const root = mkdtempSync(join(tmpdir(), 'tickstream-unitctl-'));
  const units = join(root, 'etc', 'systemd', 'system');
  const out = join(root, 'argv.txt');
  mkdirSync(units, { recursive: true });
  writeFileSync(join(root, 'demo.env'), 'WORDS="alpha beta"\n# a comment\nONE=gamma delta\n');
  writeFileSync(
    join(units, 'demo.service'),
    [
      '[Unit]',
      'Description=demo',
      '',
      '[Service]',
      `EnvironmentFile=${join(root, 'demo.env')}`,
      `EnvironmentFile=-${join(root, 'missing.env')}`,
      'Environment="EXTRA=x y" "PCT=50%%"',
      `WorkingDirectory=${root}`,
      `ExecStart=/bin/sh -c 'printf "%%s\\n" "$@" > ${out}; pwd >> ${out}; printf "%%s\\n" "$PCT" >> ${out}; exec sleep 120' sh $WORDS \${ONE} \${EXTRA}-z`,
      'TimeoutStopSec=5',
    ].join('\n'),
  );
  writeFileSync(join(root, 'secret.txt'), 'hunter2', { mode: 0o600 });
  const seen = join(root, 'credential.txt');
  writeFileSync(
    join(units, 'cred.service'),
    [
      '[Service]',
      `LoadCredential=db-password:${join(root, 'secret.txt')}`,
      `ExecStart=/bin/sh -c 'printf "%%s %%s" "$CREDENTIALS_DIRECTORY" "$(cat "$CREDENTIALS_DIRECTORY/db-password")" > ${seen}; exec sleep 120'`,
      'TimeoutStopSec=5',
    ].join('\n'),
  );
  writeFileSync(join(units, 'broken.service'), '[Service]\nExecStart=/bin/sh -c "echo bad config >&2; exit 3"\n');

  after(async () => {
    await unitctl(root, 'stop', 'demo');
    await unitctl(root, 'stop', 'cred');
    rmSync(root, { recursive: true, force: true });
  });

  it('starts the ExecStart of the unit with systemd expansion rules, once', async () => {
    const first = await unitctl(root, 'start', 'demo');
    expect(first.code, first.out).to.equal(0);
    expect(first.out).to.match(/^changed: started demo \(pid \d+\)/);
    expect(readFileSync(out, 'utf8').split('\n')).to.deep.equal(['alpha', 'beta', 'gamma delta', 'x y-z', root, '50%', '']);
    const pid = unitProcess(root, 'demo')!.pid;
    expect(processAlive(pid)).to.equal(true);

    const second = await unitctl(root, 'start', 'demo');
    expect(second.out).to.match(/^ok: demo is running/);
    expect(unitProcess(root, 'demo')!.pid).to.equal(pid);
    expect((await unitctl(root, 'is-active', 'demo')).code).to.equal(0);
  });

  it('restarts into a new process and stops it, after which it is inactive', async () => {
    const before = unitProcess(root, 'demo')!.pid;
    const restarted = await unitctl(root, 'restart', 'demo');
    expect(restarted.out).to.match(/^changed: restarted demo/);
    const after = unitProcess(root, 'demo')!.pid;
    expect(after).to.not.equal(before);
    expect(processAlive(before)).to.equal(false);

    expect((await unitctl(root, 'stop', 'demo')).out).to.match(/^changed: stopped demo/);
    expect(processAlive(after)).to.equal(false);
    expect((await unitctl(root, 'is-active', 'demo')).code).to.equal(3);
    expect((await unitctl(root, 'stop', 'demo')).out).to.match(/^ok: demo is not running/);
  });

  it('fails with the output of a unit whose command dies at once', async () => {
    const r = await unitctl(root, 'start', 'broken');
    expect(r.code).to.equal(1);
    expect(r.out).to.match(/broken exited at once with status 3/);
    expect(r.out).to.match(/bad config/);
  });

  it('copies LoadCredential= files into an owner-only credentials folder for the unit and removes it on stop', async () => {
    const r = await unitctl(root, 'start', 'cred');
    expect(r.code, r.out).to.equal(0);
    const folder = join(root, 'run', 'credentials', 'cred.service');
    expect(readFileSync(seen, 'utf8')).to.equal(`${folder} hunter2`);
    expect((statSync(folder).mode & 0o777).toString(8)).to.equal('700');
    expect((statSync(join(folder, 'db-password')).mode & 0o777).toString(8)).to.equal('400');
    await unitctl(root, 'stop', 'cred');
    expect(existsSync(folder)).to.equal(false);
  });
});
