/**
 * The test run's own set-up: when it installs the database servers, the one message it stops with when
 * it may not, and which runs need the servers at all. The install and the servers themselves are proven
 * by every run of test/database/.
 */
import {
  DatabaseSetupError,
  SERVER_PACKAGES,
  currentInstallContext,
  decideInstall,
  type InstallContext,
} from './database-install';
import { runsAnyOf, type RunSelection } from './global-setup';

const ROOT_WITH_APT: InstallContext = { isRoot: true, hasApt: true, installDisabled: false };
const BOTH = [SERVER_PACKAGES.postgres, SERVER_PACKAGES.mysql];
const MARIADB_ONLY = [SERVER_PACKAGES.mysql];

function refusal(missing: typeof BOTH, context: InstallContext): string {
  const decision = decideInstall(missing, context);
  if (decision.action !== 'refuse') throw new Error(`expected a refusal, got ${decision.action}`);
  return decision.message;
}

describe('installing the database servers', () => {
  test('nothing to do when both servers are installed, whoever runs', () => {
    expect(decideInstall([], { isRoot: false, hasApt: false, installDisabled: true })).toEqual({
      action: 'none',
    });
  });

  test('root with apt-get installs exactly the missing Debian packages', () => {
    expect(decideInstall(MARIADB_ONLY, ROOT_WITH_APT)).toEqual({
      action: 'install',
      packages: ['mariadb-server'],
    });
    expect(decideInstall(BOTH, ROOT_WITH_APT)).toEqual({
      action: 'install',
      packages: ['postgresql', 'mariadb-server'],
    });
  });

  test('not root: one message naming what is missing, why, and the sudo command that fixes it', () => {
    expect(refusal(MARIADB_ONLY, { ...ROOT_WITH_APT, isRoot: false })).toBe(
      'The database tests need MariaDB (Debian package mariadb-server), which is not installed, and ' +
        'this run does not install packages (installing packages needs root). Fix: ' +
        '`sudo scripts/databases.sh install` (apt-get install mariadb-server), then run the tests again.',
    );
  });

  test('SECRETS_VAULT_NO_INSTALL refuses even as root, and the fix needs no sudo there', () => {
    const message = refusal(BOTH, { ...ROOT_WITH_APT, installDisabled: true });
    expect(message).toContain(
      'need PostgreSQL (Debian package postgresql) and MariaDB (Debian package mariadb-server), which are not installed',
    );
    expect(message).toContain('(SECRETS_VAULT_NO_INSTALL is set)');
    expect(message).toContain(
      'Fix: `scripts/databases.sh install` (apt-get install postgresql mariadb-server)',
    );
  });

  test('without apt-get the fix is the system package manager, and PG_BIN_DIR is named', () => {
    const message = refusal(BOTH, { isRoot: true, hasApt: false, installDisabled: false });
    expect(message).toContain('this machine has no apt-get to install them with');
    expect(message).toContain('Fix: install a PostgreSQL server and a MariaDB server with this system');
    expect(message).toContain('PG_BIN_DIR');
    expect(message).not.toContain('sudo');
  });

  test('SECRETS_VAULT_NO_INSTALL counts as set unless empty or 0', () => {
    expect(currentInstallContext({ SECRETS_VAULT_NO_INSTALL: '1' }).installDisabled).toBe(true);
    expect(currentInstallContext({ SECRETS_VAULT_NO_INSTALL: 'yes' }).installDisabled).toBe(true);
    expect(currentInstallContext({ SECRETS_VAULT_NO_INSTALL: '0' }).installDisabled).toBe(false);
    expect(currentInstallContext({ SECRETS_VAULT_NO_INSTALL: '' }).installDisabled).toBe(false);
    expect(currentInstallContext({}).installDisabled).toBe(false);
  });

  test('a set-up error prints as its message alone (jest prints the stack of a global-setup error)', () => {
    const error = new DatabaseSetupError('MariaDB is missing');
    expect(error.stack).toBe('MariaDB is missing');
    expect(error).toBeInstanceOf(Error);
  });
});

describe('which runs start the database servers', () => {
  const ROOT = '/repo';
  const DB_TESTS = ['/repo/test/database/postgres.test.ts', '/repo/test/database/tls.test.ts'];

  /** Path patterns as jest applies them: regular expressions searched in the absolute path. */
  function patterns(...list: string[]): RunSelection['testPathPatterns'] {
    return {
      isSet: () => list.length > 0,
      toExecutor: () => ({ isMatch: (path: string) => list.some((p) => new RegExp(p).test(path)) }),
    };
  }

  test('the whole suite does', () => {
    expect(runsAnyOf(DB_TESTS, { rootDir: ROOT, testPathPatterns: patterns() })).toBe(true);
  });

  test('a run of one template test does not', () => {
    const run = { rootDir: ROOT, testPathPatterns: patterns('test/vault-key.test.ts') };
    expect(runsAnyOf(DB_TESTS, run)).toBe(false);
  });

  test('a run naming a database test, or their folder, does', () => {
    expect(runsAnyOf(DB_TESTS, { rootDir: ROOT, testPathPatterns: patterns('tls') })).toBe(true);
    expect(runsAnyOf(DB_TESTS, { rootDir: ROOT, testPathPatterns: patterns('test/database') })).toBe(true);
  });

  test('runs whose files jest picks from git or earlier failures do, whatever the patterns', () => {
    const only = patterns('test/vault-key.test.ts');
    expect(runsAnyOf(DB_TESTS, { rootDir: ROOT, testPathPatterns: only, onlyChanged: true })).toBe(true);
    expect(runsAnyOf(DB_TESTS, { rootDir: ROOT, testPathPatterns: only, changedSince: 'main' })).toBe(true);
    expect(runsAnyOf(DB_TESTS, { rootDir: ROOT, testPathPatterns: only, findRelatedTests: true })).toBe(true);
  });

  test('database tests that testPathIgnorePatterns leave out do not', () => {
    const run = { rootDir: ROOT, testPathPatterns: patterns() };
    expect(runsAnyOf(DB_TESTS, run, { testPathIgnorePatterns: ['/test/database/'] })).toBe(false);
  });
});
