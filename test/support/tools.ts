/**
 * Where the external tools the tests drive are: Python tools in the project's `.venv`
 * (made by `.ci/run`), Debian tools on PATH. A missing tool is a failed test whose message
 * says how to install it, never a skipped one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const PROJECT_ROOT = process.cwd();
export const VENV_BIN = join(PROJECT_ROOT, '.venv', 'bin');

/** A tool from `.ci/requirements.txt`, preferring the project venv. */
export function pythonTool(name: string): string {
  const inVenv = join(VENV_BIN, name);
  if (existsSync(inVenv)) return inVenv;
  if (onPath(name)) return name;
  throw new Error(
    `${name} is not installed. Install the test tools with \`python3 -m venv .venv && .venv/bin/pip install -r .ci/requirements.txt\` ` +
      '(or run `bash .ci/run`, which does it).',
  );
}

/** The absolute path of a system tool such as kcat, chromium or systemd-analyze; `apt` names the Debian package. */
export function systemTool(name: string, apt: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${JSON.stringify(name)}`], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  throw new Error(`${name} is not installed. Install it with \`apt-get install ${apt}\` (or run \`bash .ci/run\`, which does it).`);
}

export function onPath(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${JSON.stringify(name)}`], { encoding: 'utf8' }).status === 0;
}
