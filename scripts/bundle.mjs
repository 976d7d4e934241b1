// Bundles every Lambda under lambda/ into assets/<name>/index.js at build time, so that
// `cdk synth` (ours and our consumers') never runs esbuild and asset hashes stay stable.
import { build } from 'esbuild';
import { mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Each entry: the handler's source, and the asset folder the constructs point at. */
export const ENTRIES = [
  { name: 'rotation', entry: 'lambda/rotation/index.ts' },
  { name: 'example-reader', entry: 'lambda/example-reader/index.ts' },
];

export async function bundle({ name, entry }, { outRoot = join(root, 'assets'), minify = true } = {}) {
  const outdir = join(outRoot, name);
  mkdirSync(outdir, { recursive: true });
  // Written beside the old bundle and renamed over it: a synth or test that reads the asset while
  // another process rebuilds it (npm test runs both) never sees a missing or half-written file.
  const tmp = join(outRoot, `.${name}.${process.pid}.tmp.js`);
  const result = await build({
    entryPoints: [join(root, entry)],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify,
    // Identical sources must give an identical asset (and so an identical asset hash).
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  renameSync(tmp, join(outdir, 'index.js'));
  return result;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const only = process.argv.slice(2);
  for (const e of ENTRIES.filter((x) => only.length === 0 || only.includes(x.name))) {
    await bundle(e);
  }
}
