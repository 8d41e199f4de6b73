#!/usr/bin/env node
// Builds the batch-native Kafka addon (native/, issue 15) from source with npm's bundled
// node-gyp; the root package's `install` script, so `npm ci` runs it after node-rdkafka
// has built librdkafka. A failed build never fails `npm ci`: the services then use
// node-rdkafka (lib/kafka-batch.ts says so once in the log), so it prints why and exits 0.
//
//   node native/build.mjs            build (what npm ci runs)
//   node native/build.mjs --strict   exit 1 when the build fails (CI, `npm run build:native`)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const strict = process.argv.includes('--strict');
const require = createRequire(import.meta.url);

/** npm's own node-gyp: npm names it in npm_config_node_gyp for lifecycle scripts. */
function nodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a package: look next to npm
  }
  const npmDir = process.env.npm_execpath ? dirname(dirname(process.env.npm_execpath)) : null;
  if (npmDir) candidates.push(join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push('/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js', '/usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
  return candidates.find((c) => c && existsSync(c)) ?? null;
}

function fail(reason) {
  process.stderr.write(`tickstream: the batch-native Kafka addon was not built (${reason}); the services use node-rdkafka\n`);
  process.exit(strict ? 1 : 0);
}

if (process.env.TICKSTREAM_SKIP_NATIVE === '1') fail('TICKSTREAM_SKIP_NATIVE=1');
const gyp = nodeGyp();
if (!gyp) fail("npm's node-gyp not found");
const librdkafka = join(dirname(require.resolve('node-rdkafka/package.json')), 'build', 'deps', 'librdkafka.so');
if (!existsSync(librdkafka)) fail(`node-rdkafka's librdkafka is missing (${librdkafka})`);
const run = spawnSync(process.execPath, [gyp, 'rebuild', '--directory', here], { stdio: ['ignore', 'inherit', 'inherit'] });
if (run.status !== 0) fail(`node-gyp exited with ${run.status ?? run.signal}`);
