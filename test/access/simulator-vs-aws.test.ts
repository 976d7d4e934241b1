/**
 * Where @cloud-copilot/iam-simulate and AWS's documented evaluation logic disagree. Each test shows
 * what the engine does, states what AWS documents, and shows what the evaluator does about it; the
 * matrix keeps the documented decision (and the last test shows that no cell of it depends on a
 * disagreement).
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ACCOUNT, IamEvaluator, REGION } from '../support/iam-evaluator';
import { matrixAssembly } from './fixture';

const ROLE = `arn:aws:iam::${ACCOUNT}:role/reader`;
const SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/reader/session`;
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:app/db-AbCdEf`;

function newStack(): Stack {
  const app = new App({ builtinCloudFormationValidation: false } as any);
  return new Stack(app, 'Disagreement', { env: { account: ACCOUNT, region: REGION } });
}

describe('kms:EncryptionContext:<key> on kms:Decrypt', () => {
  // AWS: the Service Authorization Reference lists kms:EncryptionContext:${EncryptionContextKey} for
  // kms:Decrypt, and Secrets Manager decrypts with the encryption context {SecretARN, SecretVersionId}:
  // a key policy may allow decryption of one secret only, by its ARN.
  const keyPolicy = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DecryptOneSecret',
        Effect: 'Allow',
        Principal: { AWS: ROLE },
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { StringEquals: { 'kms:EncryptionContext:SecretARN': SECRET } },
      },
    ],
  };

  test('iam-simulate drops the key from the request, so the allow never matches: documented decision Allowed, engine ImplicitlyDenied', async () => {
    const result = await runSimulation(
      {
        request: {
          principal: SESSION,
          action: 'kms:Decrypt',
          resource: { resource: KEY, accountId: ACCOUNT },
          contextVariables: { 'kms:EncryptionContext:SecretARN': SECRET, 'aws:PrincipalArn': ROLE },
        },
        identityPolicies: [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: keyPolicy,
      },
      {},
    );
    expect(result.resultType).toBe('single');
    if (result.resultType !== 'single') return;
    expect(result.result.ignoredContextKeys).toEqual(['kms:EncryptionContext:SecretARN']);
    expect(result.overallResult).toBe('ImplicitlyDenied');
  });

  test('the evaluator refuses to decide a request whose policies condition on it, instead of giving the wrong answer', async () => {
    const stack = newStack();
    const key = new kms.CfnKey(stack, 'Key', { keyPolicy });
    new secretsmanager.CfnSecret(stack, 'Secret', { kmsKeyId: key.attrArn, generateSecretString: {} });
    const evaluator = new IamEvaluator(Template.fromStack(stack).toJSON());
    await expect(evaluator.canRead({ arn: ROLE }, 'Secret')).rejects.toThrow(
      'iam-evaluator: a policy of this request conditions on kms:EncryptionContext:SecretARN, which AWS evaluates for kms:Decrypt ' +
        'but iam-simulate cannot (see test/access/simulator-vs-aws.test.ts): the decision would be wrong, so there is none',
    );
  });
});

describe('secretsmanager:ResourceTag/<tag key with a colon>', () => {
  // AWS: tag keys may contain `:` (ours do: `secrets-vault:vault`), and secretsmanager:ResourceTag/${TagKey}
  // is a documented condition key of GetSecretValue.
  test('iam-simulate cannot type the key and throws, where AWS evaluates it', async () => {
    await expect(
      runSimulation(
        {
          request: {
            principal: SESSION,
            action: 'secretsmanager:GetSecretValue',
            resource: { resource: SECRET, accountId: ACCOUNT },
            contextVariables: { 'secretsmanager:ResourceTag/secrets-vault:vault': 'app' },
          },
          identityPolicies: [],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        {},
      ),
    ).rejects.toThrow('Condition key secretsmanager:resourcetag/secrets-vault:vault not found');
  });

  test('the evaluator sends aws:ResourceTag/<key> instead, and refuses a policy that conditions on the service’s own tag key', async () => {
    const stack = newStack();
    const secret = new secretsmanager.CfnSecret(stack, 'Secret', {
      generateSecretString: {},
      tags: [{ key: 'secrets-vault:vault', value: 'app' }],
    });
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secret.ref],
        conditions: { StringEquals: { 'aws:ResourceTag/secrets-vault:vault': 'app' } },
      }),
    );
    const tagged = new iam.Role(stack, 'ByServiceTag', { assumedBy: new iam.AccountRootPrincipal() });
    tagged.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secret.ref],
        conditions: { StringEquals: { 'secretsmanager:ResourceTag/secrets-vault:vault': 'app' } },
      }),
    );
    const evaluator = new IamEvaluator(Template.fromStack(stack).toJSON());
    const byGlobalKey = await evaluator.decide({
      principal: { role: stack.getLogicalId(role.node.defaultChild as iam.CfnRole) },
      action: 'secretsmanager:GetSecretValue',
      resource: 'Secret',
    });
    expect(byGlobalKey.decision).toBe('Allowed');
    await expect(
      evaluator.decide({
        principal: { role: stack.getLogicalId(tagged.node.defaultChild as iam.CfnRole) },
        action: 'secretsmanager:GetSecretValue',
        resource: 'Secret',
      }),
    ).rejects.toThrow('conditions on secretsmanager:resourcetag/secrets-vault:vault');
  });
});

test('no policy the matrix evaluates conditions on a key the engine mishandles in a request of the matrix, so every cell is the documented decision', () => {
  const templates = matrixAssembly().stacksRecursively.map((s) => JSON.stringify(s.template).toLowerCase());
  expect(templates.join('\n')).toContain('kms:viaservice');
  for (const text of templates) {
    // One encryption-context key only: the vault key lets CloudWatch Logs use it for the rotation log
    // group (VaultKey.allowLogGroup). Only CloudWatch Logs' own calls carry it, no request of the matrix:
    // there AWS and the engine alike find it absent, so the deny's ArnNotEquals holds (direct use stays
    // denied, column "Decrypt direct") and the allow for CloudWatch Logs matches nothing.
    const contextKeys = new Set(text.match(/kms:encryptioncontext:[^"]*/g) ?? []);
    expect([...contextKeys].filter((key) => key !== 'kms:encryptioncontext:aws:logs:arn')).toEqual([]);
    expect(text).not.toContain('secretsmanager:resourcetag/');
  }
  expect(templates.join('\n')).toContain('kms:encryptioncontext:aws:logs:arn');
});
