import { expect } from 'chai';
import { decodeMarker, encodeMarker, finalName, generationOf, outputOf, stagedName, visibleFiles, type CompactionMarker } from '../../../compact/marker.js';
import { nextStep, planGroups, type CompactionPolicy, type PartitionFile, type PartitionState } from '../../../compact/plan.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-12-05T12:00:00Z');
const POLICY: CompactionPolicy = { targetBytes: 1000, minAgeMs: 24 * HOUR, graceMs: HOUR };
const GEN = generationOf(new Date('2026-12-05T10:00:00Z'));

const file = (name: string, bytes = 100, ageMs = 48 * HOUR): PartitionFile => ({ name, bytes, modifiedMs: NOW - ageMs });
const state = (files: PartitionFile[], marker: CompactionMarker | null = null): PartitionState => ({ prefix: 'raw/ticks/dt=2021-01-04', files, marker });

function marker(over: Partial<CompactionMarker> = {}): CompactionMarker {
  return {
    version: 1,
    generation: GEN,
    state: 'committed',
    replaced: ['a.parquet', 'b.parquet'],
    staged: [stagedName(GEN, 0)],
    final: [finalName(GEN, 0)],
    kept: [],
    rows: 10,
    bytes: 150,
    committedAt: '2026-12-05T10:00:00.000Z',
    ...over,
  };
}

describe('compaction planning', () => {
  it('groups files in name order up to the target; leaves files at the target and groups of one alone', () => {
    const groups = planGroups([file('d', 600), file('a', 400), file('b', 500), file('c', 300), file('big', 1000), file('e', 200)], 1000);
    // a(400)+b(500)=900, c(300)+d(600)=900, e(200) alone: left; big: at the target, left.
    expect(groups.map((g) => g.files.map((f) => f.name))).to.deep.equal([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(groups.map((g) => g.bytes)).to.deep.equal([900, 900]);
    expect(planGroups([file('a', 10), file('b', 10), file('c', 10)], 1000).map((g) => g.files.length)).to.deep.equal([3]);
    expect(planGroups([file('a', 10)], 1000)).to.deep.equal([]);
    expect(() => planGroups([], 0)).to.throw(/positive/);
  });

  it('compacts a closed partition, not an open one (newest file younger than the minimum age)', () => {
    const closed = nextStep(state([file('a.parquet'), file('b.parquet')]), POLICY, NOW);
    expect(closed.kind).to.equal('compact');
    const open = nextStep(state([file('a.parquet'), file('b.parquet', 100, HOUR)]), POLICY, NOW);
    expect(open).to.deep.include({ kind: 'skip' });
    expect((open as { reason: string }).reason).to.match(/open: newest file is 1\.0 h old/);
    expect(nextStep(state([file('a.parquet')]), POLICY, NOW)).to.deep.equal({ kind: 'skip', reason: 'one file already' });
    expect(nextStep(state([]), POLICY, NOW)).to.deep.equal({ kind: 'skip', reason: 'no files' });
  });

  it('rolls back outputs no marker names first (a run that died before its commit)', () => {
    const step = nextStep(state([file('a.parquet'), file('b.parquet'), file(stagedName(GEN, 0)), file(finalName(GEN, 1))]), POLICY, NOW);
    expect(step).to.deep.equal({ kind: 'rollback', delete: [stagedName(GEN, 0), finalName(GEN, 1)].sort() });
  });

  it('walks committed -> promote after the grace -> finish after the grace -> done', () => {
    const files = [file('a.parquet'), file('b.parquet'), file(stagedName(GEN, 0))];
    const committedAt = Date.parse('2026-12-05T10:00:00Z');
    expect(nextStep(state(files, marker()), POLICY, committedAt + HOUR - 1)).to.deep.include({ kind: 'wait', until: committedAt + HOUR });
    expect(nextStep(state(files, marker()), POLICY, committedAt + HOUR)).to.deep.equal({ kind: 'promote' });
    // A promote that died after copying: same state, promote again (copies are idempotent).
    expect(nextStep(state([...files, file(finalName(GEN, 0))], marker()), POLICY, NOW)).to.deep.equal({ kind: 'promote' });

    const promoted = marker({ state: 'promoted', promotedAt: '2026-12-05T11:30:00.000Z' });
    const after = [file(stagedName(GEN, 0)), file(finalName(GEN, 0))];
    expect(nextStep(state(after, promoted), POLICY, NOW)).to.deep.include({ kind: 'wait' });
    expect(nextStep(state(after, promoted), POLICY, NOW + HOUR)).to.deep.equal({ kind: 'finish', delete: [stagedName(GEN, 0)] });
    // A replaced file back under its name (the sink rewrote the same batch) goes too.
    expect(nextStep(state([...after, file('a.parquet')], promoted), POLICY, NOW + HOUR)).to.deep.equal({ kind: 'finish', delete: [stagedName(GEN, 0), 'a.parquet'] });

    const done = marker({ state: 'done', promotedAt: '2026-12-05T11:30:00.000Z', doneAt: '2026-12-05T12:30:00.000Z' });
    expect(nextStep(state([file(finalName(GEN, 0))], done), POLICY, NOW + HOUR)).to.deep.equal({ kind: 'skip', reason: 'one file already' });
    expect(nextStep(state([file(finalName(GEN, 0)), file(stagedName(GEN, 0))], done), POLICY, NOW + HOUR)).to.deep.equal({ kind: 'rollback', delete: [stagedName(GEN, 0)] });
  });

  it('compacts late files together with an earlier compaction\'s output, and keeps outputs at the target', () => {
    const done = marker({ state: 'done', final: [finalName(GEN, 0), finalName(GEN, 1)], staged: [stagedName(GEN, 0), stagedName(GEN, 1)] });
    // The outputs were written a minute ago: their age does not make the partition open.
    const files = [file(finalName(GEN, 0), 1000, 60_000), file(finalName(GEN, 1), 300, 60_000), file('late.parquet', 50)];
    const step = nextStep(state(files, done), POLICY, NOW);
    if (step.kind !== 'compact') throw new Error(`expected compact, got ${step.kind}`);
    expect(step.groups.map((g) => g.files.map((f) => f.name))).to.deep.equal([[finalName(GEN, 1), 'late.parquet']]);
  });
});

describe('compaction marker', () => {
  it('names outputs so that staged ones are hidden and every one is recognised with its generation', () => {
    expect(GEN).to.equal('20261205T100000000Z');
    expect(stagedName(GEN, 3)).to.equal('_compacted-20261205T100000000Z-00003.parquet');
    expect(outputOf(stagedName(GEN, 3))).to.deep.equal({ staged: true, generation: GEN });
    expect(outputOf(finalName(GEN, 3))).to.deep.equal({ staged: false, generation: GEN });
    expect(outputOf('ticks+0+00000000000000000001.parquet')).to.equal(null);
  });

  it('makes readers take the marker\'s files for its state, late files, never replaced files or orphans', () => {
    const names = ['a.parquet', 'b.parquet', 'late.parquet', stagedName(GEN, 0), finalName(GEN, 0), stagedName('20261205T090000000Z', 0), '_catalog.json', 'notes.txt'];
    expect(visibleFiles(names, null)).to.deep.equal(['a.parquet', 'b.parquet', 'late.parquet']);
    expect(visibleFiles(names, marker())).to.deep.equal([stagedName(GEN, 0), 'late.parquet']);
    expect(visibleFiles(names, marker({ state: 'promoted' }))).to.deep.equal([finalName(GEN, 0), 'late.parquet']);
    expect(visibleFiles([finalName(GEN, 0), 'x.parquet'], marker({ state: 'done', kept: ['x.parquet'] }))).to.deep.equal([finalName(GEN, 0), 'x.parquet']);
    // A file the marker names that is gone is not taken.
    expect(visibleFiles(['late.parquet'], marker())).to.deep.equal(['late.parquet']);
  });

  it('round-trips and refuses anything that is not a whole marker, naming where it was', () => {
    const m = marker();
    expect(decodeMarker(encodeMarker(m), 'x')).to.deep.equal(m);
    expect(() => decodeMarker(Buffer.from('{"version":1'), 'lake/raw/ticks/dt=1/_compaction.json')).to.throw(/dt=1\/_compaction.json is not valid JSON/);
    expect(() => decodeMarker(Buffer.from(JSON.stringify({ ...m, state: 'half' })), 'm')).to.throw(/m is not a tickstream compaction marker/);
    expect(() => decodeMarker(Buffer.from(JSON.stringify({ ...m, final: [] })), 'm')).to.throw(/not a tickstream compaction marker/);
    expect(() => decodeMarker(Buffer.from(JSON.stringify({ ...m, replaced: ['../x'] })), 'm')).to.throw(/not a tickstream compaction marker/);
  });
});
