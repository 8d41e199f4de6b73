/**
 * `npm run chaos -- --minutes M [--json] [--mode zookeeper|kraft] [--seed N]`: the fault
 * injection run of docs/chaos.md. Progress goes to standard error; the last line of
 * standard output is the run's JSON verdict. Exit 0: nothing lost or duplicated; 1: lost or
 * duplicated ticks (named on standard error); 2: the run itself failed.
 */
import { Command } from 'commander';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METADATA_MODES, type MetadataMode } from '../lib/kafka.js';
import { freshSeed } from '../lib/prng.js';
import { runChaos } from './run.js';
import { failureOf } from './verify.js';

function positive(name: string, raw: string, integer: boolean): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new Error(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(raw)}`);
  return n;
}

const program = new Command('chaos')
  .description('stream ticks through a 3-broker stack and two sinks while injecting faults, then check nothing acknowledged was lost or duplicated')
  .option('--minutes <m>', 'how long faults are injected', '10')
  .option('--mode <mode>', 'metadata mode: zookeeper | kraft', 'zookeeper')
  .option('--seed <n>', 'seed of the fault schedule [default: random, printed]')
  .option('--rate <ticks/s>', 'producer rate', '300')
  .option('--port-base <port>', 'first of the 40 loopback ports the run takes', '29600')
  .option('--dir <folder>', 'work folder [default: <tmp>/tickstream-chaos-<mode>-<seed>]')
  .option('--keep', 'keep the work folder (stack data, lakes) after a passing run')
  .option('--json', 'standard output: only the JSON verdict line');

program.parse();
const opts = program.opts<Record<string, string | boolean | undefined>>();

try {
  const mode = String(opts.mode) as MetadataMode;
  if (!METADATA_MODES.includes(mode)) throw new Error(`--mode must be zookeeper or kraft, got ${JSON.stringify(opts.mode)}`);
  const minutes = positive('--minutes', String(opts.minutes), false);
  const seed = opts.seed === undefined ? freshSeed() : Math.floor(positive('--seed', String(opts.seed), true));
  const portBase = positive('--port-base', String(opts.portBase), true);
  const dir = opts.dir ? String(opts.dir) : join(tmpdir(), `tickstream-chaos-${mode}-${seed}`);
  process.stderr.write(`chaos: seed ${seed} (repeat with --seed ${seed}), mode ${mode}, ${minutes} min, work folder ${dir}\n`);
  // SIGINT/SIGTERM: the faults under way recover and everything the run started is stopped.
  const abort = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => abort.abort());
  const result = await runChaos({
    signal: abort.signal,
    minutes,
    mode,
    seed,
    portBase,
    dir,
    rate: positive('--rate', String(opts.rate), false),
    keep: Boolean(opts.keep),
    log: (m) => process.stderr.write(`${m}\n`),
  });
  const failure = failureOf(result);
  if (!opts.json) {
    process.stdout.write(
      `${failure ? 'FAILED' : 'passed'}: ${result.acknowledged} acknowledged, ${result.in_lake} in both lakes, ${result.lost} lost, ` +
        `${result.duplicated} duplicated, ${result.unconfirmed} unconfirmed, ${result.faults_total} faults\n`,
    );
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (failure) process.stderr.write(`chaos: ${failure} (seed ${seed}; logs in ${dir})\n`);
  process.exit(failure ? 1 : 0);
} catch (err) {
  process.stderr.write(`chaos: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(2);
}
