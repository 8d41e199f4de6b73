/**
 * The Ansible roles' variables page (docs/ansible-variables.md), generated from the roles'
 * `defaults/main.yml`, where each variable is defined and documented (the way cp-ansible
 * makes its variables page): the comment block above a variable, or above the run of
 * variables it heads, is its meaning. `npm run docs:settings` rewrites the page; a unit test
 * fails when it and the defaults differ. Pure but for `ansibleVariablesPage`'s reads.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export interface RoleVariable {
  readonly name: string;
  /** The value on the variable's own line, or `(list)` / `(map)` for a block. */
  readonly value: string;
  readonly doc: string;
}

/** The top-level variables of a defaults file with their comments. */
export function parseDefaults(text: string): RoleVariable[] {
  const out: RoleVariable[] = [];
  const lines = text.split('\n');
  let comment: string[] = [];
  let doc = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^#\s*-{5,}/.test(line)) {
      comment = [];
      continue;
    }
    if (line.startsWith('#')) {
      comment.push(line.replace(/^#\s?/, ''));
      continue;
    }
    if (line.trim() === '' || line === '---') {
      // A blank line ends the run of variables a comment block heads.
      if (line.trim() === '') doc = '';
      comment = [];
      continue;
    }
    const m = /^([a-z_][a-z0-9_]*):\s*(.*)$/.exec(line);
    if (!m) continue; // a line of a block value
    if (comment.length > 0) {
      doc = comment.join(' ').replace(/\s+/g, ' ').trim();
      comment = [];
    }
    const next = lines[i + 1] ?? '';
    const value = m[2]! !== '' ? m[2]! : /^\s+-/.test(next) ? '(list)' : '(map)';
    out.push({ name: m[1]!, value, doc });
  }
  return out;
}

const cell = (text: string): string => text.replace(/\|/g, '\\|');
/** Prose cells: also `<` and `>`, which markdown would read as HTML tags (`<kafka_home>`). */
const prose = (text: string): string => cell(text).replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The page: one table per role, in the roles' folder order. */
export function renderVariablesPage(roles: ReadonlyArray<{ readonly role: string; readonly variables: readonly RoleVariable[] }>): string {
  const parts = [
    '# Ansible role variables',
    '',
    "Generated from each role's `defaults/main.yml` (`npm run docs:settings`): the variables, their",
    'defaults and the comments written beside them. Set them in group_vars or host_vars;',
    '[ansible.md](ansible.md) says how the roles fit together.',
  ];
  for (const { role, variables } of roles) {
    parts.push('', `## ${role}`, '', '| variable | default | meaning |', '|---|---|---|');
    for (const v of variables) parts.push(`| \`${v.name}\` | \`${cell(v.value)}\` | ${prose(v.doc) || '—'} |`);
  }
  return `${parts.join('\n')}\n`;
}

/** The page as the roles under `rolesDir` define it now. */
export function ansibleVariablesPage(rolesDir: string): string {
  const roles = readdirSync(rolesDir)
    .sort()
    .filter((role) => existsSync(join(rolesDir, role, 'defaults', 'main.yml')))
    .map((role) => ({ role, variables: parseDefaults(readFileSync(join(rolesDir, role, 'defaults', 'main.yml'), 'utf8')) }));
  return renderVariablesPage(roles);
}

export const ANSIBLE_VARIABLES_DOC = 'docs/ansible-variables.md';
