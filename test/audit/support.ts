import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { SecretContent, SecretsVault } from '../../lib';
import { AuditTrail, SecretsAudit, SecretsAuditProps } from '../../lib/secrets-audit';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
/** The vault's name prefix and its key id in the CloudTrail fixtures. */
export const VAULT_PREFIX = 'example/orders';
export const VAULT_KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
/** The audit's own key id in the CloudTrail fixtures. */
export const AUDIT_KEY_ID = '0987dcba-09fe-87dc-65ba-ab0987654321';
/** The unique id of the vault's rotation role in the CloudTrail fixtures. */
export const ROTATION_ROLE_ID = 'AROA3EXAMPLESECRET';
/** The vault's break-glass role in the CloudTrail fixtures. */
export const BREAK_GLASS_ROLE_ARN = `arn:aws:iam::123456789012:role/BreakGlass`;
/** The log group of a Control Tower organization trail. */
export const ORG_TRAIL_LOG_GROUP = 'aws-controltower/CloudTrailLogs';

export interface AuditedStack {
  readonly app: App;
  readonly stack: Stack;
  readonly vault: SecretsVault;
  readonly audit: SecretsAudit;
  /** Synthesizes on first use. */
  readonly template: Template;
  /** Resolves a CloudFormation value the way a deployment in the fixtures' account would. */
  resolve(value: unknown): unknown;
  /**
   * What `resolve` gives each reference (`LogicalId` or `LogicalId.Attribute`); a test that adds
   * resources adds theirs.
   */
  readonly refs: Record<string, string>;
}

export interface AuditedStackOptions {
  /** Read an organization trail's log group instead of creating a trail. */
  readonly existingTrail?: boolean;
  readonly props?: SecretsAuditProps;
  /** aws-cdk-lib's built-in CloudFormation validator (about 3 s): off unless a test is about it. */
  readonly builtinValidation?: boolean;
  /** Add the vault after the audit and watch it with `watch()`. */
  readonly watchLater?: boolean;
  /** Give the vault a break-glass role created in the stack (its ARN a token). Default true. */
  readonly breakGlass?: boolean;
}

/** A stack with the example vault (two rotating secrets) and an audit watching it. */
export function auditedStack(options: AuditedStackOptions = {}): AuditedStack {
  const app = new App({ builtinCloudFormationValidation: options.builtinValidation ?? false });
  const stack = new Stack(app, 'Audited', { env: { account: ACCOUNT, region: REGION } });
  const trail = options.existingTrail
    ? AuditTrail.fromLogGroup(logs.LogGroup.fromLogGroupName(stack, 'OrgTrailLogs', ORG_TRAIL_LOG_GROUP))
    : undefined;
  const breakGlass =
    options.breakGlass === false
      ? undefined
      : new iam.Role(stack, 'BreakGlass', { assumedBy: new iam.AccountRootPrincipal() });
  const makeVault = () => {
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: VAULT_PREFIX, breakGlass });
    vault.addSecret('PaymentsApiKey', { content: SecretContent.generatedString({ length: 40 }) });
    vault.addSecret('OrdersDb', {
      content: SecretContent.generatedJson({ engine: 'postgres', username: 'orders_app' }, 'password'),
    });
    return vault;
  };
  let vault: SecretsVault;
  let audit: SecretsAudit;
  if (options.watchLater) {
    audit = new SecretsAudit(stack, 'Audit', { trail, ...options.props });
    vault = makeVault();
    audit.watch(vault);
  } else {
    vault = makeVault();
    audit = new SecretsAudit(stack, 'Audit', { trail, vaults: [vault], ...options.props });
  }
  let template: Template | undefined;
  const keyRef = stack.resolve(vault.encryptionKey.keyId) as { Ref: string };
  const auditKeyRef = stack.resolve(audit.encryptionKey.keyId) as { Ref: string };
  const refs: Record<string, string> = { [keyRef.Ref]: VAULT_KEY_ID, [auditKeyRef.Ref]: AUDIT_KEY_ID };
  const rotationRole = vault.existingRotationFunction?.role;
  if (rotationRole) {
    const [id, attribute] = (stack.resolve(rotationRole.roleId) as { 'Fn::GetAtt': [string, string] })[
      'Fn::GetAtt'
    ];
    refs[`${id}.${attribute}`] = ROTATION_ROLE_ID;
  }
  if (breakGlass) {
    const [id, attribute] = (stack.resolve(breakGlass.roleArn) as { 'Fn::GetAtt': [string, string] })[
      'Fn::GetAtt'
    ];
    refs[`${id}.${attribute}`] = BREAK_GLASS_ROLE_ARN;
  }
  return {
    app,
    stack,
    vault,
    audit,
    get template() {
      template ??= Template.fromStack(stack);
      return template;
    },
    resolve: (value) => resolveCfn(value, refs),
    refs,
  };
}

/**
 * Resolves Fn::Join, Fn::Select, Fn::Split, Ref, Fn::GetAtt, Fn::Sub and Fn::ImportValue with the fixtures'
 * account and region; a reference not in `refs` becomes `<LogicalId>` (or `<LogicalId.Attribute>`).
 */
export function resolveCfn(value: unknown, refs: Record<string, string> = {}): unknown {
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': REGION,
    'AWS::AccountId': ACCOUNT,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  if (Array.isArray(value)) return value.map((v) => resolveCfn(v, refs));
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if (Array.isArray(o['Fn::Join'])) {
    const [separator, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolveCfn(p, refs)).join(separator);
  }
  if (Array.isArray(o['Fn::Select'])) {
    const [index, list] = o['Fn::Select'] as [number, unknown];
    return (resolveCfn(list, refs) as unknown[])[index];
  }
  if (Array.isArray(o['Fn::Split'])) {
    const [separator, text] = o['Fn::Split'] as [string, unknown];
    return String(resolveCfn(text, refs)).split(separator);
  }
  if (typeof o.Ref === 'string') return pseudo[o.Ref] ?? refs[o.Ref] ?? `<${o.Ref}>`;
  if (typeof o['Fn::ImportValue'] === 'string') return `<import:${o['Fn::ImportValue']}>`;
  if (typeof o['Fn::Sub'] === 'string') {
    return (o['Fn::Sub'] as string).replace(
      /\$\{([^}]+)\}/g,
      (_m, name: string) => pseudo[name] ?? refs[name] ?? `<${name}>`,
    );
  }
  if (Array.isArray(o['Fn::GetAtt'])) {
    const [id, attribute] = o['Fn::GetAtt'] as [string, string];
    return refs[`${id}.${attribute}`] ?? `<${id}.${attribute}>`;
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolveCfn(v, refs)]));
}

const FIXTURES = join(__dirname, '..', 'fixtures', 'cloudtrail');

/** The CloudTrail records in test/fixtures/cloudtrail, by file name without `.json`. */
export function cloudTrailFixtures(): Record<string, Record<string, any>> {
  return Object.fromEntries(
    readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.json'))
      .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(FIXTURES, f), 'utf8'))]),
  );
}
