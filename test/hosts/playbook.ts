/**
 * ansible-playbook against the test hosts, over SSH, from the project's ansible/ folder;
 * each run's output is kept in the suite's log folder for reading after a failure.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRecap } from '../integration/ansible/support.js';
import { PROJECT_ROOT, pythonTool } from '../support/tools.js';

export { parseRecap };

export interface PlaybookRun {
  readonly output: string;
  readonly recap: ReadonlyMap<string, Record<string, number>>;
  readonly seconds: number;
  readonly log: string;
}

export async function runPlaybook(playbook: string, inventory: string, logDir: string, extra: string[] = [], timeoutMs = 1_800_000): Promise<PlaybookRun> {
  const ansibleDir = join(PROJECT_ROOT, 'ansible');
  mkdirSync(logDir, { recursive: true });
  let n = 1;
  while (existsSync(join(logDir, `${playbook}.${n}.log`))) n += 1;
  const log = join(logDir, `${playbook}.${n}.log`);
  const started = Date.now();
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    const child = spawn(pythonTool('ansible-playbook'), ['-i', inventory, playbook, ...extra], {
      cwd: ansibleDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ANSIBLE_CONFIG: join(ansibleDir, 'ansible.cfg'),
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_FORCE_COLOR: '0',
        ANSIBLE_HOST_KEY_CHECKING: 'False',
      },
    });
    // Written as it comes: `tail -f` the log to follow a run.
    writeFileSync(log, '');
    let out = '';
    const take = (c: Buffer): void => {
      out += c.toString();
      appendFileSync(log, c);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve({ code: c ?? -1, output: out });
    });
  });
  const seconds = (Date.now() - started) / 1000;
  if (code !== 0) {
    throw new Error(`ansible-playbook ${playbook} failed (exit ${code}, ${seconds}s; log ${log}):\n${output.split('\n').slice(-60).join('\n')}`);
  }
  return { output, recap: parseRecap(output), seconds, log };
}
