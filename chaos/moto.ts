/**
 * The run's S3 server: moto's standalone server, stopped and started by the S3 outages.
 * Like test/support/moto.ts, with a start-up bound for a loaded machine: a Python start of
 * moto took over 30 s under a load of 35 on 2 cores (a run failed on that bound).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { MotoServer } from '../test/support/moto.js';
import { motoAnswers } from '../test/support/moto.js';
import { pythonTool } from '../test/support/tools.js';

export function motoServer(port: number, startTimeoutMs = 180_000): MotoServer {
  const command = pythonTool('moto_server');
  let child: ChildProcess | null = null;
  process.once('exit', () => child?.kill('SIGKILL'));
  const running = (c: ChildProcess | null): c is ChildProcess => c !== null && c.exitCode === null && c.signalCode === null;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    async start() {
      const deadline = Date.now() + startTimeoutMs;
      for (;;) {
        if (!running(child)) child = spawn(command, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
        if (await motoAnswers(port)) return;
        // An exit is a port still held by the killed server (seconds): start it again.
        if (Date.now() > deadline) throw new Error(`moto_server did not answer on port ${port} within ${startTimeoutMs / 1000} s`);
        await new Promise((r) => setTimeout(r, 300));
      }
    },
    async stop() {
      const c = child;
      if (!running(c)) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
    },
  };
}
