/**
 * `npm run docs:settings`: rewrites the settings tables in the docs from the config specs
 * (scripts/settings-tables.ts says which table goes where), and the Ansible variables page
 * from the roles' defaults (scripts/ansible-variables.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withTable } from '../lib/settings-docs.js';
import { ANSIBLE_VARIABLES_DOC, ansibleVariablesPage } from './ansible-variables.js';
import { SETTINGS_TABLES } from './settings-tables.js';

const root = join(import.meta.dirname, '..');
for (const table of SETTINGS_TABLES) {
  const file = join(root, table.doc);
  const before = readFileSync(file, 'utf8');
  const after = withTable(before, table);
  if (after !== before) {
    writeFileSync(file, after);
    process.stdout.write(`${table.doc}: settings:${table.name} rewritten\n`);
  }
}

const page = ansibleVariablesPage(join(root, 'ansible', 'roles'));
const pageFile = join(root, ANSIBLE_VARIABLES_DOC);
let old = '';
try {
  old = readFileSync(pageFile, 'utf8');
} catch {
  // not written yet
}
if (page !== old) {
  writeFileSync(pageFile, page);
  process.stdout.write(`${ANSIBLE_VARIABLES_DOC} rewritten\n`);
}
