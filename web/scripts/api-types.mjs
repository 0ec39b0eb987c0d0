// The dashboard's API types are generated from docs/openapi.json, the one description of
// the HTTP API, so the two cannot drift apart unnoticed.
//   npm run api-types          writes src/api/schema.d.ts
//   npm run api-types:check    regenerates into a temporary directory and fails, printing
//                              the difference, when the committed file is not what the
//                              document generates (make test runs it)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const spec = '../docs/openapi.json';
const committed = 'src/api/schema.d.ts';
// `type: object` without properties (a source's stored config) becomes
// `Record<string, unknown>` rather than the default `Record<string, never>`.
const options = ['--empty-objects-unknown'];

function generate(out) {
  // npm puts node_modules/.bin on PATH for its scripts.
  const run = spawnSync('openapi-typescript', [spec, ...options, '-o', out], { stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
}

if (!process.argv.includes('--check')) {
  generate(committed);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'jobmon-api-types-'));
  try {
    const fresh = join(dir, 'schema.d.ts');
    generate(fresh);
    const diff = spawnSync('diff', ['-u', committed, fresh], { stdio: 'inherit' });
    if (diff.status !== 0) {
      console.error(`\n${committed} does not match ${spec}: run \`npm run api-types\` in web/ and commit the result.`);
      process.exitCode = 1;
    } else {
      console.log(`${committed} matches ${spec}.`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
