/**
 * checkov (a static security scanner for Terraform) over the synthesized Terraform JSON of
 * every layout, with the project's settings (modules/checkov.yaml): zero failed checks.
 * checkov comes from the project's .venv (.ci/requirements.txt); a missing checkov fails
 * the test with the install command.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pythonTool } from '../../support/tools.js';
import { LAYOUTS, layoutName, synthLayout } from '../../unit/infra/support.js';

const CONFIG = join(process.cwd(), 'modules', 'checkov.yaml');

interface CheckovReport {
  check_type: string;
  results: { failed_checks: Array<{ check_id: string; check_name: string; resource: string }> };
  summary: { passed: number; failed: number; skipped: number; parsing_errors: number };
}

function scan(dir: string): CheckovReport {
  const run = spawnSync(pythonTool('checkov'), ['--config-file', CONFIG, '--directory', dir, '--output', 'json'], {
    encoding: 'utf8',
    timeout: 240_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) throw run.error;
  // Exit 1 means "failed checks", reported below; anything else is checkov itself failing.
  if (run.status !== 0 && run.status !== 1) throw new Error(`checkov exited ${run.status}: ${run.stderr.slice(-2000)}`);
  const parsed = JSON.parse(run.stdout) as CheckovReport | CheckovReport[];
  const reports = Array.isArray(parsed) ? parsed : [parsed];
  const report = reports.find((r) => r.check_type === 'terraform_json');
  if (!report) throw new Error(`checkov produced no terraform_json report: ${run.stdout.slice(0, 500)}`);
  return report;
}

describe('infra: checkov security scan', function () {
  this.timeout(300_000);
  let root: string;

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'tickstream-checkov-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('justifies every skipped check on its own line', () => {
    const lines = readFileSync(CONFIG, 'utf8').split('\n');
    const skips = lines.filter((l) => /^\s*-\s*CKV/.test(l));
    expect(skips.length).to.be.greaterThan(0);
    for (const line of skips) expect(line, line).to.match(/^\s*-\s*CKV2?_AWS_\d+\s+#\s*\S.{20,}/);
  });

  for (const layout of LAYOUTS) {
    it(`${layoutName(layout)}: zero failed checks`, () => {
      const dir = join(root, layoutName(layout));
      mkdirSync(dir);
      writeFileSync(join(dir, 'cdk.tf.json'), synthLayout(layout).text);
      const report = scan(dir);
      const failed = report.results.failed_checks.map((c) => `${c.check_id} ${c.resource}: ${c.check_name}`);
      expect(report.summary.parsing_errors, 'parsing errors').to.equal(0);
      expect(report.summary.passed, 'checks run').to.be.greaterThan(100);
      expect(failed, `checkov failed checks:\n  ${failed.join('\n  ')}`).to.deep.equal([]);
    });
  }
});
