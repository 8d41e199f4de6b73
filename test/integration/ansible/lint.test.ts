/**
 * The playbooks and roles pass ansible-lint at the production profile (which includes
 * the syntax check of every playbook), with no rule skipped in ansible/.ansible-lint.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pythonTool } from '../../support/tools.js';
import { ANSIBLE_DIR } from './support.js';

const run = promisify(execFile);

async function ansibleLint(): Promise<string> {
  const { stdout, stderr } = await run(pythonTool('ansible-lint'), ['--nocolor'], {
    cwd: ANSIBLE_DIR,
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: 16 * 1024 * 1024,
    timeout: 600_000,
  }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`ansible-lint failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  });
  return `${stdout}${stderr}`;
}

// Started as soon as mocha loads this file: a minute of linting then overlaps the cluster
// tests, which spend most of their time waiting for JVMs. The test below awaits it.
const linting = Promise.resolve().then(ansibleLint);
linting.catch(() => undefined);

describe('ansible-lint', function () {
  this.timeout(600_000);

  it('passes the production profile with no violation and no skipped rule', async () => {
    const config = readFileSync(join(ANSIBLE_DIR, '.ansible-lint'), 'utf8');
    expect(config).to.match(/^profile: production$/m);
    expect(config).to.not.match(/^(skip_list|warn_list):/m);
    const output = await linting;
    expect(output).to.match(/Passed: 0 failure\(s\), 0 warning\(s\)/);
    expect(output).to.match(/Profile 'production' was required, and it passed/);
  });
});
