/**
 * moto's standalone server: a real S3, Glue and Athena protocol endpoint on loopback. The
 * shared one (started by `.ci/run`, or by the first test that needs it) listens on
 * TICKSTREAM_TEST_MOTO_PORT (default 5000); tests that stop the server mid-run start their
 * own on another port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { pythonTool } from './tools.js';

export const SHARED_MOTO_PORT = Number(process.env.TICKSTREAM_TEST_MOTO_PORT ?? 5000);

/** Credentials moto accepts; never real ones. */
export const TEST_AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'us-east-1',
} as const;

export async function motoAnswers(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/moto-api/`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

export interface MotoServer {
  readonly endpoint: string;
  readonly port: number;
  /** Stops the server (SIGKILL: an outage, not a shutdown). Its state is lost. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
}

/** Starts a moto server of the test's own on `port`; it dies with the test process. */
export async function startMoto(port: number): Promise<MotoServer> {
  const command = pythonTool('moto_server');
  let child: ChildProcess | null = null;
  const server: MotoServer = {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    async start() {
      child = spawn(command, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
      process.once('exit', () => child?.kill('SIGKILL'));
      const deadline = Date.now() + 30_000;
      while (!(await motoAnswers(port))) {
        if (child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode} (port ${port} taken?)`);
        if (Date.now() > deadline) throw new Error(`moto_server did not answer on port ${port} within 30s`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async stop() {
      const c = child;
      // A process killed by a signal keeps exitCode null and has signalCode set: checking
      // exitCode alone made a second stop() wait for an 'exit' that had already happened
      // (the S3-outage test's after hook hung for 300 s after a failure during the outage).
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
    },
  };
  await server.start();
  return server;
}

let shared: Promise<string> | null = null;

/**
 * The endpoint of the shared moto server: the one `.ci/run` started, else one started now
 * for the rest of the test run. Fails with install instructions when moto is missing.
 */
export function requireMoto(): Promise<string> {
  shared ??= (async () => {
    if (await motoAnswers(SHARED_MOTO_PORT)) return `http://127.0.0.1:${SHARED_MOTO_PORT}`;
    return (await startMoto(SHARED_MOTO_PORT)).endpoint;
  })();
  return shared;
}
