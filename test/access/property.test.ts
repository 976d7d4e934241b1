/**
 * The access model's invariants, checked by evaluating requests against the policies of generated
 * vault configurations (fast-check): several vaults per stack with look-alike name prefixes, readers
 * of this and other accounts, organizations, denyUnlistedReaders on and off, stage-limited reader
 * roles, and standalone secrets with keys of their own or a vault's.
 *
 * Who may read is computed here from the configuration, never from the templates: the policies are
 * what is under test.
 */
import { CfnElement, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as fc from 'fast-check';
import { IConstruct } from 'constructs';
import { SecretReaderRole, SecretsVault, VaultKey, VaultSecret } from '../../lib';
import {
  ACCOUNT,
  ADMINISTRATOR_ACCESS,
  administrator,
  IamEvaluator,
  Principal,
  REGION,
  stacksOf,
} from '../support/iam-evaluator';
import { accessApp } from './fixture';
import { DEPLOYMENT_ROLE, MEMBER_ACCOUNT, OTHER_ACCOUNT, PARTNER_ROLE, READER_SERVICE } from './matrix-spec';

/**
 * 200 configurations a run (the floor for CI: `npm test` does not set the variable). The
 * mutation run (scripts/mutation.sh) runs this file once per mutant and asks for fewer with
 * SECRETS_VAULT_PROPERTY_RUNS.
 */
const RUNS = Number(process.env.SECRETS_VAULT_PROPERTY_RUNS ?? 200);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  throw new Error(
    `SECRETS_VAULT_PROPERTY_RUNS must be a positive whole number, not "${process.env.SECRETS_VAULT_PROPERTY_RUNS}"`,
  );
}

const ORGANIZATIONS = ['o-a1b2c3d4e5', 'o-f6g7h8i9j0'];
/** Prefixes that share beginnings without nesting: a pattern that leaked across them would show. */
const PREFIXES = ['app', 'app2', 'app-db', 'ap', 'team/app'];
const LISTED_ACCOUNT = '555555555555';
const APP_READER = `arn:aws:iam::${ACCOUNT}:role/app-reader`;

type ResourceReader = 'partner' | 'sameAccountArn' | 'account' | 'service';

interface VaultConfig {
  readonly prefix: string;
  readonly secrets: number;
  readonly denyUnlistedReaders: boolean;
  readonly organization?: string;
  readonly resourceReaders: ResourceReader[];
  readonly readerRoles: number;
  readonly stagedReader: boolean;
  readonly grantedRole: boolean;
  readonly writer: boolean;
  readonly keyAdmins: number;
  readonly breakGlass: boolean;
}

interface StandaloneConfig {
  readonly denyUnlistedReaders: boolean;
  /** Its own VaultKey, or the first vault's key. */
  readonly sharesVaultKey: boolean;
  readonly resourceReaders: ResourceReader[];
  readonly grantedRole: boolean;
}

interface Config {
  readonly vaults: VaultConfig[];
  readonly standalone: StandaloneConfig[];
  /** Chooses which of several equivalent principals a run probes, so that runs together cover them all. */
  readonly pick: number;
}

const readers = fc.subarray<ResourceReader>(['partner', 'sameAccountArn', 'account', 'service'], {
  maxLength: 2,
});

const vaultConfig = (prefix: string): fc.Arbitrary<VaultConfig> =>
  fc.record({
    prefix: fc.constant(prefix),
    secrets: fc.integer({ min: 1, max: 2 }),
    denyUnlistedReaders: fc.boolean(),
    organization: fc.option(fc.constantFrom(...ORGANIZATIONS), { nil: undefined }),
    resourceReaders: readers,
    readerRoles: fc.integer({ min: 0, max: 2 }),
    stagedReader: fc.boolean(),
    grantedRole: fc.boolean(),
    writer: fc.boolean(),
    keyAdmins: fc.integer({ min: 0, max: 2 }),
    breakGlass: fc.boolean(),
  });

const config: fc.Arbitrary<Config> = fc.record({
  vaults: fc
    .shuffledSubarray(PREFIXES, { minLength: 1, maxLength: 3 })
    .chain((prefixes) => fc.tuple(...prefixes.map(vaultConfig))),
  standalone: fc.array(
    fc.record({
      denyUnlistedReaders: fc.boolean(),
      sharesVaultKey: fc.boolean(),
      resourceReaders: readers,
      grantedRole: fc.boolean(),
    }),
    { maxLength: 2 },
  ),
  pick: fc.nat(),
});

type ReaderKind = 'role' | 'listed' | 'rotation' | 'deployment' | 'staged';

interface Reader {
  readonly principal: Principal;
  readonly kind: ReaderKind;
}

/** Who may do what, from the configuration alone. */
interface SecretModel {
  readonly id: string;
  readonly key: string;
  readonly vault?: number;
  readonly denyUnlistedReaders: boolean;
  readonly organization?: string;
  /** Principals that must be able to read AWSCURRENT (and AWSPREVIOUS unless stageLimited). */
  readonly readers: Reader[];
  readonly services: boolean;
}

interface VaultModel {
  readonly rotationRole: string;
  readonly readerRoles: string[];
  readonly writerRole?: string;
  readonly keyAdmins: Principal[];
  readonly breakGlass?: Principal;
}

interface KeyModel {
  readonly id: string;
  readonly administrators: Principal[];
}

interface Built {
  readonly evaluator: IamEvaluator;
  readonly secrets: SecretModel[];
  readonly vaults: VaultModel[];
  readonly keys: KeyModel[];
  /** Principals of this account that hold `*:*` but were declared nowhere. */
  readonly bystanders: Principal[];
}

const logicalId = (c: IConstruct): string => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
const lambda = new iam.ServicePrincipal('lambda.amazonaws.com');
const deployment: Principal = { arn: DEPLOYMENT_ROLE, policies: [ADMINISTRATOR_ACCESS] };

function resourceReader(kind: ResourceReader): { principal: iam.IPrincipal; reader?: Principal } {
  switch (kind) {
    case 'partner':
      return { principal: new iam.ArnPrincipal(PARTNER_ROLE), reader: administrator(PARTNER_ROLE) };
    case 'sameAccountArn':
      // Named by the resource policy and the key policy only: it needs no identity policy at all.
      return { principal: new iam.ArnPrincipal(APP_READER), reader: { arn: APP_READER } };
    case 'account':
      return {
        principal: new iam.AccountPrincipal(LISTED_ACCOUNT),
        reader: administrator(`arn:aws:iam::${LISTED_ACCOUNT}:role/any`),
      };
    case 'service':
      return { principal: new iam.ServicePrincipal(READER_SERVICE) };
  }
}

function listedReaders(listed: { reader?: Principal }[]): Reader[] {
  return listed.flatMap((r) => (r.reader ? [{ principal: r.reader, kind: 'listed' as const }] : []));
}

function build(c: Config): Built {
  const app = accessApp();
  const stack = new Stack(app, 'P', { env: { account: ACCOUNT, region: REGION } });
  const secrets: SecretModel[] = [];
  const vaults: VaultModel[] = [];
  const keys: KeyModel[] = [];
  const vaultObjects: SecretsVault[] = [];

  c.vaults.forEach((v, i) => {
    const keyAdmins = Array.from(
      { length: v.keyAdmins },
      (_, n) => `arn:aws:iam::${ACCOUNT}:role/v${i}-key-admin${n}`,
    );
    const breakGlass = v.breakGlass ? `arn:aws:iam::${ACCOUNT}:role/v${i}-break-glass` : undefined;
    const vault = new SecretsVault(stack, `V${i}`, {
      namePrefix: v.prefix,
      denyUnlistedReaders: v.denyUnlistedReaders,
      allowedOrganizationId: v.organization,
      keyAdmins: keyAdmins.length > 0 ? keyAdmins.map((arn) => new iam.ArnPrincipal(arn)) : undefined,
      breakGlass: breakGlass ? new iam.ArnPrincipal(breakGlass) : undefined,
    });
    vaultObjects.push(vault);
    const vaultSecrets = Array.from({ length: v.secrets }, (_, n) => vault.addSecret(`S${n}`));
    const readerRoles = Array.from({ length: v.readerRoles }, (_, n) =>
      vault.addReaderRole(`Reader${n}`, { assumedBy: lambda }),
    );
    const granted = v.grantedRole ? new iam.Role(stack, `V${i}Granted`, { assumedBy: lambda }) : undefined;
    if (granted) vault.grantRead(granted);
    const staged = v.stagedReader
      ? new SecretReaderRole(stack, `V${i}Staged`, {
          assumedBy: lambda,
          secrets: [vaultSecrets[0]!],
          versionStages: ['AWSCURRENT'],
        })
      : undefined;
    const writer = v.writer ? new iam.Role(stack, `V${i}Writer`, { assumedBy: lambda }) : undefined;
    if (writer) vaultSecrets[0]!.grantWrite(writer);
    const listed = v.resourceReaders.map(resourceReader);
    for (const r of listed) vault.addReader(r.principal);

    const rotationRole = logicalId(vault.rotationFunction.role);
    const roleReaders: Principal[] = [...readerRoles, ...(granted ? [granted] : [])].map((r) => ({
      role: logicalId(r),
    }));
    vaultSecrets.forEach((secret, n) => {
      secrets.push({
        id: logicalId(secret),
        key: logicalId(vault.encryptionKey),
        vault: i,
        denyUnlistedReaders: v.denyUnlistedReaders,
        organization: v.organization,
        readers: [
          ...roleReaders.map((principal): Reader => ({ principal, kind: 'role' })),
          ...listedReaders(listed),
          { principal: { role: rotationRole }, kind: 'rotation' },
          { principal: deployment, kind: 'deployment' },
          ...(staged && n === 0 ? [{ principal: { role: logicalId(staged) }, kind: 'staged' as const }] : []),
        ],
        services: v.resourceReaders.includes('service'),
      });
    });
    const keyAdminPrincipals = keyAdmins.map((arn) => administrator(arn));
    const breakGlassPrincipal = breakGlass ? administrator(breakGlass) : undefined;
    vaults.push({
      rotationRole,
      readerRoles: readerRoles.map(logicalId),
      writerRole: writer ? logicalId(writer) : undefined,
      keyAdmins: keyAdminPrincipals,
      breakGlass: breakGlassPrincipal,
    });
    keys.push({
      id: logicalId(vault.encryptionKey),
      administrators: [
        deployment,
        ...keyAdminPrincipals,
        ...(breakGlassPrincipal ? [breakGlassPrincipal] : []),
      ],
    });
  });

  c.standalone.forEach((s, i) => {
    const ownKey = s.sharesVaultKey ? undefined : new VaultKey(stack, `Solo${i}Key`);
    const encryptionKey = ownKey ?? vaultObjects[0]!.encryptionKey;
    const listed = s.resourceReaders.map(resourceReader);
    const secret = new VaultSecret(stack, `Solo${i}`, {
      encryptionKey,
      denyUnlistedReaders: s.denyUnlistedReaders,
      readers: listed.length > 0 ? listed.map((r) => r.principal) : undefined,
    });
    const granted = s.grantedRole ? new iam.Role(stack, `Solo${i}Granted`, { assumedBy: lambda }) : undefined;
    if (granted) secret.grantRead(granted);
    secrets.push({
      id: logicalId(secret),
      key: logicalId(encryptionKey),
      denyUnlistedReaders: s.denyUnlistedReaders,
      readers: [
        ...(granted ? [{ principal: { role: logicalId(granted) }, kind: 'role' as const }] : []),
        ...listedReaders(listed),
        { principal: deployment, kind: 'deployment' },
      ],
      services: s.resourceReaders.includes('service'),
    });
    if (ownKey) keys.push({ id: logicalId(ownKey), administrators: [deployment] });
  });

  return {
    evaluator: new IamEvaluator(stacksOf(app.synth())),
    secrets,
    vaults,
    keys,
    bystanders: [administrator(`arn:aws:iam::${ACCOUNT}:role/admin`)],
  };
}

/** Principals of other accounts with `*:*` at home, none of them listed. */
function strangers(secret: SecretModel): Principal[] {
  return [
    administrator(`arn:aws:iam::${OTHER_ACCOUNT}:role/outsider`),
    // A member of the allowed organization passes the account boundary but is still not a reader.
    administrator(`arn:aws:iam::${MEMBER_ACCOUNT}:role/member`, secret.organization ?? ORGANIZATIONS[0]),
  ];
}

/** Principals of this account that must not read: other vaults' roles always; *:* holders when the deny is on. */
function undeclared(built: Built, secret: SecretModel): Principal[] {
  const otherVaults = built.vaults.filter((_, i) => i !== secret.vault);
  const scoped: Principal[] = otherVaults.flatMap((v) =>
    [v.rotationRole, ...v.readerRoles, ...(v.writerRole ? [v.writerRole] : [])].map((role) => ({ role })),
  );
  const own = secret.vault === undefined ? undefined : built.vaults[secret.vault];
  // A writer is declared for writes, not reads.
  const ownWriter: Principal[] = own?.writerRole ? [{ role: own.writerRole }] : [];
  const broad: Principal[] = secret.denyUnlistedReaders
    ? [...built.bystanders, ...(own ? [...own.keyAdmins, ...(own.breakGlass ? [own.breakGlass] : [])] : [])]
    : [];
  return [...scoped, ...ownWriter, ...broad];
}

const label = (p: Principal) => JSON.stringify(p).slice(0, 120);

/** One of several, chosen by the run's `pick`. */
function one<T>(items: T[], pick: number, salt: number): T[] {
  return items.length === 0 ? [] : [items[(pick + salt) % items.length]!];
}

/**
 * Every invariant on every configuration, each on one instance: which secret of a vault, which of
 * its readers, which undeclared principal and which administrator a run probes is chosen by `pick`,
 * so that the runs together cover them all while each stays cheap.
 */
async function violations(built: Built, pick: number): Promise<string[]> {
  const { evaluator } = built;
  const found: string[] = [];
  type Answer = { decision: string; summary: string };
  const allowed = async (what: string, decision: Promise<Answer>) => {
    const d = await decision;
    if (d.decision !== 'Allowed') found.push(`${what}: ${d.summary}`);
  };
  const denied = async (what: string, decision: Promise<Answer>) => {
    const d = await decision;
    if (d.decision === 'Allowed') found.push(`${what}: ${d.summary}`);
  };
  const onSecret = (principal: Principal, action: string, secret: string, context = {}) =>
    evaluator.decide({ principal, action, resource: secret, context });
  // A denied Secrets Manager call settles a read or a write; the key is asked only when it allows.
  const readDenied = async (what: string, principal: Principal, secret: string) => {
    const d = await onSecret(principal, 'secretsmanager:GetSecretValue', secret, {
      'secretsmanager:VersionStage': 'AWSCURRENT',
    });
    await denied(what, d.decision === 'Allowed' ? evaluator.canRead(principal, secret) : Promise.resolve(d));
  };

  // One secret of each vault (they share every policy but the stage-limited reader's), and every standalone one.
  const probedSecrets = built.secrets.filter(
    (secret, index) =>
      secret.vault === undefined ||
      one(
        built.secrets.filter((s) => s.vault === secret.vault),
        pick,
        secret.vault,
      )[0] === built.secrets[index],
  );
  for (const [index, secret] of probedSecrets.entries()) {
    const staged = secret.readers.filter((r) => r.kind === 'staged');
    const [reader] = one(
      secret.readers.filter((r) => r.kind !== 'staged'),
      pick,
      index,
    );
    // Every declared reader reads (so that the denies below are not vacuous)...
    for (const { principal } of [reader!, ...staged]) {
      await allowed(
        `declared reader ${label(principal)} reads ${secret.id}`,
        evaluator.canRead(principal, secret.id),
      );
    }
    for (const { principal } of staged) {
      await denied(
        `stage-limited ${label(principal)} reads AWSPREVIOUS of ${secret.id}`,
        onSecret(principal, 'secretsmanager:GetSecretValue', secret.id, {
          'secretsmanager:VersionStage': 'AWSPREVIOUS',
        }),
      );
    }
    if (secret.services) {
      const read = (sourceAccount: string) =>
        onSecret({ service: READER_SERVICE, sourceAccount }, 'secretsmanager:GetSecretValue', secret.id);
      await allowed(`the listed service for this account reads ${secret.id}`, read(ACCOUNT));
      await denied(`the listed service for another account reads ${secret.id}`, read(OTHER_ACCOUNT));
    }
    // ...and nobody outside the declared readers and the rotation role does.
    for (const principal of [
      ...one(strangers(secret), pick, index),
      ...one(undeclared(built, secret), pick, index),
    ]) {
      await readDenied(`undeclared ${label(principal)} reads ${secret.id}`, principal, secret.id);
    }
    // No request without TLS succeeds, not even the deployment's.
    const [insecure] = one(
      [
        () =>
          onSecret(reader!.principal, 'secretsmanager:GetSecretValue', secret.id, {
            'aws:SecureTransport': 'false',
          }),
        () =>
          onSecret(deployment, 'secretsmanager:PutResourcePolicy', secret.id, {
            'aws:SecureTransport': 'false',
          }),
      ],
      pick,
      index,
    );
    await denied(`a request of ${secret.id} without TLS`, insecure!());
    // One vault's function never reaches another vault's secrets.
    for (const v of built.vaults.filter((_, i) => i !== secret.vault)) {
      const [action] = one(
        [
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        pick,
        index,
      );
      await denied(
        `another vault's rotation ${action} on ${secret.id}`,
        onSecret({ role: v.rotationRole }, action!, secret.id),
      );
    }
  }

  for (const [index, key] of built.keys.entries()) {
    // KMS decrypts only through Secrets Manager, even for the key's most privileged principals.
    const [principal] = one(key.administrators, pick, index);
    for (const action of ['kms:Decrypt', 'kms:CreateGrant']) {
      await denied(
        `${label(principal!)} ${action} directly on ${key.id}`,
        evaluator.decide({ principal: principal!, action, resource: key.id }),
      );
    }
    // No lock-out: the named administrators can still change the key policy.
    await allowed(
      `administrator ${label(principal!)} kms:PutKeyPolicy on ${key.id}`,
      evaluator.decide({ principal: principal!, action: 'kms:PutKeyPolicy', resource: key.id }),
    );
  }
  return found;
}

test(`the invariants hold on ${RUNS} generated configurations`, async () => {
  await fc.assert(
    fc.asyncProperty(config, async (c) => {
      const found = await violations(build(c), c.pick);
      expect(found).toEqual([]);
    }),
    { numRuns: RUNS },
  );
});
