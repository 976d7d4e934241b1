import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IConstruct } from 'constructs';
import { RotationStrategy } from '../rotation-strategy';
import {
  ResolvedPasswordOptions,
  SecretContent,
  SecretContentKind,
  resolvePasswordOptions,
} from '../secret-content';
import type { VaultSecret, VaultSecretProps } from '../vault-secret';
import { refused, sameValue } from './inherited';
import { isOwnSchedule } from './schedules';
import {
  checkSecretNameIsFree,
  coversAnyAction,
  invalid,
  knownToDiffer,
  Owner,
  ownerName,
  summary,
  validateOrganizationId,
  validateSecretName,
  validateText,
} from './validation';

/** Secrets Manager accepts descriptions of at most 2,048 characters. */
const MAX_DESCRIPTION_LENGTH = 2048;

/** aws-cdk-lib SecretProps that a VaultSecret does not take, and what to use instead. */
const SECRET_PROPS_NOT_TAKEN: Record<string, string> = {
  secretStringValue: 'Give the value as `content: SecretContent.fromSecretValue(value)`',
  secretObjectValue:
    'Give the value as `content: SecretContent.fromSecretValue(value)` (a JSON string), or generate it with SecretContent.generatedJson(template, field)',
  secretStringBeta1: 'Give the value as `content: SecretContent.fromSecretValue(value)`',
  generateSecretString:
    'Use `content: SecretContent.generatedString(options)` or SecretContent.generatedJson(template, field, options)',
  replicaRegions: 'Call addReplicaRegion(region, key) with a customer-managed key of that region',
};

/** What a rotation function does to the secret it rotates. */
const ROTATION_ACTIONS = [
  'secretsmanager:GetSecretValue',
  'secretsmanager:DescribeSecret',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
];

/**
 * Refuses the props of a VaultSecret that Secrets Manager would refuse or that would weaken it: the
 * name and description, an AWS-managed key or one of another region, the organization id, a name
 * another secret of the app already has, and aws-cdk-lib's SecretProps (dropped in silence
 * otherwise). `secret` is the secret being built: every message starts with its path. The content is
 * checked before (`generationOptionsOf`); the readers, replicas, principals and rotation as the
 * constructor adds them.
 */
export function validateVaultSecretProps(secret: IConstruct, props: VaultSecretProps): void {
  validateSecretName(secret, 'secretName', props.secretName);
  validateText(secret, 'description', props.description, MAX_DESCRIPTION_LENGTH);
  const aliasName = (props.encryptionKey as Partial<kms.IAlias>).aliasName;
  if (typeof aliasName === 'string' && !Token.isUnresolved(aliasName) && aliasName.startsWith('alias/aws/')) {
    invalid(
      secret,
      'encryptionKey',
      aliasName,
      'an AWS-managed key lets any principal of the account with IAM rights decrypt, and cannot serve readers of another account: use a customer-managed key (a VaultKey)',
    );
  }
  const keyRegion = props.encryptionKey.env.region;
  const region = Stack.of(secret).region;
  if (knownToDiffer(keyRegion, region)) {
    invalid(
      secret,
      'encryptionKey',
      summary(`a key of region ${keyRegion}`),
      `Secrets Manager encrypts a secret with a key of the secret's own region (${region}): use a key of that region, and \`replicas\` for other regions`,
    );
  }
  validateOrganizationId(secret, 'allowedOrganizationId', props.allowedOrganizationId);
  if (props.secretName !== undefined) checkSecretNameIsFree(secret, 'secretName', secret, props.secretName);
  refuseSecretProps(secret, props);
}

/**
 * `{ ...secretProps, encryptionKey }` type-checks (TypeScript does not check spread properties for
 * excess), and aws-cdk-lib's props would be dropped in silence: a supplied value replaced by a
 * generated one. The message names the prop, never its value.
 */
function refuseSecretProps(secret: IConstruct, props: VaultSecretProps): void {
  const given = props as unknown as Record<string, unknown>;
  for (const [prop, instead] of Object.entries(SECRET_PROPS_NOT_TAKEN)) {
    if (given[prop] !== undefined) {
      refused(
        secret,
        `the prop \`${prop}\``,
        "it is aws-cdk-lib's SecretProps, which a VaultSecret does not take (it would be dropped in silence)",
        instead,
      );
    }
  }
}

/**
 * The generation options of generated content, with defaults applied (none for supplied content).
 * Refuses options that no generated value could satisfy, and a JSON template without a field name
 * to generate or that already holds the field.
 */
export function generationOptionsOf(
  owner: Owner,
  content: SecretContent,
): ResolvedPasswordOptions | undefined {
  if (content.kind === SecretContentKind.SUPPLIED) return undefined;
  const options = resolvePasswordOptions(owner, content.passwordOptions);
  if (content.kind === SecretContentKind.GENERATED_JSON) {
    validateJsonTemplate(owner, content.template ?? {}, content.generateField ?? '');
  }
  return options;
}

function validateJsonTemplate(owner: Owner, template: Record<string, unknown>, field: string): void {
  if (field.length === 0) {
    invalid(
      owner,
      'content.generateField',
      field,
      'allowed: the name of the JSON field to generate, e.g. "password"',
    );
  }
  if (Object.prototype.hasOwnProperty.call(template, field)) {
    invalid(
      owner,
      'content.template',
      `a template with field "${field}"`,
      'the generated field must not be in the template (its value would land in the template)',
    );
  }
}

/** How a secret's content rotates when no strategy is given: a new value of what it generates. */
export function defaultStrategy(content: SecretContent): RotationStrategy {
  return content.kind === SecretContentKind.GENERATED_JSON
    ? RotationStrategy.generatedJsonField(content.generateField!, content.passwordOptions)
    : RotationStrategy.generatedString(content.passwordOptions);
}

/**
 * A strategy that does not match the content would rotate the wrong thing: a JSON field the content
 * does not generate (the generated field would never change), a JSON field of a string, a whole new
 * string over a JSON value or a supplied value (the other fields, or the supplied value, would be lost).
 */
export function checkStrategyFitsContent(
  secret: IConstruct,
  content: SecretContent,
  strategy: RotationStrategy,
  given: boolean,
): void {
  const prop = given ? 'rotationStrategy' : 'content';
  if (strategy.kind !== 'generated') {
    if (content.kind !== SecretContentKind.GENERATED_JSON) {
      invalid(
        secret,
        prop,
        strategy.kind,
        'a database strategy rotates the database JSON: use SecretsVault.addDatabaseSecret',
      );
    }
    return;
  }
  if (strategy.jsonField !== undefined) {
    if (content.kind !== SecretContentKind.GENERATED_JSON) {
      invalid(
        secret,
        'rotationStrategy',
        `generatedJsonField("${strategy.jsonField}")`,
        'a JSON-field strategy needs JSON content (SecretContent.generatedJson); this secret holds a string',
      );
    }
    if (strategy.jsonField !== content.generateField) {
      invalid(
        secret,
        'rotationStrategy',
        `generatedJsonField("${strategy.jsonField}")`,
        `it rotates field "${strategy.jsonField}", but the content generates "${content.generateField}": rotate that field`,
      );
    }
    return;
  }
  if (content.kind === SecretContentKind.GENERATED_JSON) {
    invalid(
      secret,
      'rotationStrategy',
      'generatedString()',
      `it would replace the whole JSON value with a random string: use RotationStrategy.generatedJsonField("${content.generateField}")`,
    );
  }
  if (content.kind === SecretContentKind.SUPPLIED && !given) {
    invalid(
      secret,
      'rotation',
      'a schedule for a supplied value',
      'rotating with the default strategy would replace the supplied value with a random string: pass a `rotationStrategy` that fits the value, or `rotation: SecretRotationSchedule.never()`',
    );
  }
}

/**
 * Whether a Deny denies the rotation function too: it covers what the function does (read, put, move
 * stages) and names no principal it exempts. Conditions on TLS alone never touch the function, which
 * always uses TLS.
 */
export function denyBlocksRotation(statement: iam.PolicyStatement): boolean {
  const actions = statement.notActions.length > 0 ? ['*'] : statement.actions;
  if (!coversAnyAction(actions, ROTATION_ACTIONS)) return false;
  const keys = Object.values(statement.conditions ?? {}).flatMap((c) =>
    Object.keys(c as object).map((k) => k.toLowerCase()),
  );
  const exemptsSomeone = keys.some(
    (k) => k === 'aws:principalarn' || k === 'aws:userid' || k.startsWith('aws:principaltag/'),
  );
  const tlsOnly = keys.length > 0 && keys.every((k) => k === 'aws:securetransport');
  return !exemptsSomeone && !tlsOnly;
}

/** Statement conditions that bind a service to a source: the confused-deputy guard. */
export function hasSourceCondition(statement: iam.PolicyStatement): boolean {
  const keys = Object.values(statement.conditions ?? {}).flatMap((c) => Object.keys(c as object));
  return keys.some((k) =>
    ['aws:sourceaccount', 'aws:sourcearn', 'aws:sourceowner'].includes(k.toLowerCase()),
  );
}

/** A supplied value is plaintext unless it resolves to a dynamic reference or a parameter. */
export function isPlaintext(scope: Construct, unwrapped: string): boolean {
  const resolved = Stack.of(scope).resolve(unwrapped);
  return typeof resolved === 'string' && !resolved.startsWith('{{resolve:');
}

/**
 * What no member can be made to keep, checked on the finished tree: one resource policy and at most
 * one rotation schedule for this secret (a `secretsmanager.ResourcePolicy` or `RotationSchedule`
 * made directly, or through an attachment, would overwrite ours at deploy), the vault key on the
 * secret's resource and on every replica (a mixin or escape hatch could change them).
 */
export function secretResourceProblems(secret: VaultSecret): string[] {
  const owner = ownerName(secret);
  const cfnSecret = secret.node.defaultChild as secretsmanager.CfnSecret;
  const inStack = Stack.of(secret).node.findAll();
  const ids = [
    secret.secretArn,
    ...inStack
      .filter(
        (c): c is secretsmanager.CfnSecretTargetAttachment =>
          c instanceof secretsmanager.CfnSecretTargetAttachment,
      )
      .filter((a) => sameValue(secret, a.secretId, secret.secretArn))
      .map((a) => a.ref),
  ];
  const forThisSecret = <T extends { secretId: string }>(type: new (...args: never[]) => T) =>
    inStack.filter(
      (c): c is T & Construct =>
        c instanceof type && ids.some((id) => sameValue(secret, (c as T).secretId, id)),
    );
  const errors: string[] = [];
  const policies = forThisSecret(secretsmanager.CfnResourcePolicy);
  if (policies.length > 1) {
    errors.push(
      `${owner}: ${policies.length} resource policies name this secret (${policies.map((p) => p.node.path).join(', ')}); a secret has one, and each would overwrite the other at deploy. Add statements with addToResourcePolicy instead of making a secretsmanager.ResourcePolicy.`,
    );
  }
  const schedules = forThisSecret(secretsmanager.CfnRotationSchedule);
  if (schedules.length > 1) {
    errors.push(
      `${owner}: ${schedules.length} rotation schedules name this secret (${schedules.map((p) => p.node.path).join(', ')}); a secret has one rotation, and each would overwrite the other at deploy. Change the secret's \`rotation\` instead of making a secretsmanager.RotationSchedule.`,
    );
  }
  for (const schedule of schedules.filter((s) => !isOwnSchedule(s))) {
    errors.push(
      `${owner}: rotation schedule ${schedule.node.path} was made around the vault's members (a secretsmanager.RotationSchedule or CfnRotationSchedule made directly), so Secrets Manager's permission to invoke its function is not limited to this secret (aws:SourceAccount, aws:SourceArn: another secret could have the function run for it) and the function's role is not exempt from the secret's read and write guards. Give the secret its \`rotation\` and \`rotationFunction\` props, or use its addRotationSchedule.`,
    );
  }
  if (!sameValue(secret, cfnSecret.kmsKeyId, secret.encryptionKey.keyArn)) {
    errors.push(
      `${owner}: the secret's KmsKeyId is not its encryptionKey (a mixin, aspect or escape hatch changed it); the vault's guards hold only under its encryptionKey. Remove what changes it.`,
    );
  }
  const replicas = (Stack.of(secret).resolve(cfnSecret.replicaRegions) ?? []) as Array<{
    kmsKeyId?: unknown;
    KmsKeyId?: unknown;
    region?: string;
    Region?: string;
  }>;
  for (const replica of replicas) {
    if ((replica.kmsKeyId ?? replica.KmsKeyId) === undefined) {
      errors.push(
        `${owner}: the replica in ${replica.region ?? replica.Region} has no key, so it is encrypted with the AWS-managed key aws/secretsmanager. Pass a customer-managed key of that region: addReplicaRegion(region, key).`,
      );
    }
  }
  return errors;
}
