/**
 * The RDS client is bundled apart from the handler (scripts/bundle.mjs), like the database drivers:
 * only a target pinned by RDS identifier loads it, so the rotation of a generated value or of a
 * database pinned by host never reads or parses it at cold start. The built asset is checked as
 * shipped (assets/rotation/, built by `node scripts/bundle.mjs rotation`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE } from './fixture';

const RDS_CHUNK = join(BUNDLE, '..', 'node_modules', '@aws-sdk', 'client-rds', 'index.js');
/** The RDS API's service name, in every build of its client. */
const RDS_SERVICE = 'AmazonRDSv19';

test('the handler requires the RDS client by name, from its own node_modules, and holds none of it', () => {
  const handler = readFileSync(BUNDLE, 'utf8');
  expect(handler).toContain('require("@aws-sdk/client-rds")');
  expect(handler).not.toContain(RDS_SERVICE);
  expect(existsSync(RDS_CHUNK)).toBe(true);
  expect(readFileSync(RDS_CHUNK, 'utf8')).toContain(RDS_SERVICE);
  // The chunk is the whole client (its own copy of the SDK core): far larger than what it saves.
  expect(statSync(RDS_CHUNK).size).toBeGreaterThan(100_000);
});

test('loading the handler (as Lambda does at cold start) does not load the RDS client; the client loads from the asset', () => {
  const script = `
    const handler = require(${JSON.stringify(BUNDLE)});
    const loaded = () => Object.keys(require.cache).filter((p) => p.includes('client-rds'));
    const before = loaded();
    require(${JSON.stringify(join(BUNDLE, '..', 'node_modules', '@aws-sdk', 'client-rds'))});
    process.stdout.write(JSON.stringify({ handler: typeof handler.handler, before, after: loaded() }));
  `;
  const out = JSON.parse(
    execFileSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1' },
      // The SDK's notice about Node versions, on stderr, is not this test's business.
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  expect(out).toEqual({ handler: 'function', before: [], after: [RDS_CHUNK] });
});
