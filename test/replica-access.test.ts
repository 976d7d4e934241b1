import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SecretsVault } from '../lib/secrets-vault';
import { VaultReplicaKey } from '../lib/vault-replica-key';
import {
  ACCOUNT,
  administrator,
  ContextValue,
  IamEvaluator,
  Principal,
  REGION,
  StackTemplate,
  stacksOf,
} from './support/iam-evaluator';

const REPLICA = 'us-east-1';
const ALIAS = 'alias/example/orders';
const KEY_ADMIN = `arn:aws:iam::${ACCOUNT}:role/key-admin`;
const BREAK_GLASS = `arn:aws:iam::${ACCOUNT}:role/break-glass`;
const PARTNER = 'arn:aws:iam::222222222222:role/partner';
const deploymentRole = (region: string) =>
  `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${region}`;

/**
 * The vault's key and its replica region's key, decided by the independent IAM engine: every
 * principal must meet the same rules on both, with "Secrets Manager" meaning Secrets Manager of the
 * key's own region.
 */
function evaluatorOf(): { evaluator: IamEvaluator; stacks: StackTemplate[] } {
  const app = new App({
    context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:disable-stack-trace': true },
    builtinCloudFormationValidation: false,
  } as any);
  const primary = new Stack(app, 'Primary', { env: { account: ACCOUNT, region: REGION } });
  const vault = new SecretsVault(primary, 'Vault', {
    namePrefix: 'example/orders',
    keyAdmins: [iam.Role.fromRoleArn(primary, 'KeyAdmin', KEY_ADMIN)],
    breakGlass: iam.Role.fromRoleArn(primary, 'BreakGlass', BREAK_GLASS),
  });
  vault.addSecret('OrdersDb');
  vault.addReader(new iam.ArnPrincipal(PARTNER));
  const replica = new Stack(app, 'Replica', { env: { account: ACCOUNT, region: REPLICA } });
  new VaultReplicaKey(replica, 'OrdersKey', { vault, readers: [new iam.ArnPrincipal(PARTNER)] });
  const stacks = stacksOf(app.synth());
  return { evaluator: new IamEvaluator(stacks), stacks };
}

const KEYS = { primary: 'Primary/Vault/Key', replica: 'Replica/OrdersKey' } as const;
const REGIONS = { primary: REGION, replica: REPLICA } as const;

interface Case {
  readonly name: string;
  readonly principal: Principal;
  readonly action: string;
  /** Through Secrets Manager of the key's own region, of the other key's region, or directly. */
  readonly via: 'own region' | 'other region' | 'direct';
}

const partner: Principal = {
  arn: PARTNER,
  policies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] }],
};

const CASES: Case[] = [
  {
    name: 'an administrator with *:*',
    principal: administrator(`arn:aws:iam::${ACCOUNT}:role/Admin`),
    action: 'kms:Decrypt',
    via: 'own region',
  },
  {
    name: 'an administrator with *:*',
    principal: administrator(`arn:aws:iam::${ACCOUNT}:role/Admin`),
    action: 'kms:Decrypt',
    via: 'direct',
  },
  {
    name: 'an administrator with *:*',
    principal: administrator(`arn:aws:iam::${ACCOUNT}:role/Admin`),
    action: 'kms:Decrypt',
    via: 'other region',
  },
  {
    name: 'an administrator with *:*',
    principal: administrator(`arn:aws:iam::${ACCOUNT}:role/Admin`),
    action: 'kms:PutKeyPolicy',
    via: 'direct',
  },
  {
    name: 'an administrator with *:*',
    principal: administrator(`arn:aws:iam::${ACCOUNT}:role/Admin`),
    action: 'kms:ScheduleKeyDeletion',
    via: 'direct',
  },
  {
    name: 'an administrator with *:*',
    principal: administrator(`arn:aws:iam::${ACCOUNT}:role/Admin`),
    action: 'kms:CreateGrant',
    via: 'direct',
  },
  {
    name: 'the named key admin',
    principal: administrator(KEY_ADMIN),
    action: 'kms:PutKeyPolicy',
    via: 'direct',
  },
  { name: 'the named key admin', principal: administrator(KEY_ADMIN), action: 'kms:Decrypt', via: 'direct' },
  {
    name: 'the break-glass principal',
    principal: administrator(BREAK_GLASS),
    action: 'kms:ScheduleKeyDeletion',
    via: 'direct',
  },
  { name: 'the partner', principal: partner, action: 'kms:Decrypt', via: 'own region' },
  { name: 'the partner', principal: partner, action: 'kms:Decrypt', via: 'direct' },
  { name: 'the partner', principal: partner, action: 'kms:Encrypt', via: 'own region' },
  {
    name: 'an outsider with *:*',
    principal: administrator('arn:aws:iam::333333333333:role/Admin'),
    action: 'kms:Decrypt',
    via: 'own region',
  },
  { name: 'anonymous', principal: { anonymous: true }, action: 'kms:Decrypt', via: 'own region' },
];

describe('the replica region key and the vault key obey the same rules', () => {
  let evaluator: IamEvaluator;
  let stacks: StackTemplate[];

  beforeAll(() => {
    ({ evaluator, stacks } = evaluatorOf());
  });

  /** What the key's statement at a 1-based position says, with the key's region written <region>. */
  function unnamedStatement(which: keyof typeof KEYS, position: number): string {
    const resources = stacks.flatMap((s) => Object.values(s.template.Resources ?? {})) as any[];
    const key = resources.find((r) => r.Metadata?.['aws:cdk:path'] === `${KEYS[which]}/Resource`);
    return JSON.stringify(key.Properties.KeyPolicy.Statement[position - 1]).replaceAll(
      REGIONS[which],
      '<region>',
    );
  }

  async function decide(which: keyof typeof KEYS, c: Case) {
    const other = which === 'primary' ? REGIONS.replica : REGIONS.primary;
    const context: Record<string, ContextValue> = { 'kms:ResourceAliases': [ALIAS] };
    if (c.via === 'other region') context['kms:ViaService'] = `secretsmanager.${other}.amazonaws.com`;
    if (c.action === 'kms:CreateGrant') context['kms:GrantIsForAWSResource'] = 'false';
    return evaluator.decide({
      principal: c.principal,
      action: c.action,
      resource: KEYS[which],
      via: c.via === 'direct' ? undefined : 'secretsmanager',
      context,
    });
  }

  test.each(CASES.map((c) => [`${c.name}: ${c.action} ${c.via}`, c] as const))('%s', async (_name, c) => {
    const [primary, replica] = [await decide('primary', c), await decide('replica', c)];
    // An unnamed statement is named after its key's logical id and its position, and the vault key has
    // one statement a replica key has not (CloudWatch Logs for the rotation log group): compare what
    // the statement says instead.
    const named = (which: keyof typeof KEYS, statements: string[]) =>
      statements.map((s) => {
        const position = /^\S+ key policy statement (\d+)$/.exec(s)?.[1];
        return position ? `key policy ${unnamedStatement(which, Number(position))}` : s;
      });
    expect({ decision: replica.decision, statements: named('replica', replica.statements) }).toEqual({
      decision: primary.decision,
      statements: named('primary', primary.statements),
    });
  });

  test('the cases cover allowed, explicitly denied and implicitly denied requests', async () => {
    const decisions = new Set<string>();
    for (const c of CASES) decisions.add((await decide('replica', c)).decision);
    expect([...decisions].sort()).toEqual(['Allowed', 'ExplicitlyDenied', 'ImplicitlyDenied']);
  });

  test("each key is administered by the deployment of its own region, not the other region's", async () => {
    const put = async (key: keyof typeof KEYS, region: string) =>
      (
        await evaluator.decide({
          principal: administrator(deploymentRole(region)),
          action: 'kms:PutKeyPolicy',
          resource: KEYS[key],
        })
      ).decision;
    expect(await put('replica', REPLICA)).toBe('Allowed');
    expect(await put('replica', REGION)).toBe('ImplicitlyDenied');
    expect(await put('primary', REGION)).toBe('Allowed');
    expect(await put('primary', REPLICA)).toBe('ImplicitlyDenied');
  });
});
