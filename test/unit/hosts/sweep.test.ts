import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweepStaleRuns } from '../../hosts/machines.js';

// Above Linux's largest pid_max (2^22): no process ever has it.
const DEAD_PID = 4_194_305;

describe('host suite: sweeping the hosts of earlier runs', () => {
  let runs: string;
  beforeEach(() => {
    runs = mkdtempSync(join(tmpdir(), 'tickstream-sweep-'));
  });
  afterEach(() => rmSync(runs, { recursive: true, force: true }));

  it('keeps a run whose owner lives, even one just created and still empty', () => {
    // The two metadata modes start at once: each sweeps while the other is creating its run.
    mkdirSync(join(runs, `${process.pid}-aaaaaa`));
    mkdirSync(join(runs, `${process.pid}-bbbbbb`, 'broker-1'), { recursive: true });
    writeFileSync(join(runs, `${process.pid}-bbbbbb`, 'broker-1', 'console.log'), '');
    expect(sweepStaleRuns(runs)).to.equal(0);
    expect(readdirSync(runs).sort()).to.deep.equal([`${process.pid}-aaaaaa`, `${process.pid}-bbbbbb`]);
  });

  it('removes the runs whose owner is gone, and folders that name no owner', () => {
    mkdirSync(join(runs, `${DEAD_PID}-cccccc`, 'sink-1'), { recursive: true });
    mkdirSync(join(runs, 'left-by-hand'));
    mkdirSync(join(runs, `${process.pid}-dddddd`));
    const lines: string[] = [];
    expect(sweepStaleRuns(runs, (l) => lines.push(l))).to.equal(2);
    expect(readdirSync(runs)).to.deep.equal([`${process.pid}-dddddd`]);
  });
});
