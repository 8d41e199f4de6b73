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
//   npm test -- --serial         everything in one process (see "Lanes" below)
//   npm run test:real-data       (= --real-data) only test/real-data: the real Kaggle files in the
//                                folder TICKSTREAM_REAL_DATA names, never part of `npm test`
//
// Lanes. The Ansible tests and the local stack's start/stop tests build clusters of their
// own on their own ports and spend most of their ~12 minutes waiting on Ansible and JVM
// start-ups, so a full run runs them in a second process beside the rest instead of after
// it. Their output is printed when they end; the summary line adds both lanes up.
import { register } from 'tsx/esm/api';
import Mocha from 'mocha';
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
if (flag('--real-data')) {
  roots = ['test/real-data'];
  // A lane without its data fails here, once, saying why: it is never reported as passed.
  const { realKaggle } = await import('./support/market-data.ts');
  try {
    console.log(`real-data lane: ${realKaggle().label}`);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    console.log('tests: 0 passed, 1 failed');
    process.exit(1);
  }
}
const files = paths.length > 0
  ? paths.flatMap((p) => (statSync(p).isDirectory() ? testFiles(p) : [resolve(p)]))
  : roots.flatMap(testFiles);

// The second lane: tests that bring up clusters of their own on their own ports (the
// Ansible tests, the local stack's start/stop tests), mostly waiting on JVMs.
const SEPARATE_LANE = [resolve('test/integration/ansible') + '/', resolve('test/integration/local/stack.test.ts')];
const inSeparateLane = (f) => SEPARATE_LANE.some((p) => (p.endsWith('/') ? f.startsWith(p) : f === p));
if (paths.length === 0 && !flag('--serial') && !flag('--unit') && files.some(inSeparateLane) && files.some((f) => !inSeparateLane(f))) {
  process.exit(await runLanes(files.filter((f) => !inSeparateLane(f)), files.filter(inSeparateLane)));
}

/**
 * Runs `main` in a child whose output streams through, and `side` in a child whose output is
 * kept and printed after the main lane's; prints the summed summary line, returns the exit code.
 */
async function runLanes(main, side) {
  const script = fileURLToPath(import.meta.url);
  const passOn = valueOf('--grep') !== undefined ? ['--grep', valueOf('--grep')] : [];
  const lane = (laneFiles, stream) =>
    new Promise((resolveLane) => {
      const child = spawn(process.execPath, [script, '--serial', ...passOn, ...laneFiles.map((f) => relative(process.cwd(), f))], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, TICKSTREAM_TEST_LANE: '1' },
      });
      let output = '';
      const take = (target) => (chunk) => {
        output += chunk;
        if (stream) target.write(chunk);
      };
      child.stdout.on('data', take(process.stdout));
      child.stderr.on('data', take(process.stderr));
      child.on('close', (code, signal) => {
        const last = [...output.matchAll(/^lane tests: (\d+) passed, (\d+) failed$/gm)].pop();
        // A lane that died without its summary line counts as one failure.
        const passed = last ? Number(last[1]) : 0;
        const failed = last ? Number(last[2]) : 1;
        resolveLane({ output, passed, failed, ok: code === 0 && failed === 0, why: signal ?? `exit ${code}` });
      });
    });
  console.log(`(running ${side.length} test file(s) with clusters of their own in a second lane; their output follows the rest)`);
  const sideRun = lane(side, false);
  const mainRun = await lane(main, true);
  const sideDone = await sideRun;
  console.log(`\n== second lane: ${side.map((f) => relative(process.cwd(), f)).join(' ')} ==`);
  process.stdout.write(sideDone.output);
  const passed = mainRun.passed + sideDone.passed;
  const failed = mainRun.failed + sideDone.failed;
  if (!mainRun.ok || !sideDone.ok) console.log(`(lanes: main ${mainRun.why}, second ${sideDone.why})`);
  console.log(`tests: ${passed} passed, ${failed} failed`);
  return mainRun.ok && sideDone.ok ? 0 : 1;
}

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
      // In a lane, the parent prints the summary of all lanes.
      const label = process.env.TICKSTREAM_TEST_LANE ? 'lane tests' : 'tests';
      process.nextTick(() => console.log(`${label}: ${passed} passed, ${failed} failed`));
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
  // Teardown is bounded: once every test and hook has ended, something still open (a server
  // a test started, a socket, a timer) must not keep the run, and the CI, waiting. It is
  // named, so the leak can be found, and the run ends with the tests' status.
  setTimeout(() => {
    const open = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout');
    console.error(`test run: still open 10 s after the last test: ${open.join(', ') || 'timers'}; exiting`);
    process.exit();
  }, 10_000).unref();
});
