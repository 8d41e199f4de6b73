/**
 * Snapshots of the synthesized Terraform JSON: any change to what the stack deploys shows
 * up as a failing test and a reviewable diff of the snapshot file.
 *
 *   UPDATE_SNAPSHOTS=1 npm test -- test/unit/infra/snapshot.test.ts    accept the new output
 *
 * Named queries come from test fixtures, not analytics/queries/, so that adding a query
 * there does not change the snapshot.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAYOUTS, layoutName, synthLayout } from './support.js';

const DIR = join(import.meta.dirname, '__snapshots__');
const UPDATE = process.env.UPDATE_SNAPSHOTS === '1';

/** JSON paths whose values differ, for a readable failure instead of a 100 kB diff. */
export function differences(expected: unknown, actual: unknown, path = '$', out: string[] = []): string[] {
  if (out.length >= 20) return out;
  if (typeof expected !== typeof actual || Array.isArray(expected) !== Array.isArray(actual) || expected === null || actual === null) {
    if (expected !== actual) out.push(`${path}: ${JSON.stringify(expected)?.slice(0, 80)} -> ${JSON.stringify(actual)?.slice(0, 80)}`);
    return out;
  }
  if (typeof expected !== 'object') {
    if (expected !== actual) out.push(`${path}: ${JSON.stringify(expected).slice(0, 80)} -> ${JSON.stringify(actual).slice(0, 80)}`);
    return out;
  }
  const e = expected as Record<string, unknown>;
  const a = actual as Record<string, unknown>;
  for (const key of new Set([...Object.keys(e), ...Object.keys(a)])) {
    if (!(key in a)) out.push(`${path}.${key}: removed`);
    else if (!(key in e)) out.push(`${path}.${key}: added`);
    else differences(e[key], a[key], `${path}.${key}`, out);
  }
  return out;
}

describe('infra snapshots', function () {
  this.timeout(60_000);

  for (const layout of [LAYOUTS[0], LAYOUTS[3]]) {
    const name = layoutName(layout);
    it(`${name}: synthesized Terraform equals __snapshots__/${name}.tf.json`, () => {
      const file = join(DIR, `${name}.tf.json`);
      const { text } = synthLayout(layout);
      if (UPDATE) {
        mkdirSync(DIR, { recursive: true });
        writeFileSync(file, `${text}\n`);
        return;
      }
      if (!existsSync(file)) {
        throw new Error(`no snapshot ${file}; review the output and create it with UPDATE_SNAPSHOTS=1 npm test -- test/unit/infra/snapshot.test.ts`);
      }
      const diff = differences(JSON.parse(readFileSync(file, 'utf8')), JSON.parse(text));
      if (diff.length > 0) expect.fail(`synthesized Terraform differs from ${file} (UPDATE_SNAPSHOTS=1 accepts it):\n  ${diff.join('\n  ')}`);
    });
  }

  it('reports where two documents differ', () => {
    expect(differences({ a: 1, b: [1, 2], c: { d: 'x' } }, { a: 1, b: [1, 3], c: {}, e: null })).to.deep.equal([
      '$.b.1: 2 -> 3',
      '$.c.d: removed',
      '$.e: added',
    ]);
    expect(differences({ a: [1] }, { a: { 0: 1 } })).to.have.length(1);
  });
});
