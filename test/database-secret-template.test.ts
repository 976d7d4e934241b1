/**
 * Changing a connection field must not change the password (issue #14). CloudFormation generates a
 * new `GenerateSecretString` value whenever any of its properties changes (aws-cdk#19985), so the
 * proof is the same app synthesized twice: with the database moved (host, port, database, TLS mode,
 * admin secret), every secret's `GenerateSecretString` is identical, template and every generation
 * option, while the rotation function's pinned targets follow the move. Declaring the move
 * (`movedFrom`, so that the rotation accepts the value that still names the old endpoint) changes the
 * function's ROTATION_TARGETS and nothing else.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  DatabaseEndpoint,
  DatabaseEngine,
  DatabaseSecretOptions,
  DatabaseTls,
  DatabaseUserRotation,
  SecretsVault,
} from '../lib';
import { newStack, onlyResource, resourcesOf } from './support/stack';

interface Connection {
  readonly host: string;
  readonly port?: number;
  readonly dbname?: string;
  readonly tls?: DatabaseTls;
  /** The id of the vault secret that administers the app user (alternating users). */
  readonly admin: 'Admin' | 'OtherAdmin';
  readonly appUser: string;
  readonly engine: DatabaseEngine;
  /** Where the database was, declared on every secret. */
  readonly movedFrom?: DatabaseEndpoint[];
}

const BEFORE: Connection = {
  engine: DatabaseEngine.POSTGRES,
  host: 'old.db.internal',
  dbname: 'orders',
  admin: 'Admin',
  appUser: 'orders_app',
};

/**
 * The app: a single-user secret (the admin), a second admin, and an alternating-users secret for
 * the application, all on one connection.
 */
function synth(connection: Connection): Stack {
  const { stack } = newStack();
  const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
  const { engine, host, port, dbname, tls, movedFrom } = connection;
  const common: Omit<DatabaseSecretOptions, 'username'> = { engine, host, port, dbname, tls, movedFrom };
  const admins = {
    Admin: vault.addDatabaseSecret('Admin', { ...common, username: 'admin_user' }),
    OtherAdmin: vault.addDatabaseSecret('OtherAdmin', { ...common, username: 'other_admin' }),
  };
  vault.addDatabaseSecret('App', {
    ...common,
    // Alternating users need verified TLS: the app user keeps it whatever the admins use.
    tls: DatabaseTls.VERIFIED,
    username: connection.appUser,
    userRotation: DatabaseUserRotation.alternatingUsers(admins[connection.admin]),
  });
  return stack;
}

/** Each secret's GenerateSecretString, whole, by secret name. */
function generated(stack: Stack): Record<string, unknown> {
  return Object.fromEntries(
    Object.values(resourcesOf(stack, 'AWS::SecretsManager::Secret')).map((secret) => [
      secret.Properties.Name,
      secret.Properties.GenerateSecretString,
    ]),
  );
}

/** The function's pinned targets; an admin secret's ARN (a `Ref` in a join) reads `<Ref logical id>`. */
function pinnedTargets(stack: Stack): Record<string, unknown> {
  const raw = onlyResource(stack, 'AWS::Lambda::Function').Properties.Environment.Variables.ROTATION_TARGETS;
  const text =
    typeof raw === 'string'
      ? raw
      : (raw['Fn::Join'][1] as (string | { Ref: string })[])
          .map((part) => (typeof part === 'string' ? part : `<Ref ${part.Ref}>`))
          .join('');
  return JSON.parse(text);
}

/** The whole template with the function's ROTATION_TARGETS taken out. */
function withoutTargets(stack: Stack): unknown {
  // A copy: the template object is shared with later reads of the same stack.
  const json = structuredClone(Template.fromStack(stack).toJSON());
  for (const resource of Object.values(json.Resources as Record<string, any>)) {
    if (resource.Type === 'AWS::Lambda::Function')
      delete resource.Properties.Environment.Variables.ROTATION_TARGETS;
  }
  return json;
}

/** What the function must be pinned to for `connection`: the admins' target, then the app user's. */
function expectedTargets(connection: Connection): Record<string, unknown> {
  const { engine, host, dbname } = connection;
  const endpoint = { engine: engine.name, host, port: connection.port ?? engine.defaultPort, dbname };
  return {
    t0: { ...endpoint, tls: (connection.tls ?? DatabaseTls.VERIFIED).mode },
    t1: {
      ...endpoint,
      tls: 'verified',
      admin: expect.stringMatching(new RegExp(`^<Ref Vault${connection.admin}[0-9A-F]{8}>$`)),
    },
  };
}

describe('moving the database leaves every generated password as it was (aws-cdk#19985)', () => {
  const before = synth(BEFORE);

  test('the generated part of each secret is its username and password, nothing of the connection', () => {
    expect(generated(before)).toEqual({
      'orders/Admin': expect.objectContaining({ SecretStringTemplate: '{"username":"admin_user"}' }),
      'orders/OtherAdmin': expect.objectContaining({ SecretStringTemplate: '{"username":"other_admin"}' }),
      'orders/App': expect.objectContaining({ SecretStringTemplate: '{"username":"orders_app"}' }),
    });
  });

  test.each<[string, Partial<Connection>]>([
    ['the host', { host: 'new.db.internal' }],
    ['the port', { port: 6432 }],
    ['the database', { dbname: 'orders_v2' }],
    ['the TLS mode of the single users', { tls: DatabaseTls.PLAINTEXT_INSECURE }],
    ['the admin secret of the alternating users', { admin: 'OtherAdmin' }],
    [
      'host, port, database and TLS mode at once',
      { host: '10.1.2.3', port: 6432, dbname: 'orders_v2', tls: DatabaseTls.UNVERIFIED_INSECURE },
    ],
  ])('changing %s: GenerateSecretString identical, the pinned targets follow', (_what, change) => {
    const after = synth({ ...BEFORE, ...change });
    expect(generated(after)).toEqual(generated(before));
    expect(pinnedTargets(before)).toEqual(expectedTargets(BEFORE));
    expect(pinnedTargets(after)).toEqual(expectedTargets({ ...BEFORE, ...change }));
    expect(pinnedTargets(after)).not.toEqual(pinnedTargets(before));
  });

  test('declaring the move (movedFrom) changes ROTATION_TARGETS only: the template is otherwise the same, GenerateSecretString included', () => {
    const moved: Partial<Connection> = { host: 'new.db.internal', port: 6432 };
    const undeclared = synth({ ...BEFORE, ...moved });
    const declared = synth({ ...BEFORE, ...moved, movedFrom: [{ host: 'old.db.internal' }] });
    expect(generated(declared)).toEqual(generated(before));
    expect(withoutTargets(declared)).toEqual(withoutTargets(undeclared));
    const formerly = [{ host: 'old.db.internal', port: 5432, dbname: 'orders' }];
    const { t0, t1 } = expectedTargets({ ...BEFORE, ...moved }) as Record<'t0' | 't1', object>;
    expect(pinnedTargets(declared)).toEqual({ t0: { ...t0, formerly }, t1: { ...t1, formerly } });
    // Dropping it after a rotation goes back to the undeclared template, password untouched.
    expect(pinnedTargets(undeclared)).toEqual(expectedTargets({ ...BEFORE, ...moved }));
  });

  test('changing the username changes that secret alone: another user gets a new password', () => {
    const after = synth({ ...BEFORE, appUser: 'orders_app2' });
    const [was, is] = [generated(before), generated(after)];
    expect(is['orders/App']).not.toEqual(was['orders/App']);
    expect(is['orders/App']).toEqual(
      expect.objectContaining({ SecretStringTemplate: '{"username":"orders_app2"}' }),
    );
    expect(is['orders/Admin']).toEqual(was['orders/Admin']);
    expect(is['orders/OtherAdmin']).toEqual(was['orders/OtherAdmin']);
    expect(pinnedTargets(after)).toEqual(pinnedTargets(before));
  });

  test('changing the engine changes the generation options (PostgreSQL keeps ":" out): a new database, new passwords', () => {
    const after = synth({ ...BEFORE, engine: DatabaseEngine.MYSQL, host: 'old.db.internal' });
    const [was, is] = [generated(before), generated(after)];
    expect(was['orders/Admin']).toEqual(expect.objectContaining({ ExcludeCharacters: '/@"\'\\:' }));
    expect(is['orders/Admin']).toEqual(expect.objectContaining({ ExcludeCharacters: '/@"\'\\' }));
  });
});
