// Bundles every Lambda under lambda/ into assets/<name>/ at build time, so that `cdk synth` (ours and
// our consumers') never runs esbuild and asset hashes stay stable.
import { build } from 'esbuild';
import { mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/**
 * Each entry: the handler's source, the asset folder the constructs point at, and the modules kept
 * out of the handler's file. A kept-out module is bundled on its own into the asset's node_modules,
 * where the handler's lazy `require` finds it: the database drivers weigh three times the handler,
 * and a rotation of a generated value should not read (or parse) them at cold start. The RDS client
 * likewise: only a database pinned by RDS identifier loads it.
 */
export const ENTRIES = [
  {
    name: 'rotation',
    entry: 'lambda/rotation/index.ts',
    separate: [
      { module: 'pg', file: 'node_modules/pg/index.js' },
      { module: 'mysql2/promise', file: 'node_modules/mysql2/promise.js' },
      // Only a target pinned by RDS identifier needs it (an RDS-managed master secret's database).
      { module: '@aws-sdk/client-rds', file: 'node_modules/@aws-sdk/client-rds/index.js' },
    ],
  },
  { name: 'example-reader', entry: 'lambda/example-reader/index.ts', separate: [] },
];

const COMMON = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  // Identical sources must give an identical asset (and so an identical asset hash).
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
};

/**
 * Builds one file and renames it into place: a synth or test that reads the asset while another
 * process rebuilds it (npm test runs both) never sees a missing or half-written file.
 */
async function buildFile(outRoot, outfile, options) {
  mkdirSync(dirname(outfile), { recursive: true });
  const tmp = join(outRoot, `.${process.pid}.${Math.random().toString(36).slice(2)}.tmp.js`);
  const result = await build({ ...COMMON, ...options, outfile: tmp });
  renameSync(tmp, outfile);
  return result;
}

export async function bundle(
  { name, entry, separate = [] },
  { outRoot = join(root, 'assets'), minify = true } = {},
) {
  const outdir = join(outRoot, name);
  mkdirSync(outdir, { recursive: true });
  const result = await buildFile(outRoot, join(outdir, 'index.js'), {
    entryPoints: [join(root, entry)],
    external: separate.map((s) => s.module),
    minify,
  });
  for (const { module, file } of separate) {
    await buildFile(outRoot, join(outdir, file), {
      entryPoints: [require.resolve(module, { paths: [root] })],
      // pg's optional native binding is never used (and not installed).
      external: ['pg-native'],
      minify,
    });
  }
  return result;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const only = process.argv.slice(2);
  for (const e of ENTRIES.filter((x) => only.length === 0 || only.includes(x.name))) {
    await bundle(e);
  }
}
