/**
 * Jest's global setup: what every test run needs from the machine, so that `npm test` right after
 * `npm ci` passes on a machine that never ran anything else.
 *
 * When the run includes the database tests (test/database/), it installs PostgreSQL and MariaDB when
 * they are missing and it may (see database-install.ts), else stops at once with one message; then it
 * starts one server of each engine for the whole run and hands them to the test files through
 * SERVER_URL_VARIABLES (workers inherit this process's environment). global-teardown.ts stops them.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureServerPackages } from './database-install';
import { SERVER_URL_VARIABLES, startSharedServer, type EngineName } from './databases';

/** The parts of jest's global and project config that say which test files this run takes. */
export interface RunSelection {
  readonly rootDir: string;
  readonly testPathPatterns?: {
    isSet(): boolean;
    toExecutor(options: { rootDir: string }): { isMatch(absolutePath: string): boolean };
  };
  readonly onlyChanged?: boolean;
  readonly onlyFailures?: boolean;
  readonly findRelatedTests?: boolean;
  readonly changedSince?: string;
  readonly lastCommit?: boolean;
  readonly watch?: boolean;
  readonly watchAll?: boolean;
}

export interface ProjectSelection {
  readonly testPathIgnorePatterns?: readonly string[];
}

/**
 * Whether the run may take one of `databaseTests`: yes when path patterns match one, and whenever jest
 * picks the files by something this setup cannot see (changed files, related files, failures).
 */
export function runsAnyOf(
  databaseTests: readonly string[],
  run: RunSelection,
  project: ProjectSelection = {},
): boolean {
  const ignored = (project.testPathIgnorePatterns ?? []).map((pattern) => new RegExp(pattern));
  const candidates = databaseTests.filter((file) => !ignored.some((pattern) => pattern.test(file)));
  if (candidates.length === 0) return false;
  const unpredictable =
    run.onlyChanged ||
    run.onlyFailures ||
    run.findRelatedTests ||
    run.changedSince ||
    run.lastCommit ||
    run.watch ||
    run.watchAll;
  if (unpredictable || !run.testPathPatterns?.isSet()) return true;
  const executor = run.testPathPatterns.toExecutor({ rootDir: run.rootDir });
  return candidates.some((file) => executor.isMatch(file));
}

function databaseTestFiles(rootDir: string): string[] {
  const dir = join(rootDir, 'test', 'database');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.test.ts'))
    .map((name) => join(dir, name));
}

/** Handed to global-teardown.ts, which runs in this same process. */
const RUN_SERVERS = Symbol.for('secrets-vault.test.run-servers');
type RunServers = { variable: string; stop: () => Promise<void> }[];

export default async function globalSetup(run: RunSelection, project: ProjectSelection): Promise<void> {
  // The SDK warns, once per test file, that its releases after January 2027 need Node 22. That is about
  // the machine that runs the tests (the rotation function runs on Node 24), and the warning names the
  // switch: the variable its emitWarningIfUnsupportedVersion reads.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

  if (!runsAnyOf(databaseTestFiles(run.rootDir), run, project)) return;
  // The TLS tests start private servers of both engines whatever the variables say: both must exist.
  ensureServerPackages((line) => process.stderr.write(`${line}\n`));

  const engines = Object.keys(SERVER_URL_VARIABLES) as EngineName[];
  const wanted = engines.filter((engine) => !process.env[SERVER_URL_VARIABLES[engine]]);
  const started = await Promise.allSettled(wanted.map((engine) => startSharedServer(engine)));
  const servers: RunServers = [];
  started.forEach((result, i) => {
    if (result.status === 'fulfilled') {
      const variable = SERVER_URL_VARIABLES[wanted[i]];
      process.env[variable] = result.value.url;
      servers.push({ variable, stop: result.value.stop });
    }
  });
  (globalThis as Record<symbol, unknown>)[RUN_SERVERS] = servers;
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await stopRunServers();
    throw failed.reason;
  }
}

export async function stopRunServers(): Promise<void> {
  const slot = globalThis as Record<symbol, unknown>;
  const servers = (slot[RUN_SERVERS] ?? []) as RunServers;
  delete slot[RUN_SERVERS];
  // A watch-mode rerun runs the setup again in this process: it must not find the old servers' URLs.
  for (const server of servers) delete process.env[server.variable];
  await Promise.allSettled(servers.map((server) => server.stop()));
}
