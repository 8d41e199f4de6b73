/**
 * The source tree's shape: no import cycle among the TypeScript sources (the part of
 * `madge --circular` this project needs, without the dependency; static imports, dynamic
 * `import()` and `export ... from` all count: a lazy import still ties the modules
 * together), and no source file over 400 lines (a file that long does more than one job):
 * the TypeScript sources and the native addon's C/C++ sources (native/src, *.cc and *.h).
 */
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');
const SKIP = new Set(['node_modules', '.git', '.venv', '.tools', '.scratch', 'cdktf.out', '.gen', 'lake', 'test', '.tickstream']);

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name) || name.startsWith('.')) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sources(full));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** The native addon's C/C++ sources (line count only: they have no TypeScript imports). */
function nativeSources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...nativeSources(full));
    else if (name.endsWith('.cc') || name.endsWith('.h')) out.push(full);
  }
  return out;
}

/** The project files a module imports (relative specifiers only; `.js` names the `.ts`). */
function importsOf(file: string, text: string): string[] {
  const specs = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1]!);
  return specs
    .map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')))
    .filter((f) => existsSync(f));
}

/** Every cycle found by a depth-first walk, each as the list of files around it. */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

/** Files allowed past the limit for now, each with the work that splits it. */
const LONG_FILES: Readonly<Record<string, string>> = {
};
const MAX_LINES = 400;

describe('source layout: imports', () => {
  it('finds a cycle when there is one (the check itself)', () => {
    const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
    expect(findCycles(g)).to.deep.equal([['a', 'b', 'c', 'a']]);
    expect(findCycles(new Map([['a', ['b']], ['b', []]]))).to.deep.equal([]);
  });

  it('has no import cycle among the TypeScript sources', () => {
    const graph = new Map<string, string[]>();
    for (const file of sources(ROOT)) graph.set(file, importsOf(file, readFileSync(file, 'utf8')));
    expect(graph.size).to.be.greaterThan(100);
    const cycles = findCycles(graph).map((c) => c.map((f) => relative(ROOT, f)).join(' -> '));
    expect(cycles).to.deep.equal([]);
  });

  it(`has no source file over ${MAX_LINES} lines outside tests`, () => {
    const native = nativeSources(join(ROOT, 'native', 'src'));
    expect(native.map((f) => relative(ROOT, f))).to.include.members(['native/src/consumer.cc', 'native/src/producer.cc']);
    const long = [...sources(ROOT), ...native]
      .map((f) => ({ file: relative(ROOT, f), lines: readFileSync(f, 'utf8').split('\n').length }))
      .filter((f) => f.lines > MAX_LINES && !(f.file in LONG_FILES))
      .map((f) => `${f.file}: ${f.lines} lines`);
    expect(long).to.deep.equal([]);
  });
});
