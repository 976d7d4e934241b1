// Bundles every Lambda under lambda/ into assets/<name>/index.js at build time, so that
// `cdk synth` (ours and our consumers') never runs esbuild and asset hashes stay stable.
import { build } from 'esbuild';
import { mkdirSync, rmSync } from 'node:fs';
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
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    entryPoints: [join(root, entry)],
    outfile: join(outdir, 'index.js'),
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
  return result;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const only = process.argv.slice(2);
  for (const e of ENTRIES.filter((x) => only.length === 0 || only.includes(x.name))) {
    await bundle(e);
  }
}
