import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const SHIPPED = join(ROOT, 'assets', 'rotation', 'index.js');
const KINDS = ['postgres-single', 'postgres-alternating', 'mysql-single', 'mysql-alternating'];

export type Handler = (event: unknown) => Promise<void>;

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** True once strategies/index.ts lists every database kind (then the shipped bundle is the one to test). */
export function kindsRegistered(): boolean {
  const index = readFileSync(join(ROOT, 'lambda', 'rotation', 'strategies', 'index.ts'), 'utf8');
  return ['postgres', 'mysql'].every((file) => index.includes(`'./${file}'`));
}

const BUNDLE_DIR_PREFIX = 'secrets-vault-db-bundle-';

/** Removes bundles that runs killed before their afterAll left behind (their process is gone). */
function sweepAbandonedBundles(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(
      name.startsWith(BUNDLE_DIR_PREFIX) ? name.slice(BUNDLE_DIR_PREFIX.length).split('-')[0] : NaN,
    );
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      process.kill(pid, 0);
    } catch (error) {
      // ESRCH: no such process. (EPERM means it exists and belongs to someone else.)
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') {
        rmSync(join(tmpdir(), name), { recursive: true, force: true });
      }
    }
  }
}

/**
 * The bundle these tests run: the shipped asset (assets/rotation/index.js, as `npm test` builds it) when
 * it registers the database kinds and is newer than every source of lambda/rotation/; otherwise one
 * built the same way (scripts/bundle.mjs's bundle()) into a temporary folder, from the real entry or,
 * until the kinds are registered, from support/register-entry.ts.
 */
export function resolveBundle(): { path: string; origin: string; cleanup: () => void } {
  const registered = kindsRegistered();
  if (
    registered &&
    existsSync(SHIPPED) &&
    statSync(SHIPPED).mtimeMs >= newestSource(join(ROOT, 'lambda', 'rotation'))
  ) {
    return { path: SHIPPED, origin: 'shipped assets/rotation/index.js', cleanup: () => undefined };
  }
  sweepAbandonedBundles();
  const outRoot = mkdtempSync(join(tmpdir(), `${BUNDLE_DIR_PREFIX}${process.pid}-`));
  const entry = registered
    ? 'lambda/rotation/index.ts'
    : relative(ROOT, join(__dirname, 'register-entry.ts'));
  const script = `const { bundle, ENTRIES } = await import(${JSON.stringify(join(ROOT, 'scripts', 'bundle.mjs'))});
const shipped = ENTRIES.find((e) => e.name === 'rotation');
await bundle({ ...shipped, entry: ${JSON.stringify(entry)} }, { outRoot: ${JSON.stringify(outRoot)} });`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`building the rotation bundle from ${entry} failed:\n${result.stderr}`);
  }
  return {
    path: join(outRoot, 'rotation', 'index.js'),
    origin: `bundle built from ${entry}${registered ? '' : ' (database kinds not yet in strategies/index.ts)'}`,
    cleanup: () => rmSync(outRoot, { recursive: true, force: true }),
  };
}

/** Loads a bundle afresh with `env` applied, so its module-scope client and configuration see it. */
export function loadHandler(path: string, env: Readonly<Record<string, string>>): Handler {
  Object.assign(process.env, env);
  let handler: Handler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = (require(path) as { handler: Handler }).handler;
  });
  return handler as Handler;
}

export { KINDS };
