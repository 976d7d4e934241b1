/**
 * Whether the PostgreSQL and MariaDB servers the database tests run are installed, and installing them
 * when this run may: as root, with apt-get, and unless SECRETS_VAULT_NO_INSTALL is set. When it may
 * not, the tests stop before they start, with one message that names what is missing and the command
 * that installs it (test/support/global-setup.ts).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import type { EngineName } from './databases';

export interface ServerPackage {
  readonly engine: EngineName;
  /** The server's name in messages. */
  readonly label: string;
  /** The Debian package that brings the server and its tools. */
  readonly debianPackage: string;
}

export const SERVER_PACKAGES: Readonly<Record<EngineName, ServerPackage>> = {
  postgres: { engine: 'postgres', label: 'PostgreSQL', debianPackage: 'postgresql' },
  mysql: { engine: 'mysql', label: 'MariaDB', debianPackage: 'mariadb-server' },
};

/** Set (to anything but 0) to forbid installing: the run then stops with the message instead. */
export const NO_INSTALL_VARIABLE = 'SECRETS_VAULT_NO_INSTALL';

/** As a newcomer types it from the repository's root; also what the tests run to install. */
export const INSTALL_COMMAND = 'scripts/databases.sh install';
const INSTALL_SCRIPT = resolve(__dirname, '..', '..', 'scripts', 'databases.sh');

/** A test-setup failure whose message is all there is to say: jest prints an error's stack, so the stack is the message. */
export class DatabaseSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseSetupError';
    this.stack = message;
  }
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * The folder of `postgres` and `initdb`: PG_BIN_DIR when set, else Debian's newest
 * /usr/lib/postgresql/N/bin, else the folder on PATH that has both.
 */
export function findPostgresBinDir(): string | undefined {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const root = '/usr/lib/postgresql';
  const debian = existsSync(root)
    ? readdirSync(root)
        .filter((version) => executable(join(root, version, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (debian.length > 0) return join(root, debian[0], 'bin');
  const postgres = onPath('postgres');
  const dir = postgres ? join(postgres, '..') : undefined;
  return dir && executable(join(dir, 'initdb')) ? dir : undefined;
}

/** `mariadbd` (Debian keeps it in /usr/sbin, off a user's PATH) and `mariadb-install-db`. */
export function findMariadb(): { readonly server: string; readonly installDb: string } | undefined {
  const server = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'].find(executable) ?? onPath('mariadbd');
  const installDb = onPath('mariadb-install-db') ?? onPath('mysql_install_db');
  return server && installDb ? { server, installDb } : undefined;
}

export function isInstalled(engine: EngineName): boolean {
  return engine === 'postgres' ? findPostgresBinDir() !== undefined : findMariadb() !== undefined;
}

export function missingServerPackages(): ServerPackage[] {
  return Object.values(SERVER_PACKAGES).filter((pkg) => !isInstalled(pkg.engine));
}

/** What decides whether this run may install packages. */
export interface InstallContext {
  readonly isRoot: boolean;
  readonly hasApt: boolean;
  readonly installDisabled: boolean;
}

export function currentInstallContext(env: NodeJS.ProcessEnv = process.env): InstallContext {
  const disabled = env[NO_INSTALL_VARIABLE];
  return {
    isRoot: process.getuid?.() === 0,
    hasApt: onPath('apt-get') !== undefined,
    installDisabled: disabled !== undefined && disabled !== '' && disabled !== '0',
  };
}

export type InstallDecision =
  | { readonly action: 'none' }
  | { readonly action: 'install'; readonly packages: readonly string[] }
  | { readonly action: 'refuse'; readonly message: string };

export function decideInstall(missing: readonly ServerPackage[], context: InstallContext): InstallDecision {
  if (missing.length === 0) return { action: 'none' };
  if (context.hasApt && context.isRoot && !context.installDisabled) {
    return { action: 'install', packages: missing.map((pkg) => pkg.debianPackage) };
  }
  return { action: 'refuse', message: missingServersMessage(missing, context) };
}

/** The one message a run that may not install gets: what is missing, why it stays so, the fix. */
export function missingServersMessage(missing: readonly ServerPackage[], context: InstallContext): string {
  const what = missing.map((pkg) => `${pkg.label} (Debian package ${pkg.debianPackage})`).join(' and ');
  const verb = missing.length > 1 ? 'are' : 'is';
  if (!context.hasApt) {
    const servers = missing.map((pkg) => `a ${pkg.label} server`).join(' and ');
    return (
      `The database tests need ${what}, which ${verb} not installed, and this machine has no apt-get to ` +
      `install ${missing.length > 1 ? 'them' : 'it'} with. Fix: install ${servers} with this system's ` +
      `package manager (set PG_BIN_DIR to PostgreSQL's bin folder when initdb is not on PATH), then run ` +
      `the tests again.`
    );
  }
  const reason = context.installDisabled ? `${NO_INSTALL_VARIABLE} is set` : 'installing packages needs root';
  const command = `${context.isRoot ? '' : 'sudo '}${INSTALL_COMMAND}`;
  const packages = missing.map((pkg) => pkg.debianPackage).join(' ');
  return (
    `The database tests need ${what}, which ${verb} not installed, and this run does not install ` +
    `packages (${reason}). Fix: \`${command}\` (apt-get install ${packages}), then run the tests again.`
  );
}

/**
 * Installs what is missing when this run may (printing one line first: apt-get takes a minute or two);
 * otherwise throws the one message. Returns the packages it installed.
 */
export function ensureServerPackages(log: (line: string) => void): readonly string[] {
  const decision = decideInstall(missingServerPackages(), currentInstallContext());
  if (decision.action === 'none') return [];
  if (decision.action === 'refuse') throw new DatabaseSetupError(decision.message);
  const packages = decision.packages.join(' ');
  log(
    `The database tests need ${decision.packages.join(' and ')}: installing with apt-get (once per machine).`,
  );
  const result = spawnSync('bash', [INSTALL_SCRIPT, 'install', ...decision.packages], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const stillMissing = missingServerPackages().map((pkg) => pkg.debianPackage);
  if (result.status !== 0 || stillMissing.length > 0) {
    const outcome =
      result.status === 0
        ? `ran, but ${stillMissing.join(' and ')} is still missing`
        : `failed (${result.error?.message ?? `exit ${result.status}`})`;
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
    throw new DatabaseSetupError(
      `The database tests need ${decision.packages.join(' and ')}, and \`${INSTALL_COMMAND} ${packages}\` ` +
        `${outcome}; its last lines:\n${output}`,
    );
  }
  return decision.packages;
}
