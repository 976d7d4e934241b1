import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The folder of a Lambda bundled at build time (`npm run bundle`). It sits in `assets/` at the
 * package root, which is two levels above this file in a checkout (lib/private) and three in the
 * published package (dist/lib/private).
 */
export function bundledAssetPath(name: string): string {
  const candidates = [
    join(__dirname, '..', '..', 'assets', name),
    join(__dirname, '..', '..', '..', 'assets', name),
  ];
  const found = candidates.find((dir) => existsSync(join(dir, 'index.js')));
  if (!found) {
    throw new Error(
      `cdk-secrets-vault: the bundled Lambda "assets/${name}/index.js" is missing. ` +
        'In a checkout of cdk-secrets-vault run `npm run bundle` (or `npm run build`); an installed package ships it.',
    );
  }
  return found;
}
