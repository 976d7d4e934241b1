import type { Client, ClientConfig } from 'pg';
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
  connectWithTls,
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

function tlsConfig(tls: 'require' | 'disable'): ClientConfig['ssl'] {
  // Verified against the runtime's trust store (NODE_EXTRA_CA_CERTS adds the RDS CAs on Lambda).
  return tls === 'require' ? { rejectUnauthorized: true } : false;
}

async function open(
  pg: PgModule,
  endpoint: Endpoint,
  credentials: Credentials,
  tls: 'require' | 'disable',
): Promise<Client> {
  const client = new pg.Client({
    host: endpoint.host,
    port: endpoint.port,
    database: endpoint.dbname,
    user: credentials.username,
    password: credentials.password,
    ssl: tlsConfig(tls),
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

  public async upsertClone(request: CloneRequest): Promise<'created' | 'updated'> {
    const clone = this.client.escapeIdentifier(request.username);
    const template = this.client.escapeIdentifier(request.template);
    const secrets = [request.password];
    await this.run('BEGIN', secrets);
    try {
      const existing = await this.run('SELECT 1 FROM pg_roles WHERE rolname = $1', secrets, undefined, [
        request.username,
      ]);
      const created = existing.length === 0;
      const password = this.client.escapeLiteral(request.password);
      if (created) {
        // As AWS's template: the clone is a member of the current role, so it holds the same
        // privileges through that membership (and keeps them in step when the role's grants change).
        await this.run(
          `CREATE ROLE ${clone} WITH LOGIN PASSWORD ${password}`,
          secrets,
          `creating user "${request.username}"`,
        );
        await this.run(
          `GRANT ${template} TO ${clone}`,
          secrets,
          `granting "${request.template}" to "${request.username}"`,
        );
      } else {
        await this.run(
          `ALTER USER ${clone} WITH LOGIN PASSWORD ${password}`,
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
    const client = await connectWithTls(endpoint, {
      open: (tls) => open(pg, endpoint, credentials, tls),
      offersNoTls: (error) => NO_TLS.test(driverMessage(error, [credentials.password])),
      failure: (error) => connectError(error, endpoint, credentials),
    });
    return new PostgresSession(client, endpoint, credentials.username);
  },
};
