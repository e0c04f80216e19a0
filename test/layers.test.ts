import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

/**
 * The code's own imports, read with the TypeScript compiler (every `import`, `export … from`, `require()` and
 * `import()`, resolved as tsc resolves them), held against the layers the README's "Project layout" names.
 */

const ROOT = join(__dirname, '..');
const SOURCE_FOLDERS = ['lib', 'bin', 'lambda', 'firmware'];
const COMPILER_OPTIONS: ts.CompilerOptions = { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 };

/** Repository-relative, `/`-separated, without `.ts`: `lib/cli/index`. */
const moduleName = (file: string) => relative(ROOT, file).split(sep).join('/').replace(/\.ts$/, '');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** module → the repository modules it imports (packages and Node built-ins left out). */
function importGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of SOURCE_FOLDERS.flatMap((folder) => sourceFiles(join(ROOT, folder)))) {
    const imported = new Set<string>();
    for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      const resolved = ts.resolveModuleName(fileName, file, COMPILER_OPTIONS, ts.sys).resolvedModule;
      if (resolved === undefined || resolved.isExternalLibraryImport || !resolved.resolvedFileName.endsWith('.ts')) continue;
      imported.add(moduleName(resolved.resolvedFileName));
    }
    graph.set(moduleName(file), imported);
  }
  return graph;
}

/**
 * The README's line "Layers, lowest first: `a` → `b`, `c` → …": each step a rank, names in one step side by
 * side (neither may import the other).
 */
function readmeLayers(): string[][] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const line = readme.split('\n').find((text) => text.startsWith('Layers, lowest first:'));
  if (line === undefined) throw new Error('README.md has no "Layers, lowest first:" line in its Project layout');
  return line
    .slice(line.indexOf(':') + 1)
    .split('→')
    .map((step) => [...step.matchAll(/`([^`]+)`/g)].map((match) => match[1].replace(/\/$/, '').replace(/\.ts$/, '')));
}

/** The layer a module belongs to: the longest layer name that is the module or a folder holding it. */
function layerOf(module: string, layers: readonly string[]): string | undefined {
  return layers.filter((layer) => module === layer || module.startsWith(`${layer}/`)).sort((a, b) => b.length - a.length)[0];
}

/** Every import circle, each as one path `a → b → … → a` (Tarjan's strongly connected components). */
function importCircles(graph: Map<string, Set<string>>): string[] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[] = [];
  const visit = (module: string) => {
    index.set(module, index.size);
    lowLink.set(module, index.get(module) as number);
    stack.push(module);
    onStack.add(module);
    for (const next of graph.get(module) ?? []) {
      if (!index.has(next)) {
        visit(next);
        lowLink.set(module, Math.min(lowLink.get(module) as number, lowLink.get(next) as number));
      } else if (onStack.has(next)) lowLink.set(module, Math.min(lowLink.get(module) as number, index.get(next) as number));
    }
    if (lowLink.get(module) !== index.get(module)) return;
    const component = new Set<string>();
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      onStack.delete(member);
      component.add(member);
      if (member === module) break;
    }
    if (component.size > 1 || graph.get(module)?.has(module)) circles.push(circlePath(graph, module, component));
  };
  for (const module of graph.keys()) if (!index.has(module)) visit(module);
  return circles;
}

/** One way round a strongly connected component, from `start` back to it (breadth-first, so the shortest). */
function circlePath(graph: Map<string, Set<string>>, start: string, component: Set<string>): string {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const module = queue.shift() as string;
    for (const next of graph.get(module) ?? []) {
      if (!component.has(next)) continue;
      if (next === start) {
        const path: string[] = [];
        for (let at: string | undefined = module; at !== undefined && at !== start; at = cameFrom.get(at)) path.unshift(at);
        return [start, ...path, start].join(' → ');
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, module);
        queue.push(next);
      }
    }
  }
  return [...component].join(' → ');
}

const graph = importGraph();
const steps = readmeLayers();
const rank = new Map(steps.flatMap((step, position) => step.map((layer) => [layer, position] as const)));
const layers = [...rank.keys()];

test('the README names the layers, each once', () => {
  expect(steps.length).toBeGreaterThan(5);
  expect(new Set(layers).size).toBe(layers.length);
});

test('every module of lib/, bin/, lambda/ and firmware/ belongs to a layer the README names', () => {
  const unplaced = [...graph.keys()].filter((module) => layerOf(module, layers) === undefined);
  expect(unplaced).toEqual([]);
});

test('no module imports itself back through others (no import circle)', () => {
  expect(importCircles(graph)).toEqual([]);
});

test('no layer imports one above it or beside it', () => {
  const offending: string[] = [];
  for (const [module, imports] of graph) {
    const from = layerOf(module, layers);
    for (const target of imports) {
      const to = layerOf(target, layers);
      if (from === undefined || to === undefined || from === to) continue;
      if ((rank.get(to) as number) >= (rank.get(from) as number)) offending.push(`${module} (${from}) → ${target} (${to})`);
    }
  }
  expect(offending).toEqual([]);
});

test('the check sees the imports it is meant to judge', () => {
  // A lazily required command module and a type-only import count as much as a static import.
  expect([...(graph.get('lib/cli/index') ?? [])]).toEqual(expect.arrayContaining(['lib/cli/check', 'lib/cli/commands']));
  expect([...(graph.get('lib/sim/virtual-car') ?? [])]).toContain('lib/sim/virtual-car-worker');
  expect(
    importCircles(
      new Map([
        ['a', new Set(['b'])],
        ['b', new Set(['c'])],
        ['c', new Set(['a'])],
      ]),
    ),
  ).toEqual(['a → b → c → a']);
});

test("the README's layout lists every folder of lib/ and lib/sim/", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const layout = readme.slice(readme.indexOf('## Project layout'), readme.indexOf('Layers, lowest first:'));
  const folders = (dir: string) =>
    readdirSync(join(ROOT, dir), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${relative('lib', join(dir, entry.name)).split(sep).join('/')}/`);
  const listed = new Set([...layout.matchAll(/^ {2}(\S+\/) /gm)].map((match) => match[1]));
  expect([...folders('lib'), ...folders('lib/sim')].filter((folder) => !listed.has(folder))).toEqual([]);
});
