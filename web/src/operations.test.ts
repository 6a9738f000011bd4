// Every operation of the contract has a place in the console: a route the API
// gains without a screen fails here. An operation counts as used when some
// file under src/ calls it through the typed client (`api.GET('/path'`, …).
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';

const SRC = join(__dirname);
const SPEC = join(__dirname, '..', '..', 'infra', 'openapi.yaml');
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

/**
 * Operations the console does not call on purpose, each with why. Empty
 * today: every route is a person's. A service-only route (called by another
 * system, never by a person in a browser) would be listed here.
 */
const NOT_FOR_THE_CONSOLE: Record<string, string> = {};

function operations(): string[] {
  const doc = load(readFileSync(SPEC, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).flatMap(([path, item]) => METHODS.filter((m) => m in item).map((m) => `${m.toUpperCase()} ${path}`));
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    // The generated schema names every path; tests are not the console.
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** `api.POST(\n '/practices/{pid}/leave'` and the like, whitespace allowed. */
function calledOperations(): Set<string> {
  const used = new Set<string>();
  for (const file of sources(SRC)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\bapi\.(GET|PUT|POST|PATCH|DELETE)\(\s*(['"`])(\/[^'"`]*)\2/g)) {
      used.add(`${m[1]} ${m[3]}`);
    }
  }
  return used;
}

describe('the console covers the contract', () => {
  const ops = operations();
  const used = calledOperations();

  it('reads a plausible contract', () => {
    expect(ops.length).toBeGreaterThan(50);
    expect(ops).toContain('GET /me');
  });

  it('calls every operation, apart from the listed ones', () => {
    const missing = ops.filter((op) => !used.has(op) && !(op in NOT_FOR_THE_CONSOLE));
    expect(missing, `operations no file under ${relative(process.cwd(), SRC)} calls`).toEqual([]);
  });

  it('lists only operations that exist and that the console does not call', () => {
    for (const op of Object.keys(NOT_FOR_THE_CONSOLE)) {
      expect(ops).toContain(op);
      expect(used.has(op), `${op} is called: take it off the list`).toBe(false);
    }
  });

  it('calls no operation the contract lacks', () => {
    expect([...used].filter((op) => !ops.includes(op))).toEqual([]);
  });
});
