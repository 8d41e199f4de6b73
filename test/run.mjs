#!/usr/bin/env node
// The README's test command (`npm test`): runs every mocha test under test/ (unit tests
// first, then integration tests against the real services), forbids skipped and `.only`
// tests, and ends with the line `tests: N passed, N failed`.
//
//   npm test                     everything
//   npm test -- --unit           unit tests only (no services needed)
//   npm test -- --integration    integration tests only
//   npm test -- --grep stack     tests whose title matches
//   npm test -- test/unit/lib    a folder or file
import { register } from 'tsx/esm/api';
import Mocha from 'mocha';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

register();

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const valueOf = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const paths = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--grep');

function testFiles(dir) {
  const out = [];
  let entries;
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const name of entries) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...testFiles(full));
    else if (name.endsWith('.test.ts')) out.push(resolve(full));
  }
  return out;
}

let roots = ['test/unit', 'test/integration'];
if (flag('--unit')) roots = ['test/unit'];
if (flag('--integration')) roots = ['test/integration'];
const files = paths.length > 0
  ? paths.flatMap((p) => (statSync(p).isDirectory() ? testFiles(p) : [resolve(p)]))
  : roots.flatMap(testFiles);

/** The spec reporter plus the summary line the CI and the README rely on. */
class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    let passed = 0;
    let failed = 0;
    runner.on('pass', () => passed++);
    runner.on('fail', () => failed++);
    runner.once('end', () => {
      // Printed after the spec reporter's epilogue, so it is the last line.
      process.nextTick(() => console.log(`tests: ${passed} passed, ${failed} failed`));
    });
  }
}

const mocha = new Mocha({
  reporter: SummaryReporter,
  timeout: 10_000,
  slow: 2_000,
  forbidOnly: true,
  // A skipped test is not a passed test: it fails the run.
  forbidPending: true,
  grep: valueOf('--grep'),
  color: process.stdout.isTTY,
});
for (const f of files) mocha.addFile(f);

if (files.length === 0) {
  console.error('no test files found');
  console.log('tests: 0 passed, 1 failed');
  process.exit(1);
}

await mocha.loadFilesAsync();
mocha.run((failures) => {
  process.exitCode = failures > 0 ? 1 : 0;
});
