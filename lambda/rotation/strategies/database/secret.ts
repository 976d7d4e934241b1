import { RotationError } from '../../errors';
import type { Credentials, Endpoint } from './driver';
import type { EngineSpec } from './engine';

/**
 * A database secret's JSON, as AWS's rotation templates and RDS define it:
 * `{ engine, host, port?, username, password, dbname?, ssl?, masterarn? }`. Any other field is kept
 * as it is by createSecret.
 */
export interface DatabaseSecret {
  /** The parsed JSON, every field included, for createSecret to copy. */
  readonly raw: Readonly<Record<string, unknown>>;
  readonly engine: string;
  readonly endpoint: Endpoint;
  readonly credentials: Credentials;
  /** The ARN of the admin secret (alternating users). */
  readonly masterarn?: string;
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

function parsePort(raw: Record<string, unknown>, spec: EngineSpec, where: string): number {
  const value = raw.port;
  if (value === undefined || value === null || value === '') return spec.defaultPort;
  const port = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RotationError(`${where} has a field "port" that is not a port number (1-65535)`);
  }
  return port;
}

function parseTls(raw: Record<string, unknown>, where: string): Endpoint['tls'] {
  const value = raw.ssl;
  if (value === undefined || value === null) return 'prefer';
  if (value === true || (typeof value === 'string' && value.toLowerCase() === 'true')) return 'require';
  if (value === false || (typeof value === 'string' && value.toLowerCase() === 'false')) return 'disable';
  throw new RotationError(`${where} has a field "ssl" that is neither true nor false`);
}

/**
 * Parses and checks one database secret value. `where` names it in errors; the value itself never
 * appears in one (a JSON parse error would quote it, so it is replaced).
 */
export function parseDatabaseSecret(text: string, spec: EngineSpec, where: string): DatabaseSecret {
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
  const engine = nonEmptyString(raw, 'engine', where);
  if (!spec.engineValues.includes(engine)) {
    throw new RotationError(
      `${where} has engine ${JSON.stringify(engine.slice(0, 40))}, but this profile rotates ${spec.engineValues.map((e) => JSON.stringify(e)).join(' or ')} secrets`,
    );
  }
  const host = nonEmptyString(raw, 'host', where);
  const username = nonEmptyString(raw, 'username', where);
  const password = raw.password;
  if (typeof password !== 'string') {
    throw new RotationError(`${where} has no string field "password"`);
  }
  const dbname = raw.dbname;
  if (dbname !== undefined && dbname !== null && typeof dbname !== 'string') {
    throw new RotationError(`${where} has a field "dbname" that is not a string`);
  }
  const masterarn = raw.masterarn;
  if (masterarn !== undefined && (typeof masterarn !== 'string' || masterarn.length === 0)) {
    throw new RotationError(`${where} has a field "masterarn" that is not a non-empty string`);
  }
  return {
    raw,
    engine,
    endpoint: {
      host,
      port: parsePort(raw, spec, where),
      dbname: typeof dbname === 'string' && dbname.length > 0 ? dbname : spec.defaultDbname,
      tls: parseTls(raw, where),
    },
    credentials: { username, password },
    masterarn,
  };
}

/** `host:port/dbname`, for messages. */
export function describeEndpoint(endpoint: Endpoint): string {
  return `${endpoint.host}:${endpoint.port}${endpoint.dbname ? `/${endpoint.dbname}` : ''}`;
}

/** Host (case-insensitive, as DNS is), port and database must all be the same. */
export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.host.toLowerCase() === b.host.toLowerCase() && a.port === b.port && a.dbname === b.dbname;
}

/**
 * setSecret's guard, before any connection: the pending value must point at the current value's
 * database, with the expected username. A pending value edited to point elsewhere (another host, or an
 * admin's username) must not make this function change that target's password.
 */
export function assertPendingTarget(
  pending: DatabaseSecret,
  current: DatabaseSecret,
  expectedUsername: string,
  arn: string,
): void {
  if (!sameEndpoint(pending.endpoint, current.endpoint)) {
    throw new RotationError(
      `the AWSPENDING value of secret ${arn} points at ${describeEndpoint(pending.endpoint)}, not at the AWSCURRENT value's ${describeEndpoint(current.endpoint)}; refusing to change a password there (fix or remove the pending version, then rotate again)`,
    );
  }
  if (pending.credentials.username !== expectedUsername) {
    throw new RotationError(
      `the AWSPENDING value of secret ${arn} has username "${pending.credentials.username}", but this rotation may only set a password for "${expectedUsername}" on ${describeEndpoint(current.endpoint)}; refusing to change it (fix or remove the pending version, then rotate again)`,
    );
  }
}
