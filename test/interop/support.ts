/**
 * Helpers for the interop tests: our constructs combined with aws-cdk-lib's the way a user would,
 * and the vault's invariants read back from the synthesized template.
 */
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import { SecretContent, VaultKey, VaultSecret, VaultSecretProps } from '../../lib';
import { REGION, template } from '../support/stack';

export { ACCOUNT, OTHER_ACCOUNT, REGION, newStack, template } from '../support/stack';

/** The only value of `kms:ViaService` a statement that allows using a vault key may carry. */
export const VIA_SM = `secretsmanager.${REGION}.amazonaws.com`;

type Statement = Record<string, any>;
type Resources = Record<string, { Type: string; Properties?: Record<string, any> }>;

/** A vault key and a secret encrypted with it whose read deny is on (the secure default). */
export function vaultSecret(stack: Stack, props: Partial<VaultSecretProps> = {}, id = 'Secret'): VaultSecret {
  const key = (stack.node.tryFindChild('Key') as kms.IKey | undefined) ?? new VaultKey(stack, 'Key');
  return new VaultSecret(stack, id, { encryptionKey: key, denyUnlistedReaders: true, ...props });
}

/** A database credential as `rds.Credentials.fromSecret` expects it: JSON with username and password. */
export function databaseCredential(stack: Stack, props: Partial<VaultSecretProps> = {}): VaultSecret {
  return vaultSecret(stack, {
    content: SecretContent.generatedJson({ username: 'app' }, 'password'),
    ...props,
  });
}

export function readerRole(stack: Stack, id = 'Reader'): iam.Role {
  return new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
}

/** A VPC with isolated subnets only: enough for a database and the rotation functions. */
export function isolatedVpc(stack: Stack): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
}

export function postgresInstance(stack: Stack, vpc: ec2.IVpc, secret: VaultSecret): rds.DatabaseInstance {
  return new rds.DatabaseInstance(stack, 'Db', {
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    credentials: rds.Credentials.fromSecret(secret),
  });
}

export function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** The template's resources of every type, by logical id. */
export function resources(stack: Stack): Resources {
  return template(stack).toJSON().Resources as Resources;
}

/**
 * The logical ids a template uses for one secret: the secret's own, and those of its target
 * attachments (whose `Ref` is the same secret's ARN at deploy time).
 */
export function secretIds(stack: Stack, secret: VaultSecret): string[] {
  const all = resources(stack);
  const own = logicalId(stack, secret);
  const attachments = Object.entries(all)
    .filter(
      ([, r]) =>
        r.Type === 'AWS::SecretsManager::SecretTargetAttachment' && r.Properties?.SecretId?.Ref === own,
    )
    .map(([id]) => id);
  return [own, ...attachments];
}

/** Every resource of `type` whose `SecretId` names `secret` (directly or through an attachment). */
export function resourcesForSecret(stack: Stack, secret: VaultSecret, type: string): Resources {
  const ids = secretIds(stack, secret);
  return Object.fromEntries(
    Object.entries(resources(stack)).filter(
      ([, r]) => r.Type === type && ids.includes(r.Properties?.SecretId?.Ref),
    ),
  );
}

/**
 * The secret's one resource policy, checked for what every vault secret's policy has: exactly one
 * `AWS::SecretsManager::ResourcePolicy` for the secret (a second would overwrite the first at
 * deploy), with Block Public Policy and the TLS and account-boundary denies.
 */
export function theResourcePolicy(stack: Stack, secret: VaultSecret): Statement[] {
  const policies = Object.entries(resourcesForSecret(stack, secret, 'AWS::SecretsManager::ResourcePolicy'));
  expect(policies.map(([id]) => id)).toHaveLength(1);
  const [, policy] = policies[0];
  expect(policy.Properties!.BlockPublicPolicy).toBe(true);
  const statements = policy.Properties!.ResourcePolicy.Statement as Statement[];
  const sids = statements.map((s) => s.Sid);
  expect(sids).toEqual(
    expect.arrayContaining(['DenyRequestsWithoutTls', 'DenyPrincipalsOutsideTrustedAccounts']),
  );
  return statements;
}

/**
 * The `aws:PrincipalArn` patterns a Deny of `action` in the secret's resource policy lets through
 * (the read deny for GetSecretValue, the write guard for PutSecretValue). Fails when there is no
 * such deny: the read deny is on by default and a test of exemptions needs it.
 */
export function exemptFromDeny(stack: Stack, secret: VaultSecret, action: string): unknown[] {
  const statements = theResourcePolicy(stack, secret);
  const denies = statements.filter(
    (s) =>
      s.Effect === 'Deny' &&
      [s.Action].flat().includes(action) &&
      s.Condition?.ArnNotLike?.['aws:PrincipalArn'] !== undefined,
  );
  expect(denies.map((s) => s.Sid)).toHaveLength(1);
  return [denies[0].Condition.ArnNotLike['aws:PrincipalArn']].flat();
}

/** KMS actions that use a key (rather than administer it), each as a literal action name. */
const KEY_USE_ACTIONS = [
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:GenerateDataKeyPair',
  'kms:GenerateDataKeyPairWithoutPlaintext',
  'kms:GenerateMac',
  'kms:VerifyMac',
  'kms:Sign',
  'kms:Verify',
  'kms:DeriveSharedSecret',
  'kms:CreateGrant',
];

/** Whether an IAM action pattern (`kms:*`, `kms:ReEncrypt*`, `kms:Create*`) covers a use of a key. */
function coversUse(pattern: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  return pattern === '*' || KEY_USE_ACTIONS.some((action) => regex.test(action));
}

function allowsUse(statement: Statement): boolean {
  if (statement.Effect !== 'Allow') return false;
  if (statement.NotAction !== undefined) return true;
  return [statement.Action].flat().some((a: string) => coversUse(a));
}

function throughSecretsManager(statement: Statement): boolean {
  const via = statement.Condition?.StringEquals?.['kms:ViaService'];
  return [via].flat().length === 1 && [via].flat()[0] === VIA_SM;
}

/** Every statement of the template that allows using the vault key: in its key policy and in IAM policies. */
export function keyUseStatements(stack: Stack, key: kms.IKey): Statement[] {
  const keyArn = JSON.stringify(stack.resolve(key.keyArn));
  const found: Statement[] = [];
  for (const r of Object.values(resources(stack))) {
    if (r.Type === 'AWS::KMS::Key') {
      found.push(...(r.Properties!.KeyPolicy.Statement as Statement[]).filter(allowsUse));
    }
    const documents =
      r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy'
        ? [r.Properties!.PolicyDocument]
        : r.Type === 'AWS::IAM::Role'
          ? (r.Properties!.Policies ?? []).map((p: { PolicyDocument: unknown }) => p.PolicyDocument)
          : [];
    for (const document of documents) {
      for (const statement of document.Statement as Statement[]) {
        const onKey = [statement.Resource]
          .flat()
          .some((res) => res === '*' || JSON.stringify(res) === keyArn);
        if (onKey && allowsUse(statement)) found.push(statement);
      }
    }
  }
  return found;
}

/**
 * The key-side invariant: every statement that allows using the key, in the key policy or in an IAM
 * policy on the key, carries `kms:ViaService` = Secrets Manager of the key's region.
 */
export function expectKeyUsableOnlyThroughSecretsManager(stack: Stack, key: kms.IKey) {
  const open = keyUseStatements(stack, key).filter((s) => !throughSecretsManager(s));
  expect(open).toEqual([]);
}

/**
 * Runs what a user would write and synthesizes the app, expecting a refusal (at the call or at
 * synth) whose message names the construct path, the member and what to use instead.
 */
export function expectRefusal(
  app: App,
  action: () => unknown,
  parts: { path: string; member: string | RegExp; instead: string | RegExp },
) {
  let error: unknown;
  try {
    action();
    app.synth();
  } catch (e) {
    error = e;
  }
  if (!(error instanceof Error)) {
    throw new Error(
      `expected a refusal naming ${parts.path} and ${String(parts.member)}, but the app synthesized without one`,
    );
  }
  expect(error.message).toContain(parts.path);
  if (typeof parts.member === 'string') expect(error.message).toContain(parts.member);
  else expect(error.message).toMatch(parts.member);
  if (typeof parts.instead === 'string') expect(error.message).toContain(parts.instead);
  else expect(error.message).toMatch(parts.instead);
  return error.message;
}
