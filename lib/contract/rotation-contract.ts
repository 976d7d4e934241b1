/**
 * The contract between the constructs (lib/) and the rotation function (lambda/rotation/): what the
 * constructs write into the function's environment and tags, and what the function accepts. Both
 * sides import this one module, so they cannot drift apart. It imports nothing but Node's crypto and
 * net (neither aws-cdk-lib nor handler code): the function's bundle pulls it in as it is.
 *
 * Where a credential goes is pinned here, by the deployment: each database secret is bound by its
 * name (or ARN) to a profile and a target (engine, host and port or an RDS identifier, database, TLS
 * mode, admin secret).
 * A secret's value and tags are written by whoever may write the secret, so they only ever have to
 * agree with the pinned binding; they never choose it.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';

/**
 * The tag a construct puts on each secret it adds: the id of the secret's profile. It never chooses a
 * profile: it must agree with the secret's binding, or with the default profile for an unbound secret.
 */
export const ROTATION_PROFILE_TAG = 'secrets-vault:rotation-profile';

/** The rotation function's environment variables. */
export const ROTATION_ENV = {
  /** Secrets whose name starts with this value are in the function's scope. */
  namePrefix: 'VAULT_SECRET_NAME_PREFIX',
  /** Comma-separated full ARNs of further secrets in scope. */
  secretArns: 'VAULT_SECRET_ARNS',
  /** JSON: profile id -> profile (kind, password rules, ...). */
  profiles: 'ROTATION_PROFILES',
  /**
   * The profile of every secret in scope that ROTATION_BINDINGS does not list, whatever its tag says (a
   * tag naming another profile fails the step). Generated kinds only. The constructs leave the secrets
   * of their most common generated profile unbound, so that the environment does not grow with them.
   */
  defaultProfile: 'ROTATION_DEFAULT_PROFILE',
  /** JSON: target id -> pinned database target. */
  targets: 'ROTATION_TARGETS',
  /** JSON: binding key (`<profile>` or `<profile>@<target>`) -> comma-separated secret keys. */
  bindings: 'ROTATION_BINDINGS',
} as const;

/** What alternating users append to the username for the second user, as AWS's templates do. */
export const CLONE_SUFFIX = '_clone';

// ---------------------------------------------------------------------------------------------------
// Engines

export type EngineName = 'postgres' | 'mysql';

/** The facts about a database engine that both sides need. */
export interface EngineFacts {
  readonly name: EngineName;
  /** Values of a secret's `engine` field that this engine accepts (RDS and AWS's templates use these). */
  readonly engineValues: readonly string[];
  readonly defaultPort: number;
  /** The database a login uses when none is pinned (undefined: the driver's default). */
  readonly defaultDbname?: string;
  /** The longest username the engine accepts; alternating users must fit `<user>_clone` in it. */
  readonly maxUsernameLength: number;
  /** How the engine counts a username's length (PostgreSQL: bytes of NAMEDATALEN; MySQL: characters). */
  readonly usernameUnit: 'bytes' | 'characters';
  /** Characters generated passwords leave out unless the user says otherwise. */
  readonly defaultExcludeCharacters: string;
}

export const ENGINES: Readonly<Record<EngineName, EngineFacts>> = {
  postgres: {
    name: 'postgres',
    engineValues: ['postgres', 'aurora-postgresql'],
    defaultPort: 5432,
    defaultDbname: 'postgres',
    // NAMEDATALEN - 1 bytes: longer names are silently truncated by the server.
    maxUsernameLength: 63,
    usernameUnit: 'bytes',
    // `:` too: it breaks postgres:// connection URIs.
    defaultExcludeCharacters: '/@"\'\\:',
  },
  mysql: {
    name: 'mysql',
    engineValues: ['mysql', 'mariadb', 'aurora-mysql', 'aurora'],
    defaultPort: 3306,
    // MySQL allows 32 characters (MariaDB 80): 32 keeps a pair valid on both.
    maxUsernameLength: 32,
    usernameUnit: 'characters',
    defaultExcludeCharacters: '/@"\'\\',
  },
};

export function isEngineName(value: unknown): value is EngineName {
  return value === 'postgres' || value === 'mysql';
}

/** A username's length as `engine` counts it. */
export function usernameLength(engine: EngineFacts, username: string): number {
  return engine.usernameUnit === 'bytes' ? Buffer.byteLength(username, 'utf8') : [...username].length;
}

/** The profile kinds: `generated`, and `<engine>-single` / `<engine>-alternating`. */
export type UserScheme = 'single' | 'alternating';
export function databaseKind(engine: EngineName, scheme: UserScheme): string {
  return `${engine}-${scheme}`;
}

// ---------------------------------------------------------------------------------------------------
// Password rules (GetRandomPassword's options, as CloudFormation's GenerateSecretString takes them too)

export const DEFAULT_EXCLUDE_CHARACTERS = '/@"\'\\';
export const DEFAULT_PASSWORD_LENGTH = 32;
/** GetRandomPassword's and GenerateSecretString's own limits. */
export const MAX_PASSWORD_LENGTH = 4096;
export const MAX_EXCLUDE_CHARACTERS = 4096;

export interface PasswordRules {
  readonly length: number;
  readonly excludeCharacters: string;
  readonly excludePunctuation: boolean;
  readonly excludeNumbers: boolean;
  readonly excludeUppercase: boolean;
  readonly excludeLowercase: boolean;
  readonly includeSpace: boolean;
  readonly requireEachIncludedType: boolean;
}

export const PASSWORD_FLAGS = [
  'excludePunctuation',
  'excludeNumbers',
  'excludeUppercase',
  'excludeLowercase',
  'includeSpace',
  'requireEachIncludedType',
] as const;

export const DEFAULT_PASSWORD_RULES: PasswordRules = {
  length: DEFAULT_PASSWORD_LENGTH,
  excludeCharacters: DEFAULT_EXCLUDE_CHARACTERS,
  excludePunctuation: false,
  excludeNumbers: false,
  excludeUppercase: false,
  excludeLowercase: false,
  includeSpace: false,
  requireEachIncludedType: true,
};

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** One reason complete rules cannot make a usable password: the option at fault and what is allowed. */
export interface PasswordRulesProblem {
  readonly option: string;
  readonly allowed: string;
}

/**
 * The one check of complete password rules, on both sides. `lengthIsToken`: the construct may not
 * know the length at synth; the checks that need it are then left out.
 */
export function passwordRulesProblem(
  rules: PasswordRules,
  lengthIsToken = false,
): PasswordRulesProblem | undefined {
  const { length } = rules;
  if (!lengthIsToken && (!Number.isInteger(length) || length < 1 || length > MAX_PASSWORD_LENGTH)) {
    return { option: 'length', allowed: `allowed: a whole number from 1 to ${MAX_PASSWORD_LENGTH}` };
  }
  if (
    typeof rules.excludeCharacters !== 'string' ||
    rules.excludeCharacters.length > MAX_EXCLUDE_CHARACTERS ||
    !PRINTABLE_ASCII.test(rules.excludeCharacters)
  ) {
    return {
      option: 'excludeCharacters',
      allowed: `allowed: at most ${MAX_EXCLUDE_CHARACTERS} printable ASCII characters`,
    };
  }
  // A space alone is no password: at least one of the four real classes must stay.
  if (rules.excludePunctuation && rules.excludeNumbers && rules.excludeUppercase && rules.excludeLowercase) {
    return {
      option: 'exclude*',
      allowed: 'allowed: leave at least one of punctuation, numbers, upper or lower case',
    };
  }
  const classes = [
    !rules.excludePunctuation,
    !rules.excludeNumbers,
    !rules.excludeUppercase,
    !rules.excludeLowercase,
    rules.includeSpace,
  ].filter(Boolean).length;
  if (!lengthIsToken && rules.requireEachIncludedType && length < classes) {
    return {
      option: 'length',
      allowed: `with requireEachIncludedType the value needs at least one character of each of its ${classes} classes`,
    };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Pinned database targets

/**
 * How the function's connections to a target are protected:
 * - `verified`: TLS, the certificate chain and the host name verified (the default, and the only mode
 *   admin credentials ever travel with);
 * - `unverified`: TLS without verifying the certificate (encrypted, but any man in the middle can
 *   present its own certificate and read the password);
 * - `plaintext`: no TLS at all.
 */
export type TlsMode = 'verified' | 'unverified' | 'plaintext';
export const TLS_MODES: readonly TlsMode[] = ['verified', 'unverified', 'plaintext'];

/** True for a host that is an IP address (v4, or v6 with or without brackets) rather than a name. */
export function isIpAddress(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return isIP(bare) !== 0;
}

/**
 * Why a verified login to `host` cannot work on `engine`, or undefined. mysql2 gives Node no server
 * name for an IP address, so Node would check the certificate against "localhost" and accept a trusted
 * certificate for localhost at any address; making it check the address would mean swapping Node's
 * process-wide check. So MySQL with verified TLS needs a DNS name: both sides refuse an IP address.
 */
export function verifiedHostProblem(engine: EngineName, tls: TlsMode, host: string): string | undefined {
  if (engine !== 'mysql' || tls !== 'verified' || !isIpAddress(host)) return undefined;
  return 'verified TLS checks the certificate against a host name, and the MySQL driver cannot check an IP address';
}

/** The kinds of RDS database a target can name: a DB instance, or an Aurora DB cluster (its writer). */
export type RdsKind = 'instance' | 'cluster';
export const RDS_KINDS: readonly RdsKind[] = ['instance', 'cluster'];

/**
 * An RDS database named by its identifier, as the deployment pins it. The function asks the RDS API
 * where it listens (DescribeDBInstances / DescribeDBClusters of exactly this identifier).
 */
export interface RdsSource {
  readonly kind: RdsKind;
  /** The DB instance or cluster identifier. */
  readonly identifier: string;
}

/**
 * RDS's rule for an instance or cluster identifier: 1 to 63 letters, digits or hyphens, starting with
 * a letter, with no two hyphens in a row and none at the end.
 */
const RDS_IDENTIFIER = /^[A-Za-z](?:-?[A-Za-z0-9])*$/;
const RDS_IDENTIFIER_MAX = 63;

/** What every pinned target says, however it names its server. */
interface TargetBase {
  readonly engine: EngineName;
  /** The database to log in to; absent: the engine's default. */
  readonly dbname?: string;
  readonly tls: TlsMode;
  /** The admin secret's ARN (alternating users only). */
  readonly admin?: string;
}

/**
 * Where a database was reached before it moved: a secret's value may still name it until the next
 * rotation writes the pinned endpoint. The function never connects to it.
 */
export interface FormerEndpoint {
  readonly host: string;
  readonly port: number;
  /** Absent: the engine's default, as for the pinned endpoint. */
  readonly dbname?: string;
}

/**
 * At most this many former endpoints per target: a move is declared for the rotation that follows it,
 * then dropped, so a few cover moves in quick succession without letting the list (and the
 * environment) grow.
 */
export const MAX_FORMER_ENDPOINTS = 3;

/**
 * Whether two endpoints of an `engine` database are the same: host names compared without case (DNS
 * ignores it), ports as numbers, an absent database as the engine's default.
 */
export function sameEndpoint(
  engine: EngineName,
  a: { readonly host: string; readonly port: number; readonly dbname?: string },
  b: { readonly host: string; readonly port: number; readonly dbname?: string },
): boolean {
  const dbname = (e: { readonly dbname?: string }) => e.dbname ?? ENGINES[engine].defaultDbname;
  return a.host.toLowerCase() === b.host.toLowerCase() && a.port === b.port && dbname(a) === dbname(b);
}

/** A target pinned by host name and port. */
export interface HostTargetSpec extends TargetBase {
  readonly host: string;
  readonly port: number;
  readonly rds?: undefined;
  /**
   * Where the database was reached before it moved (the deployment's `movedFrom`): a current or
   * previous value naming one of these is accepted as if it named the pin, and the version the
   * function creates names the pin. Logins go to the pin only.
   */
  readonly formerly?: readonly FormerEndpoint[];
}

/**
 * A target pinned by RDS identifier: host and port come from the RDS API when the function runs, never
 * from a secret's value. With an admin secret, that secret's `aws:rds:*` tag must name the same
 * database (RDS's managed master secret), or the function refuses to use it.
 */
export interface RdsTargetSpec extends TargetBase {
  readonly rds: RdsSource;
  readonly host?: undefined;
  readonly port?: undefined;
  readonly formerly?: undefined;
}

/** One pinned database target: where the credentials of the secrets bound to it may be sent. */
export type TargetSpec = HostTargetSpec | RdsTargetSpec;

/** A problem with the function's configuration as the contract reads it. */
export class ContractError extends Error {
  public override readonly name = 'ContractError';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const TARGET_KEYS = ['engine', 'host', 'port', 'rds', 'dbname', 'tls', 'admin', 'formerly'];
const FORMER_KEYS = ['host', 'port', 'dbname'];
const RDS_KEYS = ['kind', 'identifier'];

function unknownKeys(raw: Record<string, unknown>, known: readonly string[], where: string): void {
  const unknown = Object.keys(raw).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    throw new ContractError(
      `${where} has unknown key(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')} (allowed: ${known.join(', ')})`,
    );
  }
}

/** Parses a target's `rds` entry. */
export function parseRdsSource(raw: unknown, where: string): RdsSource {
  if (!isRecord(raw)) throw new ContractError(`${where} must be an object`);
  unknownKeys(raw, RDS_KEYS, where);
  if (!RDS_KINDS.includes(raw.kind as RdsKind)) {
    throw new ContractError(
      `${where}.kind must be one of ${RDS_KINDS.map((k) => JSON.stringify(k)).join(', ')}`,
    );
  }
  const id = raw.identifier;
  if (typeof id !== 'string' || id.length > RDS_IDENTIFIER_MAX || !RDS_IDENTIFIER.test(id)) {
    throw new ContractError(
      `${where}.identifier must be an RDS identifier (1 to ${RDS_IDENTIFIER_MAX} letters, digits or hyphens, starting with a letter)`,
    );
  }
  return { kind: raw.kind as RdsKind, identifier: id };
}

/** Parses one target as the constructs render it; `where` names it in errors. */
export function parseTarget(raw: unknown, where: string): TargetSpec {
  if (!isRecord(raw)) throw new ContractError(`${where} must be an object`);
  unknownKeys(raw, TARGET_KEYS, where);
  if (!isEngineName(raw.engine)) {
    throw new ContractError(`${where}.engine must be one of "postgres", "mysql"`);
  }
  const byHost = raw.host !== undefined || raw.port !== undefined;
  if (byHost === (raw.rds !== undefined)) {
    throw new ContractError(
      byHost
        ? `${where} names both a host or port and an RDS database ("rds"): pin one server, by host and port or by RDS identifier`
        : `${where} names no server: pin host and port, or an RDS database ("rds")`,
    );
  }
  const server: { host: string; port: number } | { rds: RdsSource } = byHost
    ? { host: parseHost(raw.host, where), port: parsePort(raw.port, where) }
    : { rds: parseRdsSource(raw.rds, `${where}.rds`) };
  const dbname = parseDbname(raw.dbname, where);
  if (!TLS_MODES.includes(raw.tls as TlsMode)) {
    throw new ContractError(
      `${where}.tls must be one of ${TLS_MODES.map((m) => JSON.stringify(m)).join(', ')}`,
    );
  }
  if (raw.admin !== undefined && (typeof raw.admin !== 'string' || !raw.admin.startsWith('arn:'))) {
    throw new ContractError(`${where}.admin must be the ARN of the admin secret`);
  }
  if (raw.admin !== undefined && raw.tls !== 'verified') {
    throw new ContractError(
      `${where} names an admin secret with tls "${String(raw.tls)}": admin credentials travel over verified TLS only`,
    );
  }
  const base = {
    engine: raw.engine,
    dbname,
    tls: raw.tls as TlsMode,
    admin: raw.admin as string | undefined,
  };
  if ('rds' in server) {
    if (raw.formerly !== undefined) {
      throw new ContractError(
        `${where}.formerly is for a target pinned by host and port: a target pinned by RDS identifier takes its endpoint from the RDS API`,
      );
    }
    return { ...base, ...server };
  }
  const formerly =
    raw.formerly === undefined ? undefined : parseFormerly(raw.formerly, { ...base, ...server }, where);
  return { ...base, ...server, ...(formerly !== undefined ? { formerly } : {}) };
}

function parseHost(host: unknown, where: string): string {
  if (typeof host !== 'string' || host.trim() === '' || host !== host.trim()) {
    throw new ContractError(`${where}.host must be a non-empty host name without spaces`);
  }
  return host;
}

function parsePort(raw: unknown, where: string): number {
  // Tokens render a port as a string (an RDS endpoint's port attribute): accept its digits.
  const port = typeof raw === 'string' && /^\d{1,5}$/.test(raw) ? Number(raw) : raw;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ContractError(`${where}.port must be a port number (1-65535)`);
  }
  return port;
}

function parseDbname(dbname: unknown, where: string): string | undefined {
  if (dbname !== undefined && (typeof dbname !== 'string' || dbname === '')) {
    throw new ContractError(`${where}.dbname must be a non-empty string when present`);
  }
  return dbname;
}

/**
 * A target's `formerly`: 1 to MAX_FORMER_ENDPOINTS endpoints, each checked as the pinned host, port
 * and dbname are, none the pinned endpoint itself. Only a target pinned by host and port has one: a
 * target pinned by RDS identifier takes its endpoint from the RDS API.
 */
function parseFormerly(raw: unknown, pinned: HostTargetSpec, where: string): FormerEndpoint[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_FORMER_ENDPOINTS) {
    throw new ContractError(
      `${where}.formerly must be a list of 1 to ${MAX_FORMER_ENDPOINTS} former endpoints { host, port, dbname? }`,
    );
  }
  return raw.map((entry: unknown, i) => {
    const at = `${where}.formerly[${i}]`;
    if (!isRecord(entry)) throw new ContractError(`${at} must be an object`);
    unknownKeys(entry, FORMER_KEYS, at);
    const host = parseHost(entry.host, at);
    const port = parsePort(entry.port, at);
    const dbname = parseDbname(entry.dbname, at);
    const former = { host, port, ...(dbname !== undefined ? { dbname } : {}) };
    if (sameEndpoint(pinned.engine, former, pinned)) {
      throw new ContractError(`${at} is the pinned endpoint itself: list only where the database was before`);
    }
    return former;
  });
}

/**
 * The connection fields every value the function writes for a secret of this target carries, whatever
 * the value it copies says: `engine` (as the caller chose it: see the strategy), the target's `host` and
 * `port` (an RDS target's as the RDS API reported them), `dbname` when pinned, `ssl` (false only for
 * plaintext) and `masterarn` (the pinned admin secret). A database secret's generated template holds
 * only `username`, so that changing a connection field never regenerates the password
 * (aws-cdk#19985): the rotation function writes them instead, at every rotation.
 */
export function pinnedSecretFields(
  target: HostTargetSpec,
  engine: string,
): Record<string, string | number | boolean> {
  return {
    engine,
    host: target.host,
    port: target.port,
    ...(target.dbname !== undefined ? { dbname: target.dbname } : {}),
    ssl: target.tls !== 'plaintext',
    ...(target.admin !== undefined ? { masterarn: target.admin } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------
// Binding secrets to a profile (and a target)

/** Length of a secret key made from a name: 60 bits of SHA-256, 10 base64url characters. */
export const SECRET_KEY_LENGTH = 10;

/**
 * The key that binds a secret whose name the deployment knows: short and of fixed size, so that 150
 * bound secrets fit Lambda's 4 KB environment (11 bytes each, with the comma). The secrets of the
 * default profile need none.
 */
export function secretNameKey(name: string): string {
  return createHash('sha256').update(name, 'utf8').digest('base64url').slice(0, SECRET_KEY_LENGTH);
}

/** `<profile>` for a secret with no external target, `<profile>@<target>` for a database secret. */
export function bindingKey(profileId: string, targetId?: string): string {
  return targetId === undefined ? profileId : `${profileId}@${targetId}`;
}

export interface SecretBinding {
  readonly profileId: string;
  readonly targetId?: string;
}

/**
 * Parses ROTATION_BINDINGS: each key `<profile>[@<target>]`, each value a comma-separated list of
 * secret keys (`secretNameKey(name)`) or full secret ARNs. Returns secret key or ARN -> binding. A
 * secret bound twice is an error: the deployment must say one thing.
 */
export function parseBindings(raw: unknown, where: string): Map<string, SecretBinding> {
  if (!isRecord(raw)) throw new ContractError(`${where} must be a JSON object of binding to secrets`);
  const bindings = new Map<string, SecretBinding>();
  for (const [key, list] of Object.entries(raw)) {
    const at = key.indexOf('@');
    const profileId = at < 0 ? key : key.slice(0, at);
    const targetId = at < 0 ? undefined : key.slice(at + 1);
    if (profileId === '' || targetId === '') {
      throw new ContractError(`${where} has a key ${JSON.stringify(key)} that is not <profile>[@<target>]`);
    }
    if (typeof list !== 'string') {
      throw new ContractError(`${where}[${JSON.stringify(key)}] must be a comma-separated string`);
    }
    for (const entry of list.split(',')) {
      const isArn = entry.startsWith('arn:');
      if (!isArn && !/^[A-Za-z0-9_-]+$/.test(entry)) {
        throw new ContractError(
          `${where}[${JSON.stringify(key)}] has an entry that is neither a secret key nor a secret ARN`,
        );
      }
      if (!isArn && entry.length !== SECRET_KEY_LENGTH) {
        throw new ContractError(
          `${where}[${JSON.stringify(key)}] has a secret key of ${entry.length} characters (expected ${SECRET_KEY_LENGTH})`,
        );
      }
      if (bindings.has(entry)) {
        throw new ContractError(`${where} binds one secret twice (${isArn ? entry : `key ${entry}`})`);
      }
      bindings.set(entry, { profileId, targetId });
    }
  }
  return bindings;
}

/** The binding of a secret, by its name's key first, then by its ARN. */
export function findBinding(
  bindings: ReadonlyMap<string, SecretBinding>,
  secret: { readonly name: string; readonly arn: string },
): SecretBinding | undefined {
  return (secret.name ? bindings.get(secretNameKey(secret.name)) : undefined) ?? bindings.get(secret.arn);
}
