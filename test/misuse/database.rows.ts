/**
 * Misuses of SecretsVault.addDatabaseSecret and the database module (lib/database-secret.ts), and of
 * the vault's name prefix: the rows test/misuse.test.ts runs with runRows.
 */
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  DatabaseEngine,
  DatabaseSecretOptions,
  DatabaseTls,
  DatabaseUserRotation,
  SecretsVault,
  SecretsVaultProps,
} from '../../lib';
import type { MemberRefusal, Refusal, Warned } from '../support/misuse';
import { newStack } from '../support/stack';

const VAULT = 'SecretsVault Test/Vault';

/** A vault (namePrefix "orders", no rotationVpc) and its database secret "Db" with `options`. */
function databaseSecret(options: Partial<DatabaseSecretOptions>, vaultProps: SecretsVaultProps = {}) {
  const { stack } = newStack();
  const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders', ...vaultProps });
  vault.addDatabaseSecret('Db', {
    engine: DatabaseEngine.POSTGRES,
    host: 'db.internal',
    username: 'app',
    ...options,
  } as DatabaseSecretOptions);
  return stack;
}

/** A database secret rotated with alternating users, its admin being another secret of the vault. */
function alternating(options: Partial<DatabaseSecretOptions>) {
  const { stack } = newStack();
  const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
  const engine = options.engine ?? DatabaseEngine.POSTGRES;
  const admin = vault.addDatabaseSecret('Admin', { engine, host: 'db.internal', username: 'root' });
  vault.addDatabaseSecret('Db', {
    engine,
    host: 'db.internal',
    username: 'app',
    userRotation: DatabaseUserRotation.alternatingUsers(admin),
    ...options,
  });
}

const vaultWith = (props: SecretsVaultProps) => () => new SecretsVault(newStack().stack, 'Vault', props);

const HOST_ALLOWED = 'allowed: the database host name, without spaces';
const PORT_ALLOWED = 'allowed: a whole number from 1 to 65535';
const POSTGRES_USERNAME =
  'allowed for postgres: lowercase ASCII letters, digits and `_`, not starting with a digit (PostgreSQL folds unquoted names to lower case, and most other characters need quotes)';
const MYSQL_USERNAME =
  'allowed for mysql: ASCII letters, digits and `_`, not starting with a digit (any other character needs quotes)';

export const refusals: Refusal[] = [
  // The name prefix: the key the vault creates is named alias/<namePrefix>.
  ...['/orders', 'orders//db'].map((namePrefix): Refusal => ({
    input: `SecretsVault namePrefix: ${JSON.stringify(namePrefix)} (the key's alias would hold "//")`,
    act: vaultWith({ namePrefix }),
    where: VAULT,
    prop: 'namePrefix',
    received: JSON.stringify(namePrefix),
    allowed: `allowed: a prefix that neither starts with \`/\` nor holds \`//\`, since the vault's key is named \`alias/<namePrefix>\` and would be "alias/${namePrefix}"`,
  })),

  // The connection (refused by the shared target check, under the vault's path).
  ...['', ' ', 'db.internal '].map((host): Refusal => ({
    input: `addDatabaseSecret host: ${JSON.stringify(host)}`,
    act: () => databaseSecret({ host }),
    where: VAULT,
    prop: 'host',
    received: JSON.stringify(host),
    allowed: HOST_ALLOWED,
  })),
  ...[0, 65536, 5432.5].map((port): Refusal => ({
    input: `addDatabaseSecret port: ${port}`,
    act: () => databaseSecret({ port }),
    where: VAULT,
    prop: 'port',
    received: String(port),
    allowed: PORT_ALLOWED,
  })),
  {
    input: 'addDatabaseSecret host: an IP address, MySQL with verified TLS',
    act: () => databaseSecret({ engine: DatabaseEngine.MYSQL, host: '10.0.0.5' }),
    where: VAULT,
    prop: 'host',
    received: '"10.0.0.5"',
    allowed:
      "verified TLS checks the certificate against a host name, and the MySQL driver cannot check an IP address: use the database's DNS name",
  },
  ...[DatabaseTls.UNVERIFIED_INSECURE, DatabaseTls.PLAINTEXT_INSECURE].map((tls): Refusal => ({
    input: `addDatabaseSecret: alternating users with tls ${tls.mode}`,
    act: () => alternating({ tls }),
    where: VAULT,
    prop: 'tls',
    received: JSON.stringify(tls.mode),
    allowed:
      'alternating users log in with the admin secret, which travels over verified TLS only: use DatabaseTls.VERIFIED',
  })),
  ...['', ' ', ' orders'].map((dbname): Refusal => ({
    input: `addDatabaseSecret dbname: ${JSON.stringify(dbname)}`,
    act: () => databaseSecret({ dbname }),
    where: VAULT,
    prop: 'dbname',
    received: JSON.stringify(dbname),
    allowed:
      "allowed: the database's name, without surrounding spaces; leave `dbname` out for the engine's default",
  })),

  // Where the database was (movedFrom): checked as host, port and dbname are, named as movedFrom.
  {
    input: 'addDatabaseSecret movedFrom: [] (declares no move)',
    act: () => databaseSecret({ movedFrom: [] }),
    where: VAULT,
    prop: 'movedFrom',
    received: 'an empty list',
    allowed:
      'allowed: 1 to 3 endpoints where the database was before it moved; leave `movedFrom` out when it has not moved, and drop old entries once a rotation has run',
  },
  {
    input: 'addDatabaseSecret movedFrom: 4 endpoints',
    act: () => databaseSecret({ movedFrom: ['a', 'b', 'c', 'd'].map((host) => ({ host })) }),
    where: VAULT,
    prop: 'movedFrom',
    received: 'a list of 4',
    allowed: 'allowed: 1 to 3 endpoints where the database was before it moved',
  },
  {
    input: 'addDatabaseSecret movedFrom: not a list (from JavaScript)',
    act: () => databaseSecret({ movedFrom: { host: 'old.internal' } as unknown as [] }),
    where: VAULT,
    prop: 'movedFrom',
    received: 'an object',
    allowed: 'allowed: a list of former endpoints `{ host, port?, dbname? }`',
  },
  {
    input: 'addDatabaseSecret movedFrom: [null] (from JavaScript)',
    act: () => databaseSecret({ movedFrom: [null as unknown as { host: string }] }),
    where: VAULT,
    prop: 'movedFrom[0]',
    received: 'null',
    allowed: 'allowed: { host, port?, dbname? }',
  },
  ...['', ' ', 'old.internal '].map((host): Refusal => ({
    input: `addDatabaseSecret movedFrom host: ${JSON.stringify(host)}`,
    act: () => databaseSecret({ movedFrom: [{ host: 'old.internal' }, { host }] }),
    where: VAULT,
    prop: 'movedFrom[1].host',
    received: JSON.stringify(host),
    allowed: HOST_ALLOWED,
  })),
  {
    input: 'addDatabaseSecret movedFrom host: a number (from JavaScript)',
    act: () => databaseSecret({ movedFrom: [{ host: 5432 as unknown as string }] }),
    where: VAULT,
    prop: 'movedFrom[0].host',
    received: 'a number',
    allowed: HOST_ALLOWED,
  },
  ...[0, 65536, 5432.5].map((port): Refusal => ({
    input: `addDatabaseSecret movedFrom port: ${port}`,
    act: () => databaseSecret({ movedFrom: [{ host: 'old.internal', port }] }),
    where: VAULT,
    prop: 'movedFrom[0].port',
    received: String(port),
    allowed: PORT_ALLOWED,
  })),
  ...['', ' orders'].map((dbname): Refusal => ({
    input: `addDatabaseSecret movedFrom dbname: ${JSON.stringify(dbname)}`,
    act: () => databaseSecret({ movedFrom: [{ host: 'old.internal', dbname }] }),
    where: VAULT,
    prop: 'movedFrom[0].dbname',
    received: JSON.stringify(dbname),
    allowed:
      "allowed: the database's name, without surrounding spaces; leave it out when the database kept its name",
  })),
  {
    input:
      'addDatabaseSecret movedFrom: the current endpoint (port and dbname by their defaults, host in another case)',
    act: () => databaseSecret({ dbname: 'orders', movedFrom: [{ host: 'DB.internal' }] }),
    where: VAULT,
    prop: 'movedFrom[0]',
    received: '{ host: "DB.internal", port: 5432, dbname: "orders" }',
    allowed:
      "that is the database's current endpoint: list only where it was before it moved (another host, port or dbname)",
  },
  {
    input: 'addDatabaseSecret movedFrom: the current endpoint, written out (MySQL, no database)',
    act: () =>
      databaseSecret({
        engine: DatabaseEngine.MYSQL,
        host: 'db.internal',
        port: 3307,
        movedFrom: [{ host: 'old.internal' }, { host: 'db.internal', port: 3307 }],
      }),
    where: VAULT,
    prop: 'movedFrom[1]',
    received: '{ host: "db.internal", port: 3307 }',
    allowed: "that is the database's current endpoint",
  },

  // The user.
  {
    input: 'addDatabaseSecret username: ""',
    act: () => databaseSecret({ username: '' }),
    where: VAULT,
    prop: 'username',
    received: '""',
    allowed: 'allowed: 1 to 63 characters for postgres',
  },
  {
    input: 'addDatabaseSecret username: 64 characters for PostgreSQL',
    act: () => databaseSecret({ username: 'u'.repeat(64) }),
    where: VAULT,
    prop: 'username',
    received: JSON.stringify('u'.repeat(64)),
    allowed: 'allowed: 1 to 63 characters for postgres',
  },
  {
    input:
      'addDatabaseSecret username: "usé" for PostgreSQL (outside ASCII: quotes, or case folding that depends on the server)',
    act: () => databaseSecret({ username: 'usé' }),
    where: VAULT,
    prop: 'username',
    received: '"usé"',
    allowed: POSTGRES_USERNAME,
  },
  {
    input: 'addDatabaseSecret username: 27 characters for MySQL with alternating users (no room for _clone)',
    act: () => alternating({ engine: DatabaseEngine.MYSQL, username: 'u'.repeat(27) }),
    where: VAULT,
    prop: 'username',
    received: JSON.stringify('u'.repeat(27)),
    allowed: 'allowed: 1 to 26 characters for mysql (alternating users add "_clone")',
  },
  ...["o'brien", 'app user', 'app"1', 'app-orders', 'app;drop', 'App', '1app'].map((username): Refusal => ({
    input: `addDatabaseSecret username (PostgreSQL): ${JSON.stringify(username)}, which needs quotes`,
    act: () => databaseSecret({ username }),
    where: VAULT,
    prop: 'username',
    received: JSON.stringify(username),
    allowed: POSTGRES_USERNAME,
  })),
  ...['app`1', 'app user', 'app@host', 'app-orders', '1app'].map((username): Refusal => ({
    input: `addDatabaseSecret username (MySQL): ${JSON.stringify(username)}, which needs quotes`,
    act: () => databaseSecret({ engine: DatabaseEngine.MYSQL, username }),
    where: VAULT,
    prop: 'username',
    received: JSON.stringify(username),
    allowed: MYSQL_USERNAME,
  })),

  // Who rotates.
  ...[undefined, null, 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:admin-AbCdEf'].map(
    (adminSecret): Refusal => ({
      input: `DatabaseUserRotation.alternatingUsers(${JSON.stringify(adminSecret) ?? 'undefined'}) (from JavaScript; no secret was a silent downgrade to single user)`,
      act: () => DatabaseUserRotation.alternatingUsers(adminSecret as unknown as secretsmanager.ISecret),
      where: 'DatabaseUserRotation.alternatingUsers',
      prop: 'adminSecret',
      received: adminSecret === undefined ? 'undefined' : JSON.stringify(adminSecret),
      allowed: 'adminSecret is required',
    }),
  ),
  {
    input: 'addDatabaseSecret userRotation: a plain object (from JavaScript)',
    act: () =>
      databaseSecret({ userRotation: { adminSecret: undefined } as unknown as DatabaseUserRotation }),
    where: VAULT,
    prop: 'userRotation',
    received: 'an object',
    allowed:
      'allowed: DatabaseUserRotation.singleUser() or DatabaseUserRotation.alternatingUsers(adminSecret)',
  },
];

export const memberRefusals: MemberRefusal[] = [];

export const warnings: Warned[] = [
  {
    input: 'addDatabaseSecret without rotationVpc: the function reaches only public databases',
    act: () => databaseSecret({}),
    path: '/Test/Vault',
    says: [
      VAULT,
      'database secret "Db"',
      "the vault's rotation function is not in a VPC, so it can reach only a publicly accessible database",
      'Set `rotationVpc`',
    ],
  },
  {
    input: 'addDatabaseSecret tls: UNVERIFIED_INSECURE',
    act: () => databaseSecret({ tls: DatabaseTls.UNVERIFIED_INSECURE }),
    path: '/Test/Vault/Db',
    says: [
      'VaultSecret Test/Vault/Db',
      '`tls` is DatabaseTls.UNVERIFIED_INSECURE',
      'a man in the middle can present any certificate and read the current and the new password',
      'Use DatabaseTls.VERIFIED',
    ],
  },
  {
    input: 'addDatabaseSecret tls: PLAINTEXT_INSECURE',
    act: () => databaseSecret({ tls: DatabaseTls.PLAINTEXT_INSECURE }),
    path: '/Test/Vault/Db',
    says: [
      'VaultSecret Test/Vault/Db',
      '`tls` is DatabaseTls.PLAINTEXT_INSECURE',
      'sends the current and the new password to the database unencrypted',
      'Use DatabaseTls.VERIFIED',
    ],
  },
  {
    input: 'addDatabaseSecret passwordOptions.excludeCharacters without ":" for PostgreSQL',
    act: () => databaseSecret({ passwordOptions: { excludeCharacters: '/@"\'\\' } }),
    path: '/Test/Vault/Db',
    says: [
      'VaultSecret Test/Vault/Db',
      '`passwordOptions.excludeCharacters` lets ":" into postgres passwords',
      'breaks postgres:// connection URIs',
      'Add : to the list, as the default for postgres does',
    ],
  },
  {
    input: 'addDatabaseSecret passwordOptions.excludeCharacters without ":", "/" and "@" for PostgreSQL',
    act: () => databaseSecret({ passwordOptions: { excludeCharacters: '"' } }),
    path: '/Test/Vault/Db',
    says: [
      '`passwordOptions.excludeCharacters` lets ":" "/" "@" into postgres passwords',
      'Add : / @ to the list',
    ],
  },
  {
    input: 'addDatabaseSecret passwordOptions.excludeCharacters without "@" for MySQL',
    act: () => databaseSecret({ engine: DatabaseEngine.MYSQL, passwordOptions: { excludeCharacters: '/' } }),
    path: '/Test/Vault/Db',
    says: ['lets "@" into mysql passwords', 'breaks mysql:// connection URIs'],
  },
];
