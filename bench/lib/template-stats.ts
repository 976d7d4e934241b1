/**
 * What grows in a synthesized template: resource counts and the size of the documents that AWS
 * caps (IAM policies, key policy, secret resource policies, dashboard body, Lambda environment).
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface CfnResource {
  Type: string;
  Properties?: Record<string, Json>;
  DependsOn?: string | string[];
}

export interface Template {
  Resources?: Record<string, CfnResource>;
}

/** The largest document of one kind: its size and the logical id that has it. */
export interface Largest {
  readonly chars: number;
  readonly logicalId: string;
}

export interface TemplateStats {
  readonly resources: number;
  readonly byType: Record<string, number>;
  /** Per role: its inline policies (Role.Policies + AWS::IAM::Policy attached to it) together. */
  readonly roleInlinePolicies: Largest;
  /** Any one customer-managed policy. */
  readonly managedPolicy: Largest;
  readonly keyPolicy: Largest;
  readonly secretResourcePolicy: Largest;
  readonly dashboardBody: Largest;
  readonly lambdaEnvironment: Largest;
  readonly metricFilterPattern: Largest;
  /** The most DependsOn entries on one resource. */
  readonly dependsOn: Largest;
  /** The most customer-managed policies attached to one role (IAM's default quota is 10). */
  readonly managedPoliciesPerRole: Largest;
}

/** AWS's limits on those documents (characters without whitespace). */
export const LIMITS = {
  resources: 500,
  roleInlinePolicies: 10_240,
  managedPolicy: 6_144,
  keyPolicy: 32_768,
  secretResourcePolicy: 20_480,
  lambdaEnvironment: 4_096,
  managedPoliciesPerRole: 10,
  metricFilterPattern: 1_024,
  templateBytesS3: 1_048_576,
} as const;

const ARN_PLACEHOLDER = 80;
const PSEUDO_LENGTHS: Record<string, number> = {
  'AWS::AccountId': 12,
  'AWS::Region': 12,
  'AWS::Partition': 3,
  'AWS::URLSuffix': 13,
  'AWS::StackName': 24,
  'AWS::StackId': 100,
  'AWS::NoValue': 0,
};

/**
 * An estimate of what an intrinsic-laden value looks like once deployed: a Ref or GetAtt becomes an
 * 80-character placeholder (about an ARN), pseudo parameters their usual length, joins are joined.
 * IAM and KMS limits count the deployed document, not the template's `{"Ref": ...}`.
 */
export function render(value: Json): Json {
  if (Array.isArray(value)) return value.map(render);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const [fn] = keys;
    const arg = value[fn];
    if (fn === 'Ref' && typeof arg === 'string') return 'x'.repeat(PSEUDO_LENGTHS[arg] ?? ARN_PLACEHOLDER);
    if (fn === 'Fn::GetAtt' || fn === 'Fn::ImportValue') return 'x'.repeat(ARN_PLACEHOLDER);
    if (fn === 'Fn::Join' && Array.isArray(arg) && Array.isArray(arg[1])) {
      return arg[1].map((part) => String(render(part))).join(String(arg[0]));
    }
    if (fn === 'Fn::Sub') return String(Array.isArray(arg) ? arg[0] : arg);
    if (fn === 'Fn::Select' || fn === 'Fn::Split' || fn === 'Fn::If') return 'x'.repeat(12);
  }
  return Object.fromEntries(keys.map((k) => [k, render(value[k])]));
}

/** Characters of the deployed document (no whitespace, as IAM counts). */
export function deployedChars(value: Json | undefined): number {
  if (value === undefined) return 0;
  const rendered = render(value);
  return typeof rendered === 'string' ? rendered.length : JSON.stringify(rendered).length;
}

/** Lambda's 4 KB limit counts the keys and values of the environment. */
function environmentChars(variables: Json | undefined): number {
  if (!variables || typeof variables !== 'object' || Array.isArray(variables)) return 0;
  return Object.entries(variables).reduce((sum, [k, v]) => sum + k.length + String(render(v)).length, 0);
}

export function templateStats(template: Template): TemplateStats {
  const resources = template.Resources ?? {};
  const byType: Record<string, number> = {};
  const largest = () => ({ chars: 0, logicalId: '-' });
  const out = {
    roleInlinePolicies: largest(),
    managedPolicy: largest(),
    keyPolicy: largest(),
    secretResourcePolicy: largest(),
    dashboardBody: largest(),
    lambdaEnvironment: largest(),
    metricFilterPattern: largest(),
    dependsOn: largest(),
    managedPoliciesPerRole: largest(),
  };
  const keep = (which: keyof typeof out, chars: number, logicalId: string) => {
    if (chars > out[which].chars) out[which] = { chars, logicalId };
  };
  const roleInline: Record<string, number> = {};
  const roleManaged: Record<string, number> = {};
  const refsOf = (list: Json | undefined) =>
    Array.isArray(list) ? list.map((x) => (x as { Ref?: string })?.Ref).filter((x): x is string => !!x) : [];

  for (const [id, resource] of Object.entries(resources)) {
    byType[resource.Type] = (byType[resource.Type] ?? 0) + 1;
    const props = resource.Properties ?? {};
    const dependsOn = resource.DependsOn;
    keep('dependsOn', Array.isArray(dependsOn) ? dependsOn.length : dependsOn ? 1 : 0, id);
    switch (resource.Type) {
      case 'AWS::IAM::Role':
        for (const ref of refsOf(props.ManagedPolicyArns)) {
          if (resources[ref]?.Type === 'AWS::IAM::ManagedPolicy')
            roleManaged[id] = (roleManaged[id] ?? 0) + 1;
        }
        for (const inline of (props.Policies as { PolicyDocument: Json }[] | undefined) ?? []) {
          roleInline[id] = (roleInline[id] ?? 0) + deployedChars(inline.PolicyDocument);
        }
        break;
      case 'AWS::IAM::Policy':
        for (const role of (props.Roles as Json[] | undefined) ?? []) {
          const ref = (role as { Ref?: string }).Ref ?? String(role);
          roleInline[ref] = (roleInline[ref] ?? 0) + deployedChars(props.PolicyDocument);
        }
        break;
      case 'AWS::IAM::ManagedPolicy':
        keep('managedPolicy', deployedChars(props.PolicyDocument), id);
        for (const ref of refsOf(props.Roles)) roleManaged[ref] = (roleManaged[ref] ?? 0) + 1;
        break;
      case 'AWS::KMS::Key':
        keep('keyPolicy', deployedChars(props.KeyPolicy), id);
        break;
      case 'AWS::SecretsManager::ResourcePolicy':
        keep('secretResourcePolicy', deployedChars(props.ResourcePolicy), id);
        break;
      case 'AWS::CloudWatch::Dashboard':
        keep('dashboardBody', deployedChars(props.DashboardBody), id);
        break;
      case 'AWS::Lambda::Function':
        keep(
          'lambdaEnvironment',
          environmentChars((props.Environment as { Variables?: Json })?.Variables),
          id,
        );
        break;
      case 'AWS::Logs::MetricFilter':
        keep('metricFilterPattern', deployedChars(props.FilterPattern), id);
        break;
    }
  }
  for (const [role, chars] of Object.entries(roleInline)) keep('roleInlinePolicies', chars, role);
  for (const [role, count] of Object.entries(roleManaged)) keep('managedPoliciesPerRole', count, role);
  return { resources: Object.keys(resources).length, byType, ...out };
}
