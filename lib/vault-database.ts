import { AspectPriority, Aspects, Lazy, Names, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { CLONE_SUFFIX } from './contract/rotation-contract';
import { DatabaseEngine, DatabaseTls } from './database-engine';
import { RdsDatabase, rdsDatabaseOf, runsInVpc } from './private/rds';
import { invalid, ownerName, summary } from './private/validation';
import { RotationFunction } from './rotation-function';
import { SecretRotationSchedule } from './rotation-schedule';
import { DatabaseTarget, RotationStrategy } from './rotation-strategy';
import {
  checkPasswordOptions,
  PasswordOptions,
  resolvePasswordOptions,
  SecretContent,
} from './secret-content';
import type { SecretsVault } from './secrets-vault';
import { VaultSecret } from './vault-secret';

/**
 * Options of a database's master credential kept in a vault (`new VaultDatabaseMaster(vault, id, ...)`,
 * or `vault.addDatabaseMaster(id, ...)`).
 */
export interface DatabaseMasterOptions {
  /** The engine of the database that will take this credential. */
  readonly engine: DatabaseEngine;

  /**
   * The master user's name. RDS allows a letter followed by letters, digits and `_`: up to 16
   * characters for MySQL and MariaDB, 63 for PostgreSQL.
   *
   * @default - `postgres` for PostgreSQL, `admin` for MySQL and MariaDB
   */
  readonly username?: string;

  /**
   * A description of the secret (visible to anyone who can describe it).
   *
   * @default - none
   */
  readonly description?: string;

  /**
   * How the master password is generated, at creation and at every rotation. RDS refuses a master
   * password with `/`, `@`, `"` or a space, and one longer than 41 characters for MySQL and MariaDB
   * (128 for PostgreSQL).
   *
   * @default - 32 characters without `/ @ " ' \` (and `:` for PostgreSQL)
   */
  readonly passwordOptions?: PasswordOptions;

  /**
   * When the master password rotates (single user: the master changes its own password).
   *
   * @default - the vault's schedule
   */
  readonly rotation?: SecretRotationSchedule;

  /**
   * Add a `secretsmanager` interface VPC endpoint to the database's VPC, open to the rotation function
   * only, so that the function reaches the Secrets Manager API from isolated subnets. Leave it off
   * when the VPC already has one (a second one with private DNS fails at deploy) or when the
   * function's subnets route to the internet through a NAT gateway.
   *
   * @default false
   */
  readonly secretsManagerEndpoint?: boolean;
}

/** Options of `DatabaseMaster.addUser`: an application user whose password rotates with alternating users. */
export interface DatabaseUserOptions {
  /**
   * The application user's name. Alternating users also use `<username>_clone`, which must fit the
   * engine's limit (63 bytes for PostgreSQL, 32 characters for MySQL).
   */
  readonly username: string;

  /**
   * The database the rotation function logs in to for this user (the user needs CONNECT on it).
   *
   * @default - the engine's default (`postgres` for PostgreSQL, none for MySQL)
   */
  readonly dbname?: string;

  /**
   * A description of the secret.
   *
   * @default - none
   */
  readonly description?: string;

  /**
   * How passwords are generated.
   *
   * @default - 32 characters without `/ @ " ' \` (and `:` for PostgreSQL)
   */
  readonly passwordOptions?: PasswordOptions;

  /**
   * When the user's password rotates.
   *
   * @default - the vault's schedule
   */
  readonly rotation?: SecretRotationSchedule;
}

/**
 * The id of the interface endpoint this module adds to a VPC (one per VPC, shared by its databases).
 *
 * @internal
 */
export const SECRETS_MANAGER_ENDPOINT_ID = 'SecretsManagerEndpoint';

/**
 * The id of the `rds` API interface endpoint this module adds to a VPC when asked (one per VPC).
 *
 * @internal
 */
export const RDS_API_ENDPOINT_ID = 'RdsApiEndpoint';

/** Options of an RDS-managed master (`vault.useRdsManagedMaster(database, ...)`). */
export interface RdsManagedMasterOptions {
  /**
   * Add a `secretsmanager` interface VPC endpoint to the database's VPC, open to the rotation function
   * only (see DatabaseMasterOptions.secretsManagerEndpoint).
   *
   * @default false
   */
  readonly secretsManagerEndpoint?: boolean;

  /**
   * Add an `rds` interface VPC endpoint to the database's VPC, open to the rotation function only: the
   * function asks the RDS API where the database listens (DescribeDBInstances / DescribeDBClusters),
   * which it cannot reach from isolated subnets without one. Leave it off when the VPC already has one
   * or when the function's subnets route through a NAT gateway.
   *
   * @default false
   */
  readonly rdsApiEndpoint?: boolean;
}

/** RDS's own limits on a master password, which are stricter than GetRandomPassword's. */
const RDS_MASTER_PASSWORD: Readonly<Record<string, { max: number; forbidden: string }>> = {
  postgres: { max: 128, forbidden: '/@" ' },
  mysql: { max: 41, forbidden: '/@" ' },
};
const RDS_MASTER_USERNAME_MAX: Readonly<Record<string, number>> = { postgres: 63, mysql: 16 };
/** Names RDS keeps for itself, or that an engine reserves. */
const RESERVED_MASTER_NAMES = ['rdsadmin', 'rdsrepladmin', 'rds_superuser', 'mysql.sys', 'public'];
const USERNAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const DBNAME = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;

/**
 * The master credential of an RDS instance or Aurora cluster, as the vault governs it: the admin of
 * the database's application users (`addUser`, one call per user, rotated with alternating users).
 */
export abstract class DatabaseMaster {
  /** The engine the database runs, as the rotation function knows it. */
  public readonly engine: DatabaseEngine;

  /** The master credential's secret. */
  public abstract readonly secret: secretsmanager.ISecret;

  private readonly users: VaultSecret[] = [];
  private readonly attachedUsers = new Set<VaultSecret>();
  private readonly openedTo = new Set<RotationFunction>();

  protected constructor(
    protected readonly vault: SecretsVault,
    engine: DatabaseEngine,
    private readonly secretsManagerEndpoint: boolean,
  ) {
    this.engine = engine;
  }

  /** The database, once known (the vault's own master learns it when the database attaches it). */
  protected abstract get database(): RdsDatabase | undefined;

  /**
   * Who the messages name. A master is not a construct, so each kind names itself by hand, after the
   * construct it stands for.
   */
  protected abstract get owner(): string;

  /**
   * Adds an application user: a vault secret (`<namePrefix>/<id>`) holding `username` and a generated
   * password, rotated with alternating users (`<username>` and `<username>_clone`) with this master as
   * admin, pinned to the database's endpoint with verified TLS. The database fills in the connection
   * fields (`engine`, `host`, `port`, the identifier) by attachment; the generated part of the secret
   * holds only the username, so moving the database never changes the password.
   *
   * The user must exist in the database with the secret's first password before its first rotation
   * (alternating users copy the current user; they never create it): create it in your schema migration
   * from the secret's value.
   */
  public addUser(id: string, options: DatabaseUserOptions): VaultSecret {
    const owner = `${this.owner}.addUser(${JSON.stringify(id)})`;
    checkUserName(owner, this.engine, options.username, this.masterUsername);
    if (options.dbname !== undefined && !Token.isUnresolved(options.dbname) && !DBNAME.test(options.dbname)) {
      invalid(
        owner,
        'dbname',
        options.dbname,
        'allowed: 1 to 63 letters, digits, `_`, `$` or `-`, starting with a letter or `_`',
      );
    }
    // Checked here first, so that a message names this call's `passwordOptions`, not the strategy's.
    checkPasswordOptions(owner, options.passwordOptions, {
      prefix: 'passwordOptions.',
      defaultExcludeCharacters: this.engine.defaultExcludeCharacters,
    });
    const strategy = this.pinned(
      RotationStrategy.alternatingUsers(this.target(options.dbname), this.secret, options.passwordOptions),
    );
    const secret = this.vault.addSecret(id, {
      description: options.description,
      rotation: options.rotation,
      // Only the username is generated around: a connection field here would regenerate the password
      // whenever it changed (aws-cdk#19985). The attachment writes them, outside the generated template.
      content: SecretContent.generatedJson(
        { username: options.username },
        'password',
        strategy.passwordOptions,
      ),
      // A secret that never rotates takes no strategy (VaultSecret refuses one it would ignore).
      rotationStrategy: options.rotation?.enabled === false ? undefined : strategy,
    });
    this.users.push(secret);
    secret.node.addValidation({ validate: () => refuseProxies(secret, this.attachmentOf(secret)) });
    const database = this.database;
    if (database) this.connectUsers(database);
    return secret;
  }

  /** The username of the master, when known at synth (to keep application users apart from it). */
  protected abstract get masterUsername(): string | undefined;

  /** The pinned target of a secret of this database (`dbname` for application users). */
  protected abstract target(dbname?: string): DatabaseTarget;

  /**
   * `strategy` as the rotation function's environment pins it (by default, by host and port).
   *
   * @internal
   */
  protected pinned(strategy: RotationStrategy): RotationStrategy {
    return strategy;
  }

  /**
   * What else the vault's rotation function needs for this database (nothing, by default).
   *
   * @internal
   */
  protected grantRotation(_fn: RotationFunction, _database: RdsDatabase): void {}

  /**
   * Everything the database needs once known: the users' attachments, the port open to the vault's
   * rotation function, the optional endpoint. Safe to call again (a user added later).
   */
  protected connectUsers(database: RdsDatabase): void {
    for (const user of this.users) {
      if (this.attachedUsers.has(user)) continue;
      this.attachedUsers.add(user);
      new secretsmanager.CfnSecretTargetAttachment(user, 'DatabaseAttachment', {
        secretId: user.secretArn,
        targetId: database.identifier,
        targetType: database.attachmentType,
      });
    }
    this.openToRotation(database);
  }

  /** The attachment of one of this master's users, once made. */
  private attachmentOf(user: VaultSecret): IConstruct | undefined {
    return user.node.tryFindChild('DatabaseAttachment');
  }

  /**
   * The vault's rotation function must run in the database's VPC, and the database must accept it
   * on its port. The function exists once a rotating secret made it; a master that never rotates and
   * has no users needs no network.
   */
  private openToRotation(database: RdsDatabase): void {
    const fn = this.vault.existingRotationFunction;
    if (fn === undefined || this.openedTo.has(fn)) return;
    if (!runsInVpc(fn.function, database.vpc)) {
      invalid(
        this.owner,
        'rotationVpc',
        `the rotation function of vault ${this.vault.node.path}`,
        `its rotation function must run in the VPC of ${database.kind} ${database.construct.node.path} to reach it: create the SecretsVault with \`rotationVpc\` set to that VPC (and \`rotationVpcSubnets\` if the default private subnets are not where it should run)`,
      );
    }
    this.openedTo.add(fn);
    this.grantRotation(fn, database);
    // The literal port when the database was given one: a rule on a token port reads as "any port"
    // to reviewers and to cdk-nag.
    const port = Number(database.resource.port);
    if (
      database.resource.port !== undefined &&
      !Token.isUnresolved(database.resource.port) &&
      Number.isInteger(port)
    ) {
      database.connections.allowFrom(fn, ec2.Port.tcp(port), 'Rotation function of the secrets vault');
    } else {
      database.connections.allowDefaultPortFrom(fn, 'Rotation function of the secrets vault');
    }
    if (this.secretsManagerEndpoint) secretsManagerEndpointFor(database.vpc, fn);
  }
}

/**
 * A database's master credential generated and kept in the vault: pass `credentials` to an
 * `rds.DatabaseInstance` or `rds.DatabaseCluster`. The database resolves the password from the secret
 * at deploy and attaches itself to it (`AWS::SecretsManager::SecretTargetAttachment` fills in engine,
 * host, port and identifier), so there is one secret, no cycle, and no secret of aws-cdk-lib's. The
 * vault's rotation function rotates it (single user), pinned to the endpoint of the database that took
 * it, and that database's security group lets the function in on its port.
 *
 * Do not call the database's `addRotationSingleUser` / `addRotationMultiUser`: the vault rotates.
 */
export class VaultDatabaseMaster extends DatabaseMaster {
  /** The master credential's secret, a vault secret named `<namePrefix>/<id>`. */
  public readonly secret: VaultSecret;

  /** What to pass as the database's `credentials`: the vault secret, with this master listening. */
  public readonly credentials: rds.Credentials;

  /** The master user's name. */
  public readonly username: string;

  private attached?: RdsDatabase;
  private readonly ownerName: string;

  constructor(vault: SecretsVault, id: string, options: DatabaseMasterOptions) {
    super(vault, options.engine, options.secretsManagerEndpoint ?? false);
    // Not a construct: named by the path of its secret (`<vault>/<id>`) under its own class name, where
    // ownerName(this.secret) would say VaultSecret.
    this.ownerName = `VaultDatabaseMaster ${vault.node.path}/${id}`;
    const engine = options.engine;
    this.username = options.username ?? (engine === DatabaseEngine.POSTGRES ? 'postgres' : 'admin');
    checkMasterUsername(this.ownerName, engine, this.username);
    checkMasterPassword(this.ownerName, engine, options.passwordOptions ?? {});
    const strategy = RotationStrategy.singleUser(this.target(), options.passwordOptions);
    this.secret = vault.addSecret(id, {
      description: options.description,
      rotation: options.rotation,
      content: SecretContent.generatedJson({ username: this.username }, 'password', strategy.passwordOptions),
      // A secret that never rotates takes no strategy (VaultSecret refuses one it would ignore).
      rotationStrategy: options.rotation?.enabled === false ? undefined : strategy,
    });
    this.credentials = rds.Credentials.fromSecret(
      listenForAttach(this.secret, (target) => this.onAttach(target)),
      this.username,
    );
    this.secret.node.addValidation({
      validate: () =>
        this.attached
          ? foreignRotationAndPolicies(this.secret)
          : [
              `${this.ownerName}: no database took this master credential. Pass \`credentials: master.credentials\` to an rds.DatabaseInstance or rds.DatabaseCluster: its rotation is pinned to that database's endpoint.`,
            ],
    });
  }

  protected get owner(): string {
    return this.ownerName;
  }

  protected get database(): RdsDatabase | undefined {
    return this.attached;
  }

  protected get masterUsername(): string | undefined {
    return this.username;
  }

  /** The database that took the credential, once it has. */
  public get databaseConstruct(): rds.DatabaseInstance | rds.DatabaseCluster | undefined {
    return this.attached?.construct;
  }

  /**
   * Pinned to the endpoint of the database that will attach the secret: a lazy value, because the
   * database is created after (and from) the secret.
   */
  protected target(dbname?: string): DatabaseTarget {
    return {
      engine: this.engine,
      host: Lazy.string({ produce: () => this.attached?.host ?? UNATTACHED_HOST }),
      port: Lazy.number({ produce: () => this.attached?.port ?? this.engine.defaultPort }),
      dbname,
      tls: DatabaseTls.VERIFIED,
    };
  }

  private onAttach(target: secretsmanager.ISecretAttachmentTarget): void {
    const construct = target as unknown as IConstruct;
    if (this.attached) {
      invalid(
        this.ownerName,
        'credentials',
        construct.node?.path ?? 'a second target',
        `it is already the master credential of ${this.attached.construct.node.path}; a secret holds the connection of one database: give each database a master of its own`,
      );
    }
    const database = rdsDatabaseOf(this.ownerName, 'credentials', construct);
    if (database.engine !== this.engine) {
      invalid(
        this.ownerName,
        'engine',
        this.engine.name,
        `${database.kind} ${database.construct.node.path} runs ${database.engine.name}: create the master with engine DatabaseEngine.${database.engine === DatabaseEngine.POSTGRES ? 'POSTGRES' : 'MYSQL'}`,
      );
    }
    this.attached = database;
    // A cluster sets its connections after it attaches its secret: finish once the app is built.
    let pending = true;
    Aspects.of(this.secret).add(
      {
        visit: () => {
          if (!pending) return;
          pending = false;
          this.connectUsers(database);
        },
      },
      { priority: AspectPriority.MUTATING },
    );
  }
}

/** What the pinned host renders as if no database ever attached the master (synth then fails). */
const UNATTACHED_HOST = 'unattached.invalid';

/**
 * The master credential that RDS manages itself (`manageMasterUserPassword: true`), governed by the
 * vault: encrypted with the vault's key (pass `credentials: rds.Credentials.fromUsername(user,
 * { encryptionKey: vault.encryptionKey })` to the database) and used as the admin secret of the
 * vault's application users. RDS rotates the master itself; the vault's rotation function only reads
 * it (AWSCURRENT), to set the password of an application user's other half.
 *
 * The users' targets are pinned by the database's identifier: the function asks the RDS API where the
 * database listens (DescribeDBInstances / DescribeDBClusters, allowed on this database only) and checks
 * that the managed secret's `aws:rds:*` tag, which only AWS can write, names this same database before
 * it logs in with it. The managed secret holds only username and password; nothing it says, and
 * nothing a user's secret says, chooses where a credential goes.
 */
export class RdsManagedMaster extends DatabaseMaster {
  /** The secret RDS created for the master user. */
  public readonly secret: secretsmanager.ISecret;

  private readonly rds: RdsDatabase;
  private readonly ownerName: string;

  private readonly rdsApiEndpoint: boolean;

  constructor(
    vault: SecretsVault,
    database: rds.DatabaseInstance | rds.DatabaseCluster,
    options: RdsManagedMasterOptions = {},
  ) {
    // Not a construct: named by the path of the database whose RDS-managed secret it governs.
    const owner = `RdsManagedMaster ${database.node.path}`;
    const found = rdsDatabaseOf(owner, 'database', database);
    super(vault, found.engine, options.secretsManagerEndpoint ?? false);
    this.ownerName = owner;
    this.rds = found;
    this.rdsApiEndpoint = options.rdsApiEndpoint ?? false;
    const resource = found.resource;
    if (resource.manageMasterUserPassword !== true || database.secret === undefined) {
      invalid(
        owner,
        'database',
        database.node.path,
        'RDS does not manage its master password: create it with `manageMasterUserPassword: true` (or use a VaultDatabaseMaster, whose secret the vault generates)',
      );
    }
    const stack = Stack.of(database);
    const kmsKeyId = (stack.resolve(resource.masterUserSecret) as { KmsKeyId?: unknown; kmsKeyId?: unknown })
      ?.kmsKeyId;
    if (JSON.stringify(kmsKeyId) !== JSON.stringify(stack.resolve(vault.encryptionKey.keyArn))) {
      invalid(
        owner,
        'database',
        database.node.path,
        `its RDS-managed secret is not encrypted with the key of vault ${vault.node.path}: pass \`credentials: rds.Credentials.fromUsername(username, { encryptionKey: vault.encryptionKey })\` to the database`,
      );
    }
    this.secret = database.secret;
  }

  protected get owner(): string {
    return this.ownerName;
  }

  protected get database(): RdsDatabase {
    return this.rds;
  }

  protected get masterUsername(): string | undefined {
    const username = this.rds.resource.masterUsername;
    return username !== undefined && !Token.isUnresolved(username) ? username : undefined;
  }

  protected target(dbname?: string): DatabaseTarget {
    return {
      engine: this.engine,
      host: this.rds.host,
      port: this.rds.port,
      dbname,
      tls: DatabaseTls.VERIFIED,
    };
  }

  /**
   * Pinned by the database's identifier rather than its endpoint: see the class.
   *
   * @internal
   */
  protected pinned(strategy: RotationStrategy): RotationStrategy {
    return strategy.pinnedByRdsIdentifier(this.rds);
  }

  /**
   * DescribeDBInstances or DescribeDBClusters on this database only. (The tag check reads the managed
   * secret with DescribeSecret, which the function has on its admin secrets, and only on them.)
   *
   * @internal
   */
  protected grantRotation(fn: RotationFunction, database: RdsDatabase): void {
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: `DescribeRdsDatabase${Names.uniqueId(database.construct).replace(/[^A-Za-z0-9]/g, '')}`,
        actions: [database.kind === 'instance' ? 'rds:DescribeDBInstances' : 'rds:DescribeDBClusters'],
        resources: [database.arn],
      }),
    );
    if (this.rdsApiEndpoint) {
      interfaceEndpointFor(
        database.vpc,
        fn,
        RDS_API_ENDPOINT_ID,
        ec2.InterfaceVpcEndpointAwsService.RDS,
        'rdsApiEndpoint',
      );
    }
  }
}

/**
 * `secret` as the database sees it, with its `attach` reported to `onAttach` first. A Proxy rather
 * than a wrapper class: every other member (grants, values, policies, and whatever aws-cdk-lib adds to
 * ISecret later) stays the vault secret's own, so the database gets exactly the vault secret.
 */
function listenForAttach(
  secret: VaultSecret,
  onAttach: (target: secretsmanager.ISecretAttachmentTarget) => void,
): secretsmanager.ISecret {
  return new Proxy(secret, {
    get(target, property) {
      if (property === 'attach') {
        return (attachTo: secretsmanager.ISecretAttachmentTarget) => {
          onAttach(attachTo);
          return target.attach(attachTo);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * What the database's own members would add to the master secret behind the vault's back: a second
 * rotation schedule (`db.addRotationSingleUser()` runs aws-cdk-lib's hosted rotation, whose role the
 * vault's guards do not know) or a second resource policy (`db.secret.addToResourcePolicy` on the
 * attachment, which would replace the vault's policy at deploy). Both act on the secret or on its
 * attachments, whose `Ref` is the same secret.
 */
function foreignRotationAndPolicies(secret: VaultSecret): string[] {
  const stack = Stack.of(secret);
  const key = (value: unknown) => JSON.stringify(stack.resolve(value));
  const refs = new Set([
    key(secret.secretArn),
    ...secret.node
      .findAll()
      .filter(
        (c): c is secretsmanager.CfnSecretTargetAttachment =>
          c instanceof secretsmanager.CfnSecretTargetAttachment,
      )
      .map((a) => key(a.ref)),
  ]);
  const onSecret = <T extends { secretId: string }>(type: new (...args: never[]) => T) =>
    secret.node.root.node
      .findAll()
      .filter((c): c is IConstruct & T => c instanceof type)
      .filter((c) => refs.has(key(c.secretId)));
  const problems: string[] = [];
  for (const schedule of onSecret(secretsmanager.CfnRotationSchedule)) {
    if (schedule === secret.rotationSchedule) continue;
    problems.push(
      `${ownerName(secret)} is the master credential of a database and the vault's rotation function rotates it, but ${schedule.node.path} adds a second rotation (the database's addRotationSingleUser / addRotationMultiUser, or addRotationSchedule): remove that call.`,
    );
  }
  const policies = onSecret(secretsmanager.CfnResourcePolicy);
  if (policies.length > 1) {
    problems.push(
      `${ownerName(secret)} would get ${policies.length} resource policies (${policies.map((p) => p.node.path).join(', ')}); a secret has one, and the last one deployed would replace the vault's guards. Add statements with the vault secret's own addToResourcePolicy, not through the database's \`secret\`.`,
    );
  }
  return problems;
}

/** One `secretsmanager` interface endpoint per VPC, open on 443 to the rotation functions that need it. */
function secretsManagerEndpointFor(vpc: ec2.IVpc, fn: RotationFunction): void {
  interfaceEndpointFor(
    vpc,
    fn,
    SECRETS_MANAGER_ENDPOINT_ID,
    ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    'secretsManagerEndpoint',
  );
}

/** One interface endpoint of `service` per VPC (child `id`), open on 443 to the functions that need it. */
function interfaceEndpointFor(
  vpc: ec2.IVpc,
  fn: RotationFunction,
  id: string,
  service: ec2.InterfaceVpcEndpointAwsService,
  prop: string,
): void {
  const existing = vpc.node.tryFindChild(id);
  if (existing !== undefined && !(existing instanceof ec2.InterfaceVpcEndpoint)) {
    invalid(
      // "VPC", whatever class the VPC is of (Vpc, or an import's).
      `VPC ${vpc.node.path}`,
      prop,
      existing.node.path,
      `the VPC already has a child "${id}" that is not an interface endpoint`,
    );
  }
  const endpoint =
    existing ??
    new ec2.InterfaceVpcEndpoint(vpc, id, {
      vpc,
      service,
      privateDnsEnabled: true,
      // Only the functions that need it, not the whole VPC's CIDR.
      open: false,
    });
  endpoint.connections.allowDefaultPortFrom(fn, 'Rotation function of the secrets vault');
}

/**
 * The proxies of the app that authenticate with `secret` (directly or through its attachment): an
 * alternating-users secret cannot serve one.
 */
function refuseProxies(secret: VaultSecret, attachment: IConstruct | undefined): string[] {
  const stack = Stack.of(secret);
  const refs = [
    secret.secretArn,
    ...(attachment ? [(attachment as secretsmanager.CfnSecretTargetAttachment).ref] : []),
  ].map((arn) => JSON.stringify(stack.resolve(arn)));
  return secret.node.root.node
    .findAll()
    .filter((c): c is rds.CfnDBProxy => c instanceof rds.CfnDBProxy)
    .filter((proxy) => {
      const auth = JSON.stringify(Stack.of(proxy).resolve(proxy.auth));
      return refs.some((ref) => auth.includes(ref));
    })
    .map(
      (proxy) =>
        `${ownerName(secret)} rotates with alternating users, so RDS Proxy ${proxy.node.path} cannot authenticate with it: a proxy knows one user per registered secret, and this secret names "<user>" and "<user>${CLONE_SUFFIX}" in turn, so after each rotation the proxy refuses the other user's still valid credentials (and, until it reads the secret again, the new ones). Register a single-user secret with the proxy (SecretsVault.addDatabaseSecret with DatabaseUserRotation.singleUser()), or let this user's clients connect to the database endpoint.`,
    );
}

function checkMasterUsername(owner: string, engine: DatabaseEngine, username: string): void {
  if (Token.isUnresolved(username)) return;
  const max = RDS_MASTER_USERNAME_MAX[engine.name];
  if (!USERNAME.test(username) || username.length > max) {
    invalid(
      owner,
      'username',
      username,
      `allowed: a letter followed by letters, digits or \`_\`, 1 to ${max} characters (RDS's rule for a ${engine.name} master user)`,
    );
  }
  if (RESERVED_MASTER_NAMES.includes(username.toLowerCase())) {
    invalid(owner, 'username', username, 'RDS reserves this name for itself: choose another master user');
  }
}

function checkMasterPassword(owner: string, engine: DatabaseEngine, options: PasswordOptions): void {
  const resolved = resolvePasswordOptions(owner, options, {
    prefix: 'passwordOptions.',
    defaultExcludeCharacters: engine.defaultExcludeCharacters,
  });
  const rule = RDS_MASTER_PASSWORD[engine.name];
  if (!Token.isUnresolved(resolved.length) && (resolved.length < 8 || resolved.length > rule.max)) {
    invalid(
      owner,
      'passwordOptions.length',
      resolved.length,
      `RDS accepts a ${engine.name} master password of 8 to ${rule.max} characters`,
    );
  }
  if (resolved.includeSpace) {
    invalid(owner, 'passwordOptions.includeSpace', true, 'RDS refuses a master password with a space');
  }
  const missing = [...rule.forbidden.trim()].filter((c) => !resolved.excludeCharacters.includes(c));
  if (missing.length > 0 && !resolved.excludePunctuation) {
    invalid(
      owner,
      'passwordOptions.excludeCharacters',
      summary(`a list without ${missing.map((c) => JSON.stringify(c)).join(' ')}`),
      'RDS refuses a master password with `/`, `@` or `"`: keep them excluded',
    );
  }
}

function checkUserName(
  owner: string,
  engine: DatabaseEngine,
  username: string,
  master: string | undefined,
): void {
  if (Token.isUnresolved(username)) return;
  const longest = engine.maxUsernameLength - CLONE_SUFFIX.length;
  const length =
    engine.facts.usernameUnit === 'bytes' ? Buffer.byteLength(username, 'utf8') : [...username].length;
  if (!USERNAME.test(username) || length > longest) {
    invalid(
      owner,
      'username',
      username,
      `allowed: a letter followed by letters, digits or \`_\`, 1 to ${longest} characters for ${engine.name} (alternating users add "${CLONE_SUFFIX}")`,
    );
  }
  if (username === master || username.endsWith(CLONE_SUFFIX)) {
    invalid(
      owner,
      'username',
      username,
      username === master
        ? 'it is the master user, which rotates with its own secret: name an application user'
        : `names ending in "${CLONE_SUFFIX}" are the other half of an alternating pair: name the user without it`,
    );
  }
}
