import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { flagHelp, settingFlags } from '../../../lib/cli.js';
import { boolSetting, intSetting, stringSetting } from '../../../lib/config.js';
import { settingsTable, withTable } from '../../../lib/settings-docs.js';
import { ANSIBLE_VARIABLES_DOC, ansibleVariablesPage, parseDefaults } from '../../../scripts/ansible-variables.js';
import { SETTINGS_TABLES } from '../../../scripts/settings-tables.js';

const ROOT = join(import.meta.dirname, '../../..');

describe('settings tables in the docs', () => {
  it('renders a spec as variable, key, default and meaning, escaping pipes', () => {
    const spec = {
      s: {
        a: intSetting({ env: 'X_A', default: 5, doc: 'five | or more' }),
        b: stringSetting({ env: 'X_B', default: undefined, doc: 'optional' }),
        c: stringSetting({ env: 'X_C', default: '', allowEmpty: true, doc: 'empty' }),
      },
    };
    expect(settingsTable(spec)).to.equal(
      ['| variable | key | default | meaning |', '|---|---|---|---|', '| `X_A` | `s.a` | `5` | five \\| or more |', '| `X_B` | `s.b` | unset | optional |', '| `X_C` | `s.c` | empty | empty |'].join('\n'),
    );
    const doc = 'intro\n<!-- settings:t -->\nold\n<!-- /settings:t -->\nafter\n';
    expect(withTable(doc, { name: 't', doc: 'x.md', spec })).to.equal(`intro\n<!-- settings:t -->\n${settingsTable(spec)}\n<!-- /settings:t -->\nafter\n`);
    expect(() => withTable('no markers', { name: 't', doc: 'x.md', spec })).to.throw('x.md has no <!-- settings:t -->');
  });

  for (const table of SETTINGS_TABLES) {
    it(`${table.doc} lists the ${table.name} settings as the spec defines them (npm run docs:settings rewrites it)`, () => {
      const text = readFileSync(join(ROOT, table.doc), 'utf8');
      expect(withTable(text, table) === text, `${table.doc}: settings:${table.name} differs from its spec; run npm run docs:settings`).to.equal(true);
    });
  }
});

describe('setting flags on a command', () => {
  const spec = {
    s: {
      port: intSetting({ env: 'X_PORT', default: 9092, doc: 'the port' }),
      metrics: boolSetting({ env: 'X_METRICS', default: true, doc: 'serve metrics' }),
    },
  };

  it('declares each flag with its variable and default from the spec, and maps option names to keys', () => {
    const cmd = new Command('x');
    const mapping = settingFlags(cmd, spec, [['--listen-port <port>', 's.port'], ['--no-metrics', 's.metrics', 'do not serve metrics']]);
    expect(mapping).to.deep.equal({ listenPort: 's.port', metrics: 's.metrics' });
    expect(cmd.helpInformation()).to.contain('the port [X_PORT, default 9092]').and.contain('do not serve metrics [X_METRICS, default true]');
    expect(flagHelp(spec, 's.port', 'client port')).to.equal('client port [X_PORT, default 9092]');
    expect(() => flagHelp(spec, 's.nope')).to.throw('no setting s.nope');
  });
});

describe('the Ansible variables page', () => {
  it('reads each variable with the comment block that heads its run of variables', () => {
    const vars = parseDefaults(
      ['---', '# A heading comment', '# on two lines.', 'a_one: 1', 'a_two: "{{ x | int }}"', '', 'b_plain: yes', '# Block values', 'c_list:', '  - x', 'c_map:', '  k: v', '# ---------', '# Section', '# ---------', ''].join('\n'),
    );
    expect(vars).to.deep.equal([
      { name: 'a_one', value: '1', doc: 'A heading comment on two lines.' },
      { name: 'a_two', value: '"{{ x | int }}"', doc: 'A heading comment on two lines.' },
      { name: 'b_plain', value: 'yes', doc: '' },
      { name: 'c_list', value: '(list)', doc: 'Block values' },
      { name: 'c_map', value: '(map)', doc: 'Block values' },
    ]);
  });

  it(`${ANSIBLE_VARIABLES_DOC} lists every role variable as defaults/main.yml defines it (npm run docs:settings rewrites it)`, () => {
    const page = ansibleVariablesPage(join(ROOT, 'ansible', 'roles'));
    expect(page === readFileSync(join(ROOT, ANSIBLE_VARIABLES_DOC), 'utf8'), `${ANSIBLE_VARIABLES_DOC} differs from the roles' defaults; run npm run docs:settings`).to.equal(true);
  });
});
