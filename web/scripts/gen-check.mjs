// Fails when src/api/schema.d.ts differs from a fresh generation from
// infra/openapi.yaml, so the console and the contract cannot drift.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'roster-gen-'));
const fresh = join(dir, 'schema.d.ts');
try {
  execFileSync('npx', ['openapi-typescript', '../infra/openapi.yaml', '-o', fresh], { stdio: 'pipe' });
  if (readFileSync(fresh, 'utf8') !== readFileSync('src/api/schema.d.ts', 'utf8')) {
    console.error('web/src/api/schema.d.ts is stale: run `npm run gen` in web/ and commit it');
    process.exit(1);
  }
  console.log('web/src/api/schema.d.ts matches infra/openapi.yaml');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
