import type { Client, ClientConfig } from 'pg';
import { CLONE_SUFFIX } from '../../../../lib/contract/rotation-contract';
import { describeEndpoint } from './secret';
import {
  connectionError,
  DatabaseError,
  driverMessage,
  statementError,
  type DatabaseFailure,
} from './database-error';
import {
  CONNECT_TIMEOUT_MS,
  STATEMENT_TIMEOUT_MS,
  type CloneRequest,
  type Credentials,
  type DatabaseDriver,
  type Endpoint,
  type Session,
} from './driver';

type PgModule = typeof import('pg');

// SQLSTATE classes: 28 = invalid authorization (28P01 wrong password, 28000 no such role / pg_hba).
function classify(error: unknown): DatabaseFailure {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('28')) return 'auth';
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return 'statement';
  return 'unreachable';
}

const NO_TLS = /does not support SSL/i;

function tlsConfig(tls: Endpoint['tls']): ClientConfig['ssl'] {
  // Verified against the runtime's trust store (NODE_EXTRA_CA_CERTS adds the RDS CAs on Lambda), and
  // for the host name (pg passes it to Node's check). Never a fallback: the mode is the pinned one.
  if (tls === 'verified') return { rejectUnauthorized: true };
  if (tls === 'unverified') return { rejectUnauthorized: false };
  return false;
}

async function open(pg: PgModule, endpoint: Endpoint, credentials: Credentials): Promise<Client> {
  const client = new pg.Client({
    host: endpoint.host,
    port: endpoint.port,
    database: endpoint.dbname,
    user: credentials.username,
    password: credentials.password,
    ssl: tlsConfig(endpoint.tls),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    query_timeout: STATEMENT_TIMEOUT_MS,
    application_name: 'secrets-vault-rotation',
  });
  // An idle client that loses its socket emits 'error'; without a listener that would crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

function connectError(error: unknown, endpoint: Endpoint, credentials: Credentials): DatabaseError {
  const message = driverMessage(error, [credentials.password]);
  return connectionError({
    engine: 'PostgreSQL',
    endpoint,
    username: credentials.username,
    message,
    serverHasNoTls: NO_TLS.test(message),
    failure: classify(error),
  });
}

/** Role attributes a clone never gets (CREATE ROLE's defaults), by pg_roles column. */
const ROLE_ATTRIBUTES = [
  ['rolsuper', 'SUPERUSER'],
  ['rolcreaterole', 'CREATEROLE'],
  ['rolcreatedb', 'CREATEDB'],
  ['rolreplication', 'REPLICATION'],
  ['rolbypassrls', 'BYPASSRLS'],
] as const;

export interface CloneState {
  readonly exists: boolean;
  /** Role attributes it has, of ROLE_ATTRIBUTES. */
  readonly attributes: readonly string[];
  /** The roles it is a member of. */
  readonly memberOf: readonly string[];
  /** It may grant its base to others. */
  readonly adminOfBase: boolean;
  /** It is named in a privilege (an ACL) or a row-security policy: it holds rights of its own. */
  readonly ownPrivileges: boolean;
}

/**
 * Why a role is not "a member of `base` and nothing else", each as a phrase ("has ..."), or none.
 * Objects it owns are allowed: an application logged in as the clone may have created them, with the
 * base's rights. `mayJoin`: a role that is no member of anything yet may still become one (the
 * rotation grants it); when rotating back to the base, the clone must already be its member.
 */
export function cloneProblems(state: CloneState, base: string, mayJoin: boolean): string[] {
  const problems: string[] = [];
  if (!state.exists) return ['does not exist'];
  if (state.attributes.length > 0) problems.push(`has role attributes ${state.attributes.join(', ')}`);
  const others = state.memberOf.filter((role) => role !== base);
  if (others.length > 0) {
    problems.push(`is also a member of ${others.map((role) => `"${role}"`).join(', ')}`);
  }
  if (!mayJoin && !state.memberOf.includes(base)) problems.push(`is not a member of "${base}"`);
  if (state.adminOfBase) problems.push(`may grant "${base}" to others (ADMIN OPTION)`);
  if (state.ownPrivileges)
    problems.push('holds privileges of its own (granted to it, not to a role it is a member of)');
  return problems;
}

/** One login setting of a role (`ALTER ROLE ... [IN DATABASE ...] SET`), as pg_db_role_setting holds it. */
export interface RoleSetting {
  /** The database it applies in; null for every database. */
  readonly database: string | null;
  /** `name=value`, e.g. `role=app`. */
  readonly setting: string;
}

/** The one login setting a clone has: in every database, its sessions act as `base`. */
export function actsAsBase(settings: readonly RoleSetting[], base: string): boolean {
  return settings.some((s) => s.database === null && s.setting === `role=${base}`);
}

/**
 * Why a clone's login settings are not exactly `ALTER ROLE <clone> SET ROLE <base>` (or none yet, for a
 * clone made before the rotation set it), as a phrase, or none. Any other setting is refused: set by an
 * admin, it applies at every login of the clone, so it could give the clone's sessions more than the
 * base has (`session_replication_role`, another role). Values other than a role name are not shown.
 */
export function settingProblems(settings: readonly RoleSetting[], base: string): string[] {
  const others = settings
    .filter((s) => !(s.database === null && s.setting === `role=${base}`))
    .map((s) => {
      const at = s.setting.indexOf('=');
      const name = at < 0 ? s.setting : s.setting.slice(0, at);
      const what = name === 'role' ? `role "${s.setting.slice(at + 1)}"` : name;
      return s.database === null ? what : `${what} in database "${s.database}"`;
    });
  return others.length === 0
    ? []
    : [`has login settings other than SET ROLE "${base}" (${others.join(', ')})`];
}

class PostgresSession implements Session {
  constructor(
    private readonly client: Client,
    private readonly endpoint: Endpoint,
    private readonly username: string,
  ) {}

  public async ping(): Promise<void> {
    await this.run('SELECT 1', []);
  }

  public async accountHost(): Promise<string | undefined> {
    return undefined;
  }

  public async setOwnPassword(username: string, password: string): Promise<void> {
    // ALTER USER takes no bind parameters: the identifier and the literal are escaped by the driver.
    const sql = `ALTER USER ${this.client.escapeIdentifier(username)} WITH PASSWORD ${this.client.escapeLiteral(password)}`;
    await this.run(sql, [password], `setting the password of user "${username}"`);
  }

  /**
   * As AWS's template, the clone is a member of the user it copies, and holds that user's privileges
   * through the membership (so they stay in step when the user's grants change). Unlike the template,
   * its sessions also act as the user (`ALTER ROLE <clone> SET ROLE <user>`): what an application
   * creates while logged in as the clone belongs to the user, so the user can still use it once it is
   * current again, and the clone once it is current after that. `request` goes either way: to the
   * clone (`app` -> `app_clone`) or back to the user (`app_clone` -> `app`).
   */
  public async upsertClone(request: CloneRequest): Promise<'created' | 'updated'> {
    const toClone = request.username === `${request.template}${CLONE_SUFFIX}`;
    const base = toClone ? request.template : request.username;
    const clone = toClone ? request.username : request.template;
    if (!toClone && request.template !== `${request.username}${CLONE_SUFFIX}`) {
      throw new DatabaseError(
        'statement',
        `"${request.username}" and "${request.template}" are not a user and its "${CLONE_SUFFIX}"; refusing to copy privileges between them`,
      );
    }
    const secrets = [request.password];
    const password = this.client.escapeLiteral(request.password);
    const pending = this.client.escapeIdentifier(request.username);
    await this.run('BEGIN', secrets);
    try {
      const existing = await this.run('SELECT 1 FROM pg_roles WHERE rolname = $1', secrets, undefined, [
        request.username,
      ]);
      const created = existing.length === 0;
      if (created && !toClone) {
        throw new DatabaseError(
          'statement',
          `user "${base}" does not exist on PostgreSQL at ${describeEndpoint(this.endpoint)}; alternating users create only "${clone}", never the user it copies: create "${base}" again (or rotate from a secret for an existing user)`,
        );
      }
      if (created) {
        await this.run(
          `CREATE ROLE ${pending} WITH LOGIN PASSWORD ${password}`,
          secrets,
          `creating user "${clone}"`,
        );
        await this.grantBase(clone, base, secrets);
        await this.actAsBase(clone, base, secrets);
      } else {
        // A role of that name that this rotation did not make, or that gained rights since, must not
        // get a new password from us: the secret's readers would get more than the user it copies.
        const state = await this.cloneState(clone, base, secrets);
        const problems = [...cloneProblems(state, base, toClone), ...settingProblems(state.settings, base)];
        if (problems.length > 0) {
          throw new DatabaseError(
            'statement',
            `user "${clone}" exists on PostgreSQL at ${describeEndpoint(this.endpoint)} but is not a copy of "${base}": it ${problems.join('; it ')}; refusing to set the password of "${request.username}" (drop "${clone}", so that the rotation creates it again as a member of "${base}" and nothing else, or give it exactly that)`,
          );
        }
        // A clone that is no member yet (made by hand, with nothing of its own) becomes an exact copy.
        if (toClone && !state.memberOf.includes(base)) await this.grantBase(clone, base, secrets);
        // A clone made before the rotation set this (or by hand) acts as the user from now on, whichever
        // way this rotation goes.
        if (!actsAsBase(state.settings, base)) await this.actAsBase(clone, base, secrets);
        await this.run(
          `ALTER USER ${pending} WITH LOGIN PASSWORD ${password}`,
          secrets,
          `setting the password of user "${request.username}"`,
        );
      }
      await this.run('COMMIT', secrets);
      return created ? 'created' : 'updated';
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  private async grantBase(clone: string, base: string, secrets: string[]): Promise<void> {
    await this.run(
      `GRANT ${this.client.escapeIdentifier(base)} TO ${this.client.escapeIdentifier(clone)}`,
      secrets,
      `granting "${base}" to "${clone}"`,
    );
  }

  /** Every session of the clone starts as the base: what it creates belongs to the base. */
  private async actAsBase(clone: string, base: string, secrets: string[]): Promise<void> {
    await this.run(
      `ALTER ROLE ${this.client.escapeIdentifier(clone)} SET ROLE ${this.client.escapeIdentifier(base)}`,
      secrets,
      `making "${clone}" act as "${base}"`,
    );
  }

  /**
   * What makes a role more than a member of its base: attributes, other roles, its own privileges;
   * and its login settings.
   */
  private async cloneState(
    clone: string,
    base: string,
    secrets: string[],
  ): Promise<CloneState & { readonly settings: readonly RoleSetting[] }> {
    const rows = (await this.run(
      `SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls,
         ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
               WHERE m.member = r.oid ORDER BY 1) AS member_of,
         EXISTS(SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                WHERE m.member = r.oid AND g.rolname = $2 AND m.admin_option) AS admin_of_base,
         EXISTS(SELECT 1 FROM pg_shdepend d WHERE d.refclassid = 'pg_authid'::regclass
                AND d.refobjid = r.oid AND d.deptype IN ('a', 'r')) AS own_privileges,
         ARRAY(SELECT json_build_object('database', db.datname, 'setting', c)
               FROM pg_db_role_setting s LEFT JOIN pg_database db ON db.oid = s.setdatabase
               CROSS JOIN LATERAL unnest(s.setconfig) AS c
               WHERE s.setrole = r.oid ORDER BY db.datname NULLS FIRST, c) AS settings
       FROM pg_roles r WHERE r.rolname = $1`,
      secrets,
      `reading what user "${clone}" may do`,
      [clone, base],
    )) as Record<string, unknown>[];
    const row = rows[0] ?? {};
    return {
      exists: rows.length > 0,
      attributes: ROLE_ATTRIBUTES.filter(([column]) => row[column] === true).map(([, name]) => name),
      memberOf: Array.isArray(row.member_of) ? (row.member_of as string[]) : [],
      adminOfBase: row.admin_of_base === true,
      ownPrivileges: row.own_privileges === true,
      settings: Array.isArray(row.settings) ? (row.settings as RoleSetting[]) : [],
    };
  }
  public async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }

  private async run(
    sql: string,
    secrets: readonly string[],
    what?: string,
    params: unknown[] = [],
  ): Promise<unknown[]> {
    try {
      return (await this.client.query(sql, params)).rows;
    } catch (error) {
      throw statementError(
        'PostgreSQL',
        this.endpoint,
        this.username,
        what ?? `running ${sql.split(' ')[0]}`,
        error,
        secrets,
        secrets.map((s) => this.client.escapeLiteral(s).replace(/^ ?E?'|'$/g, '')),
        classify(error),
      );
    }
  }
}

export const postgresDriver: DatabaseDriver = {
  async connect(endpoint, credentials) {
    // Loaded on first use, from the function's own node_modules (scripts/bundle.mjs builds each driver
    // apart from the handler), so that rotations of generated values never read the driver's code.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pg = require('pg') as PgModule;
    let client: Client;
    try {
      client = await open(pg, endpoint, credentials);
    } catch (error) {
      throw connectError(error, endpoint, credentials);
    }
    return new PostgresSession(client, endpoint, credentials.username);
  },
};
