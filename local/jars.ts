/**
 * The Apache Kafka jars, fetched once from Maven Central with Maven and reused.
 *
 * Each metadata mode has a pinned pom under `local/maven/`. Its jars are copied into
 * `<cache>/kafka-<version>-<pom hash>/libs`; the hash of the pom is part of the folder name
 * so that changing a pinned version fetches a new set instead of mixing two. The copy
 * goes to a temporary folder that is renamed into place at the end, so an interrupted
 * fetch never leaves a half-filled classpath that looks complete.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MetadataMode } from '../lib/kafka.js';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface KafkaDistribution {
  readonly mode: MetadataMode;
  readonly pomPath: string;
  /** e.g. `3.9.2` */
  readonly kafkaVersion: string;
  readonly kafkaMajor: number;
}

export function distributionFor(mode: MetadataMode): KafkaDistribution {
  const pomPath = resolve(HERE, 'maven', mode === 'zookeeper' ? 'kafka-3.9' : 'kafka-4', 'pom.xml');
  const pom = readFileSync(pomPath, 'utf8');
  const kafkaVersion = pomProperty(pom, 'kafka.version');
  return { mode, pomPath, kafkaVersion, kafkaMajor: Number(kafkaVersion.split('.')[0]) };
}

export function pomProperty(pom: string, name: string): string {
  const match = new RegExp(`<${name.replace(/\./g, '\\.')}>([^<]+)</`).exec(pom);
  if (!match?.[1]) throw new Error(`pom has no <${name}> property`);
  return match[1].trim();
}

export function libsDirFor(dist: KafkaDistribution, cacheDir: string): string {
  const hash = createHash('sha256').update(readFileSync(dist.pomPath)).digest('hex').slice(0, 10);
  return join(resolve(cacheDir), `kafka-${dist.kafkaVersion}-${hash}`, 'libs');
}

export function jarsPresent(libsDir: string): boolean {
  return existsSync(join(libsDir, '.complete'));
}

export interface FetchProgress {
  (event: { readonly downloaded: number; readonly artifact: string }): void;
}

/**
 * Returns the libs folder for this distribution, fetching it first if needed. Fails with a
 * message that says what to install when Maven is missing, and with Maven's own output
 * when the fetch fails.
 */
export async function ensureKafkaJars(
  dist: KafkaDistribution,
  cacheDir: string,
  onProgress?: FetchProgress,
): Promise<{ libsDir: string; fetched: boolean }> {
  const libsDir = libsDirFor(dist, cacheDir);
  if (jarsPresent(libsDir)) return { libsDir, fetched: false };

  const staging = `${libsDir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(dirname(libsDir), { recursive: true });
  const args = [
    '-B',
    '-f',
    dist.pomPath,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${staging}`,
    '-DincludeScope=runtime',
  ];
  const output = await runMaven(args, onProgress);
  const jars = existsSync(staging) ? readdirSync(staging).filter((f) => f.endsWith('.jar')) : [];
  if (!jars.some((j) => j.startsWith('kafka_2.13-'))) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`Maven finished but no Kafka jar was copied. Maven said:\n${tail(output, 40)}`);
  }
  writeFileSync(join(staging, '.complete'), `${dist.kafkaVersion}\n${jars.length} jars\n`);
  rmSync(libsDir, { recursive: true, force: true });
  renameSync(staging, libsDir);
  return { libsDir, fetched: true };
}

function runMaven(args: string[], onProgress?: FetchProgress): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let output = '';
    let downloaded = 0;
    let child;
    try {
      child = spawn('mvn', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      reject(mavenMissing(err as Error));
      return;
    }
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      output = (output + text).slice(-200_000);
      for (const line of text.split('\n')) {
        const m = /Downloaded from \S+: (\S+)/.exec(line);
        if (m?.[1]) {
          downloaded += 1;
          onProgress?.({ downloaded, artifact: m[1].split('/').slice(-1)[0] ?? m[1] });
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (err) => reject(mavenMissing(err)));
    child.once('close', (code) => {
      if (code === 0) resolvePromise(output);
      else reject(new Error(`mvn ${args.join(' ')} failed with exit code ${code}:\n${tail(output, 40)}`));
    });
  });
}

function mavenMissing(err: Error): Error {
  return new Error(
    `cannot run Maven (${err.message}). The Kafka jars are fetched from Maven Central with it: ` +
      'install Maven 3.6+ (Debian/Ubuntu: apt-get install maven; macOS: brew install maven) and try again.',
  );
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
