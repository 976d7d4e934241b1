import type { FormerEndpoint, HostTargetSpec, TargetSpec } from '../../../../lib/contract/rotation-contract';
import { RotationError } from '../../errors';
import type { Credentials, Endpoint } from './driver';
import type { EngineSpec } from './engine';

/**
 * A database secret's JSON, as AWS's rotation templates and RDS define it:
 * `{ engine, host, port?, username, password, dbname?, ssl?, masterarn? }`. Any other field is kept
 * as it is by createSecret. The connection fields are only checked against the pinned target: they
 * never decide where a credential goes (`ssl` is not read at all).
 */
export interface DatabaseSecret {
  /** The parsed JSON, every field included, for createSecret to copy. */
  readonly raw: Readonly<Record<string, unknown>>;
  readonly credentials: Credentials;
  /**
   * The former endpoint (the deployment's `movedFrom`) that the value names, when it names one rather
   * than the pin. Nothing connects there; createSecret writes the pin instead.
   */
  readonly formerEndpoint?: FormerEndpoint;
}

/** Names the secret and version in errors, e.g. `the AWSCURRENT value of secret arn:...`. */
export function describeValue(stage: string, arn: string): string {
  return `the ${stage} value of secret ${arn}`;
}

function nonEmptyString(raw: Record<string, unknown>, key: string, where: string): string {
  const value = raw[key];
  if (typeof value !== 'string' || value.length === 0) {
    throw new RotationError(`${where} has no non-empty string field "${key}"`);
  }
  return value;
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/**
 * `target` with its host and port known. A target pinned by RDS identifier has them only once the
 * strategy has asked the RDS API (DatabaseStrategy.located): nothing may read a value against it, or
 * connect, before.
 */
export function located(target: TargetSpec): HostTargetSpec {
  if (target.rds !== undefined) {
    throw new Error(
      `RDS DB ${target.rds.kind} ${JSON.stringify(target.rds.identifier)} was not looked up before use`,
    );
  }
  return target;
}

/** The pinned endpoint of `target`, as every login of its secrets uses it. */
export function pinnedEndpoint(target: TargetSpec, spec: EngineSpec): Endpoint {
  const { host, port } = located(target);
  return {
    host,
    port,
    dbname: target.dbname ?? spec.defaultDbname,
    tls: target.tls,
  };
}

/** `host:port/dbname`, for messages. */
export function describeEndpoint(endpoint: { host: string; port: number; dbname?: string }): string {
  return `${endpoint.host}:${endpoint.port}${endpoint.dbname ? `/${endpoint.dbname}` : ''}`;
}

/** A field of a value as an error may show it: cut at 80 characters. Never a password. */
const text = (v: unknown) => String(v).slice(0, 80);

/** What a value says about where it connects, for an error naming the disagreement. Never a password. */
function claimed(raw: Record<string, unknown>): string {
  return [
    present(raw.host) ? `host ${text(raw.host)}` : undefined,
    present(raw.port) ? `port ${text(raw.port)}` : undefined,
    present(raw.dbname) ? `dbname ${text(raw.dbname)}` : undefined,
  ]
    .filter((part) => part !== undefined)
    .join(', ');
}

/**
 * The `movedFrom` entry that would let the value through, for the refusal to suggest: the value's host
 * and port (the pinned ones where the value has none), and its database when it differs from the
 * pinned one (an entry without `dbname` keeps the secret's; not for the admin secret, whose own
 * database may differ). Cut at 80 characters, as the rest of the message; never a password.
 */
function movedFromHint(raw: Record<string, unknown>, endpoint: Endpoint, checkDbname: boolean): string {
  const host = present(raw.host) ? text(raw.host) : endpoint.host;
  const port = present(raw.port) ? portOf(raw.port) : endpoint.port;
  const fields = [
    `host: ${JSON.stringify(host)}`,
    `port: ${typeof port === 'number' ? port : JSON.stringify(text(port))}`,
    ...(checkDbname && present(raw.dbname) && raw.dbname !== endpoint.dbname
      ? [`dbname: ${JSON.stringify(text(raw.dbname))}`]
      : []),
  ];
  return `\`movedFrom: [{ ${fields.join(', ')} }]\``;
}

/** A port as a value may write it: a number, or its digits as a string. */
function portOf(value: unknown): unknown {
  return typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
}

/**
 * The fields of a value that say where it connects must agree with `endpoint` (the pinned one, or a
 * former one); absent fields take the pinned target's. `checkDbname`: false for the admin secret,
 * whose own database may differ.
 */
function agreesWith(
  raw: Record<string, unknown>,
  endpoint: { readonly host: string; readonly port: number; readonly dbname?: string },
  target: HostTargetSpec,
  spec: EngineSpec,
  checkDbname: boolean,
): boolean {
  const host = present(raw.host) ? raw.host : target.host;
  if (typeof host !== 'string' || host.toLowerCase() !== endpoint.host.toLowerCase()) return false;
  if ((present(raw.port) ? portOf(raw.port) : target.port) !== endpoint.port) return false;
  const dbname = present(raw.dbname) ? raw.dbname : (target.dbname ?? spec.defaultDbname);
  return !checkDbname || dbname === (endpoint.dbname ?? spec.defaultDbname);
}

/**
 * Which endpoint the value names: the pin (`'pinned'`), one of the target's former endpoints, or none
 * (undefined). The pin is tried first.
 */
function namedEndpoint(
  raw: Record<string, unknown>,
  target: HostTargetSpec,
  spec: EngineSpec,
  checkDbname: boolean,
): 'pinned' | FormerEndpoint | undefined {
  if (agreesWith(raw, target, target, spec, checkDbname)) return 'pinned';
  return (target.formerly ?? []).find((former) => agreesWith(raw, former, target, spec, checkDbname));
}

export interface ParseOptions {
  /** The secret that the value belongs to, for messages. */
  readonly arn: string;
  /** False for the admin secret: its own database may differ from the target's. */
  readonly checkDbname?: boolean;
}

/**
 * Parses one database secret value and checks it against the pinned target, before any connection:
 * a value that points anywhere else fails here, with a clear error, and nothing is touched. `where`
 * names the value in errors; the value itself never appears in one (a JSON parse error would quote
 * it, so it is replaced).
 */
export function parseDatabaseSecret(
  text: string,
  spec: EngineSpec,
  target: TargetSpec,
  where: string,
  options: ParseOptions,
): DatabaseSecret {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RotationError(`${where} is not JSON (a database secret is a JSON object)`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RotationError(`${where} is not a JSON object`);
  }
  const raw = parsed as Record<string, unknown>;
  if (present(raw.engine) && !spec.engineValues.includes(raw.engine as string)) {
    throw new RotationError(
      `${where} has engine ${JSON.stringify(raw.engine).slice(0, 40)}, but this deployment pinned secret ${options.arn} to a ${spec.name} database (${spec.engineValues.map((e) => JSON.stringify(e)).join(' or ')}); refusing to connect`,
    );
  }
  const checkDbname = options.checkDbname ?? true;
  const named = namedEndpoint(raw, located(target), spec, checkDbname);
  if (named === undefined) {
    const endpoint = pinnedEndpoint(target, spec);
    throw new RotationError(
      `${where} points at ${claimed(raw)}, but this deployment pinned secret ${options.arn} to ${describeEndpoint(endpoint)}; refusing to connect anywhere (fix the value, or deploy the new endpoint, then rotate again). If the database moved from there, declare ${movedFromHint(raw, endpoint, checkDbname)} in the options of secret ${options.arn} and deploy: the next rotation then writes the new endpoint`,
    );
  }
  const username = nonEmptyString(raw, 'username', where);
  const password = raw.password;
  if (typeof password !== 'string') {
    throw new RotationError(`${where} has no string field "password"`);
  }
  return {
    raw,
    credentials: { username, password },
    ...(named !== 'pinned' ? { formerEndpoint: named } : {}),
  };
}

/**
 * setSecret's guard, before any connection: the pending value must have the expected username. (Its
 * endpoint fields were checked against the pinned target when it was parsed.)
 */
export function assertPendingUser(
  pending: DatabaseSecret,
  expectedUsername: string,
  arn: string,
  endpoint: Endpoint,
): void {
  if (pending.credentials.username !== expectedUsername) {
    throw new RotationError(
      `the AWSPENDING value of secret ${arn} has username "${pending.credentials.username}", but this rotation may only set a password for "${expectedUsername}" on ${describeEndpoint(endpoint)}; refusing to change it (fix or remove the pending version, then rotate again)`,
    );
  }
}
