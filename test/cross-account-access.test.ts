import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CrossAccountSecretReader, VaultReference } from '../lib/cross-account-reader';
import { SecretsVault } from '../lib/secrets-vault';
import {
  ACCOUNT,
  administrator,
  ContextValue,
  Decision,
  IamEvaluator,
  Principal,
  REGION,
  stacksOf,
} from './support/iam-evaluator';

const PARTNER = '222222222222';
const ALIAS = 'alias/example/orders';

/**
 * Both halves of a cross-account read, decided by the independent IAM engine over the two
 * synthesized templates: the vault's (secret resource policy, key policy) in 111111111111 and the
 * partner's (the reader's identity policy) in 222222222222.
 */
function twoAccountApp() {
  const app = new App({
    context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:disable-stack-trace': true },
    builtinCloudFormationValidation: false,
  } as any);
  const vaultStack = new Stack(app, 'Vault', { env: { account: ACCOUNT, region: REGION } });
  const vault = new SecretsVault(vaultStack, 'Vault', { namePrefix: 'example/orders' });
  vault.addSecret('OrdersDb');
  const partner = new Stack(app, 'Partner', { env: { account: PARTNER, region: 'us-east-1' } });
  const lambda = new iam.ServicePrincipal('lambda.amazonaws.com');
  const reader = new iam.Role(partner, 'Reader', { roleName: 'orders-reader', assumedBy: lambda });
  // Named on the vault's side, but without the consumer half: its own account grants it nothing.
  const halfway = new iam.Role(partner, 'Halfway', { roleName: 'orders-halfway', assumedBy: lambda });
  vault.addReader(reader);
  vault.addReader(halfway);
  new CrossAccountSecretReader(partner, 'ReadOrders', {
    vault: VaultReference.fromVault(vault),
    role: reader,
    versionStages: ['AWSCURRENT'],
  });
  return new IamEvaluator(stacksOf(app.synth()));
}

describe('a cross-account read, both sides', () => {
  let evaluator: IamEvaluator;
  const secret = 'Vault/Vault/OrdersDb';
  const key = 'Vault/Vault/Key';
  const reader: Principal = { role: 'Partner/Reader', stack: 'Partner' };

  beforeAll(() => {
    evaluator = twoAccountApp();
  });

  /** GetSecretValue on the secret, then the kms:Decrypt Secrets Manager makes on the key. */
  async function read(
    principal: Principal,
    options: { context?: Record<string, ContextValue>; aliases?: string[]; via?: string | null } = {},
  ): Promise<{ secret: Decision; key: Decision }> {
    const secretDecision = await evaluator.decide({
      principal,
      action: 'secretsmanager:GetSecretValue',
      resource: secret,
      context: { 'secretsmanager:VersionStage': 'AWSCURRENT', ...options.context },
    });
    const keyDecision = await evaluator.decide({
      principal,
      action: 'kms:Decrypt',
      resource: key,
      via: options.via === null ? undefined : (options.via ?? 'secretsmanager'),
      // iam-simulate does not know a key's aliases: give the ones KMS would put in the request.
      context: { 'kms:ResourceAliases': options.aliases ?? [ALIAS], ...options.context },
    });
    return { secret: secretDecision, key: keyDecision };
  }

  test('the partner role reads the current value, and Secrets Manager decrypts it for it', async () => {
    const { secret: s, key: k } = await read(reader);
    expect([s.decision, k.decision]).toEqual(['Allowed', 'Allowed']);
  });

  test('the partner role cannot read without TLS: the vault denies the request', async () => {
    const { secret: s } = await read(reader, { context: { 'aws:SecureTransport': 'false' } });
    expect(s.decision).toBe('ExplicitlyDenied');
    expect(s.statements).toContain('DenyRequestsWithoutTls');
  });

  test('the partner role cannot decrypt with the key directly, only through Secrets Manager', async () => {
    const { key: k } = await read(reader, { via: null });
    expect(k.decision).toBe('ExplicitlyDenied');
    expect(k.statements).toContain('DenyUseOutsideSecretsManager');
  });

  test('the partner role cannot read a stage its own account did not grant', async () => {
    const { secret: s } = await read(reader, { context: { 'secretsmanager:VersionStage': 'AWSPREVIOUS' } });
    expect(s.decision).toBe('ImplicitlyDenied');
  });

  test("the partner's grant by alias does not reach a key without the vault's alias", async () => {
    const { key: k } = await read(reader, { aliases: ['alias/something-else'] });
    expect(k.decision).toBe('ImplicitlyDenied');
  });

  test('a role the vault names but whose own account grants nothing cannot read: both sides must allow', async () => {
    const { secret: s, key: k } = await read({ role: 'Partner/Halfway', stack: 'Partner' });
    expect([s.decision, k.decision]).toEqual(['ImplicitlyDenied', 'ImplicitlyDenied']);
  });

  test('an administrator of the partner account that the vault does not name is denied', async () => {
    const { secret: s, key: k } = await read(administrator(`arn:aws:iam::${PARTNER}:role/Admin`));
    expect(s.decision).toBe('ExplicitlyDenied');
    expect(s.statements).toEqual(expect.arrayContaining(['DenyReadsByUndeclaredPrincipals']));
    expect(k.decision).toBe('ImplicitlyDenied');
  });

  test('a principal of a third account with *:* is denied by the account boundary', async () => {
    const { secret: s } = await read(administrator('arn:aws:iam::333333333333:role/Admin'));
    expect(s.decision).toBe('ExplicitlyDenied');
    expect(s.statements).toContain('DenyPrincipalsOutsideTrustedAccounts');
  });
});
