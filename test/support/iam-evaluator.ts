/**
 * Decides requests against synthesized CloudFormation templates the way AWS would, with the
 * independent IAM engine @cloud-copilot/iam-simulate.
 *
 * Licence: iam-simulate is AGPL-3.0. It is a devDependency used by tests only; nothing under lib/ or
 * lambda/ may import it or this file, so it never reaches the package or the bundle.
 *
 * The templates are made concrete first: every intrinsic resolves to the ARN it would have once
 * deployed in a fixed account and region (an intrinsic the resolver does not know is an error, never
 * dropped), so that the engine compares real strings, as AWS does.
 */
import { createHash } from 'node:crypto';
import { anonymousPrincipal, runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';

export const ACCOUNT = '111111111111';
export const REGION = 'eu-west-1';
export const PARTITION = 'aws';
export const URL_SUFFIX = 'amazonaws.com';

/** An IAM policy document, with every intrinsic resolved. */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: Record<string, unknown>[] | Record<string, unknown>;
}

/** `*:*`, as an account administrator (AdministratorAccess) has it. */
export const ADMINISTRATOR_ACCESS: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};

/** One synthesized stack and the environment it deploys to. */
export interface StackTemplate {
  readonly template: Record<string, any>;
  /** @default 'Stack' (or 'Stack<n>' when there are several) */
  readonly stackName?: string;
  /** @default ACCOUNT */
  readonly account?: string;
  /** @default REGION */
  readonly region?: string;
}

export interface EvaluatorOptions {
  /** Documents of AWS-managed policies a role attaches, by ARN, beyond the few this file knows. */
  readonly managedPolicies?: Record<string, PolicyDocument>;
  /** Values of template parameters that have no usable default. */
  readonly parameters?: Record<string, string>;
  /** The organization (`o-...`) of each account that is in one, for `aws:PrincipalOrgID`. */
  readonly organizations?: Record<string, string>;
}

/**
 * Who makes a request.
 * - `role`: a role of the templates, by logical id or construct path (path metadata must be on);
 *   the request comes from a session of the role, as every real request does.
 * - `arn`: a principal the templates do not hold (another account's role, an administrator), with
 *   the identity policies the test gives it.
 * - `service`: an AWS service acting as itself, with the source it acts for.
 * - `anonymous`: an unsigned request.
 */
export type Principal =
  | { readonly role: string; readonly stack?: string; readonly session?: string }
  | {
      readonly arn: string;
      readonly policies?: PolicyDocument[];
      readonly permissionsBoundary?: PolicyDocument;
      readonly orgId?: string;
      readonly session?: string;
    }
  | {
      readonly service: string;
      readonly sourceAccount?: string;
      readonly sourceArn?: string;
      readonly sourceOrgId?: string;
    }
  | { readonly anonymous: true };

export const ANONYMOUS: Principal = { anonymous: true };

/** A principal of any account with `*:*` in its own account. */
export function administrator(arn: string, orgId?: string): Principal {
  return { arn, policies: [ADMINISTRATOR_ACCESS], orgId };
}

/** A context value; `null` removes a key the evaluator would otherwise fill. */
export type ContextValue = string | string[] | null;

export interface AccessRequest {
  readonly principal: Principal;
  readonly action: string;
  /** A logical id or construct path of the templates, or any ARN. */
  readonly resource: string;
  /**
   * The service that makes the request on the principal's behalf (`'secretsmanager'`): fills
   * `kms:ViaService`, `aws:CalledVia` and `aws:ViaAWSService`.
   */
  readonly via?: string;
  /** Context keys over the defaults a real request carries. */
  readonly context?: Record<string, ContextValue>;
}

export type DecisionResult = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

export interface Decision {
  readonly decision: DecisionResult;
  /** The decisive statement: its Sid, or `<policy> statement <n>`; none for an implicit deny. */
  readonly statement?: string;
  /** Every decisive statement (all the matching denies, or every allow that granted). */
  readonly statements: string[];
  /** Why, in one line, for test failure messages. */
  readonly summary: string;
  readonly action: string;
  readonly resourceArn: string;
  readonly context: Record<string, string | string[]>;
  /** Context keys the engine dropped because the action does not carry them. */
  readonly ignoredContextKeys: string[];
}

/** A read of a secret: Secrets Manager's decision on the secret and KMS's on its key. */
export interface TwoSidedDecision extends Decision {
  readonly secret: Decision;
  readonly key: Decision;
}

const AWS_MANAGED_POLICIES: Record<string, PolicyDocument> = {
  [`arn:${PARTITION}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`]: {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: '*',
      },
    ],
  },
  [`arn:${PARTITION}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole`]: {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        Resource: '*',
      },
    ],
  },
};

/** The stacks of a synthesized app, each with its own environment. */
export function stacksOf(assembly: CloudAssembly): StackTemplate[] {
  return assembly.stacksRecursively.map((artifact) => ({
    template: artifact.template,
    stackName: artifact.stackName,
    account: known(artifact.environment.account),
    region: known(artifact.environment.region),
  }));
}

function known(value: string): string | undefined {
  return value.startsWith('unknown-') ? undefined : value;
}

/** Removes a key or element, as `Ref: AWS::NoValue` does. */
const NO_VALUE = Symbol('AWS::NoValue');

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
  readonly Metadata?: Record<string, any>;
  readonly Condition?: string;
}

interface Physical {
  readonly ref: string;
  readonly attrs: Record<string, string>;
}

/** A resource of one of the stacks. */
interface Located {
  readonly stack: StackModel;
  readonly id: string;
  readonly resource: Resource;
}

/** Deterministic stand-ins for the random parts of physical names and ids. */
function hashed(input: string, length: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'): string {
  const bytes = createHash('sha256').update(input).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i % bytes.length]! % alphabet.length];
  return out;
}

function uuidOf(input: string): string {
  const h = createHash('sha256').update(input).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function isIntrinsicKey(key: string): boolean {
  return key === 'Ref' || key.startsWith('Fn::');
}

class StackModel {
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  readonly resources: Record<string, Resource>;
  private readonly physicals = new Map<string, Physical>();
  private conditionValues?: Record<string, boolean>;

  constructor(
    private readonly input: StackTemplate,
    defaultName: string,
    private readonly model: Model,
  ) {
    this.stackName = input.stackName ?? defaultName;
    this.account = input.account ?? ACCOUNT;
    this.region = input.region ?? REGION;
    const all = (input.template.Resources ?? {}) as Record<string, Resource>;
    this.resources = Object.fromEntries(
      Object.entries(all).filter(([, r]) => r.Condition === undefined || this.condition(r.Condition)),
    );
  }

  get template(): Record<string, any> {
    return this.input.template;
  }

  /** Replaces every intrinsic in a value by what CloudFormation would put there. */
  resolve(value: unknown): any {
    const out = this.resolveValue(value);
    return out === NO_VALUE ? undefined : out;
  }

  private resolveValue(value: unknown): unknown {
    if (Array.isArray(value)) {
      return value.map((v) => this.resolveValue(v)).filter((v) => v !== NO_VALUE);
    }
    if (value === null || typeof value !== 'object') return value;
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object);
    if (keys.length === 1 && isIntrinsicKey(keys[0]!)) {
      return this.intrinsic(keys[0]!, object[keys[0]!]);
    }
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const v = this.resolveValue(object[key]);
      if (v !== NO_VALUE) out[key] = v;
    }
    return out;
  }

  private intrinsic(name: string, arg: unknown): unknown {
    switch (name) {
      case 'Ref':
        return this.ref(this.string(arg, 'Ref'));
      case 'Fn::GetAtt': {
        const [id, attr] =
          typeof arg === 'string' ? splitOnce(arg, '.') : (this.resolveValue(arg) as string[]);
        return this.getAtt(id!, attr!);
      }
      case 'Fn::Join': {
        const [delimiter, list] = arg as [string, unknown];
        const items = this.resolveValue(list);
        if (!Array.isArray(items)) throw this.error(`Fn::Join of a non-list: ${JSON.stringify(list)}`);
        return items.map((i) => this.scalar(i, 'Fn::Join')).join(delimiter);
      }
      case 'Fn::Sub':
        return this.sub(arg);
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const items = this.resolveValue(list);
        const i = Number(this.resolveValue(index));
        if (!Array.isArray(items) || !Number.isInteger(i) || i < 0 || i >= items.length) {
          throw this.error(`Fn::Select ${i} out of ${JSON.stringify(items)}`);
        }
        return items[i];
      }
      case 'Fn::Split': {
        const [delimiter, source] = arg as [string, unknown];
        return this.string(this.resolveValue(source), 'Fn::Split').split(delimiter);
      }
      case 'Fn::ImportValue':
        return this.model.importValue(this.string(this.resolveValue(arg), 'Fn::ImportValue'));
      case 'Fn::FindInMap': {
        const [map, top, second] = (arg as unknown[]).map((a) => this.string(this.resolveValue(a), name));
        const found = this.template.Mappings?.[map!]?.[top!]?.[second!];
        if (found === undefined) throw this.error(`Fn::FindInMap: no ${map}.${top}.${second}`);
        return this.resolveValue(found);
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = arg as [string, unknown, unknown];
        return this.resolveValue(this.condition(condition) ? whenTrue : whenFalse);
      }
      default:
        throw this.error(`unsupported intrinsic ${name}: ${JSON.stringify(arg)}`);
    }
  }

  private sub(arg: unknown): string {
    const [text, variables] =
      typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, unknown>]);
    return text.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (Object.prototype.hasOwnProperty.call(variables, name)) {
        return this.scalar(this.resolveValue(variables[name]), `Fn::Sub ${whole}`);
      }
      if (name.includes('.') && !name.startsWith('AWS::')) {
        const [id, attr] = splitOnce(name, '.');
        return this.getAtt(id!, attr!);
      }
      return this.scalar(this.ref(name), `Fn::Sub ${whole}`);
    });
  }

  private ref(name: string): unknown {
    switch (name) {
      case 'AWS::AccountId':
        return this.account;
      case 'AWS::Region':
        return this.region;
      case 'AWS::Partition':
        return PARTITION;
      case 'AWS::URLSuffix':
        return URL_SUFFIX;
      case 'AWS::StackName':
        return this.stackName;
      case 'AWS::StackId':
        return `arn:${PARTITION}:cloudformation:${this.region}:${this.account}:stack/${this.stackName}/${uuidOf(this.stackName)}`;
      case 'AWS::NotificationARNs':
        return [];
      case 'AWS::NoValue':
        return NO_VALUE;
    }
    const parameter = this.template.Parameters?.[name];
    if (parameter) {
      const given = this.model.options.parameters?.[name];
      if (given !== undefined) return given;
      if (parameter.Default !== undefined && !String(parameter.Type).startsWith('AWS::SSM::')) {
        return parameter.Default;
      }
      throw this.error(`parameter ${name} has no value: give it in options.parameters`);
    }
    return this.physical(name).ref;
  }

  private getAtt(id: string, attr: string): string {
    const value = this.physical(id).attrs[attr];
    if (value === undefined) {
      throw this.error(`Fn::GetAtt ${id}.${attr}: attribute unknown for ${this.resourceOf(id).Type}`);
    }
    return value;
  }

  resourceOf(id: string): Resource {
    const resource = this.resources[id];
    if (!resource) throw this.error(`no resource ${id}`);
    return resource;
  }

  /** The physical id (Ref) and attributes a resource would have once deployed. */
  physical(id: string): Physical {
    const cached = this.physicals.get(id);
    if (cached) return cached;
    const made = this.makePhysical(id, this.resourceOf(id));
    this.physicals.set(id, made);
    return made;
  }

  private makePhysical(id: string, resource: Resource): Physical {
    const props = resource.Properties ?? {};
    const { account, region } = this;
    const seed = `${account}/${region}/${this.stackName}/${id}`;
    const generated = (max: number) => `${this.stackName}-${id}`.slice(0, max - 13) + `-${hashed(seed, 12)}`;
    const named = (prop: string, max: number) =>
      props[prop] !== undefined ? this.string(this.resolve(props[prop]), prop) : generated(max);
    const arn = (service: string, rest: string, inRegion = true) =>
      `arn:${PARTITION}:${service}:${inRegion ? region : ''}:${account}:${rest}`;
    switch (resource.Type) {
      case 'AWS::IAM::Role': {
        const name = named('RoleName', 64);
        const path = props.Path ? this.string(this.resolve(props.Path), 'Path') : '/';
        return {
          ref: name,
          attrs: { Arn: arn('iam', `role${path}${name}`, false), RoleId: `AROA${hashed(seed, 17)}` },
        };
      }
      case 'AWS::IAM::User': {
        const name = named('UserName', 64);
        const path = props.Path ? this.string(this.resolve(props.Path), 'Path') : '/';
        return { ref: name, attrs: { Arn: arn('iam', `user${path}${name}`, false) } };
      }
      case 'AWS::IAM::ManagedPolicy': {
        const name = named('ManagedPolicyName', 128);
        const path = props.Path ? this.string(this.resolve(props.Path), 'Path') : '/';
        const policyArn = arn('iam', `policy${path}${name}`, false);
        return { ref: policyArn, attrs: { PolicyArn: policyArn } };
      }
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::RolePolicy':
        return { ref: generated(128), attrs: {} };
      case 'AWS::KMS::Key': {
        const keyId = uuidOf(seed);
        return { ref: keyId, attrs: { Arn: arn('kms', `key/${keyId}`), KeyId: keyId } };
      }
      case 'AWS::KMS::Alias':
        return { ref: this.string(this.resolve(props.AliasName), 'AliasName'), attrs: {} };
      case 'AWS::SecretsManager::Secret': {
        const name = named('Name', 256);
        const secretArn = arn(
          'secretsmanager',
          `secret:${name}-${hashed(seed, 6, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ')}`,
        );
        return { ref: secretArn, attrs: { Id: secretArn } };
      }
      case 'AWS::SecretsManager::ResourcePolicy':
      case 'AWS::SecretsManager::RotationSchedule':
        return { ref: this.string(this.resolve(props.SecretId), 'SecretId'), attrs: {} };
      case 'AWS::Lambda::Function': {
        const name = named('FunctionName', 64);
        return { ref: name, attrs: { Arn: arn('lambda', `function:${name}`) } };
      }
      case 'AWS::Lambda::Permission':
        return { ref: generated(64), attrs: {} };
      case 'AWS::Logs::LogGroup': {
        const name = named('LogGroupName', 512);
        return { ref: name, attrs: { Arn: arn('logs', `log-group:${name}:*`) } };
      }
      case 'AWS::SNS::Topic': {
        const name = named('TopicName', 256);
        const topicArn = arn('sns', name);
        return { ref: topicArn, attrs: { TopicArn: topicArn, TopicName: name } };
      }
      case 'AWS::SQS::Queue': {
        const name = named('QueueName', 80);
        return {
          ref: `https://sqs.${region}.${URL_SUFFIX}/${account}/${name}`,
          attrs: { Arn: arn('sqs', name), QueueName: name },
        };
      }
      case 'AWS::S3::Bucket': {
        const name = named('BucketName', 63).toLowerCase();
        return {
          ref: name,
          attrs: {
            Arn: `arn:${PARTITION}:s3:::${name}`,
            DomainName: `${name}.s3.${URL_SUFFIX}`,
            RegionalDomainName: `${name}.s3.${region}.${URL_SUFFIX}`,
          },
        };
      }
      case 'AWS::Events::Rule': {
        const name = named('Name', 64);
        return { ref: name, attrs: { Arn: arn('events', `rule/${name}`) } };
      }
      case 'AWS::CloudTrail::Trail': {
        const name = named('TrailName', 128);
        return { ref: name, attrs: { Arn: arn('cloudtrail', `trail/${name}`) } };
      }
      case 'AWS::CloudWatch::Alarm': {
        const name = named('AlarmName', 255);
        return { ref: name, attrs: { Arn: arn('cloudwatch', `alarm:${name}`) } };
      }
      case 'AWS::EC2::SecurityGroup': {
        const groupId = `sg-${hashed(seed, 17, '0123456789abcdef')}`;
        return { ref: groupId, attrs: { GroupId: groupId } };
      }
      default:
        throw this.error(
          `no physical-id rule for ${resource.Type} (Ref/GetAtt of ${id}); add one to test/support/iam-evaluator.ts`,
        );
    }
  }

  private condition(name: string): boolean {
    this.conditionValues ??= {};
    if (this.conditionValues[name] === undefined) {
      const expression = this.template.Conditions?.[name];
      if (expression === undefined) throw this.error(`no condition ${name}`);
      this.conditionValues[name] = this.evaluateCondition(expression);
    }
    return this.conditionValues[name]!;
  }

  private evaluateCondition(expression: any): boolean {
    const [key] = Object.keys(expression);
    const arg = expression[key!];
    switch (key) {
      case 'Condition':
        return this.condition(arg);
      case 'Fn::Equals': {
        const [a, b] = (arg as unknown[]).map((v) => this.resolve(v));
        return JSON.stringify(a) === JSON.stringify(b);
      }
      case 'Fn::Not':
        return !this.evaluateCondition(arg[0]);
      case 'Fn::And':
        return (arg as unknown[]).every((c) => this.evaluateCondition(c));
      case 'Fn::Or':
        return (arg as unknown[]).some((c) => this.evaluateCondition(c));
      default:
        throw this.error(`unsupported condition function ${key}`);
    }
  }

  private string(value: unknown, where: string): string {
    if (typeof value !== 'string') {
      throw this.error(`${where}: expected a string, got ${JSON.stringify(value)}`);
    }
    return value;
  }

  private scalar(value: unknown, where: string): string {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      return String(value);
    }
    throw this.error(`${where}: expected a scalar, got ${JSON.stringify(value)}`);
  }

  error(message: string): Error {
    return new Error(`iam-evaluator, stack ${this.stackName}: ${message}`);
  }
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return [text.slice(0, at), text.slice(at + separator.length)];
}

/** The templates and what the evaluator knows about accounts. */
class Model {
  readonly stacks: StackModel[];

  constructor(
    inputs: StackTemplate[],
    readonly options: EvaluatorOptions,
  ) {
    this.stacks = inputs.map(
      (input, i) => new StackModel(input, inputs.length === 1 ? 'Stack' : `Stack${i + 1}`, this),
    );
  }

  importValue(name: string): unknown {
    for (const stack of this.stacks) {
      for (const output of Object.values<any>(stack.template.Outputs ?? {})) {
        if (output.Export && stack.resolve(output.Export.Name) === name) return stack.resolve(output.Value);
      }
    }
    throw new Error(`iam-evaluator: Fn::ImportValue ${name}: no stack exports it`);
  }

  /** A resource by logical id or construct path, optionally in one named stack. */
  locate(ref: string, stackName?: string): Located {
    const candidates = this.stacks.filter((s) => stackName === undefined || s.stackName === stackName);
    const found: Located[] = [];
    for (const stack of candidates) {
      for (const [id, resource] of Object.entries(stack.resources)) {
        const path: string | undefined = resource.Metadata?.['aws:cdk:path'];
        const paths = path ? [path, path.replace(/\/Resource$/, '')] : [];
        const withStack = paths.flatMap((p) => [p, p.slice(p.indexOf('/') + 1)]);
        if (id === ref || withStack.includes(ref)) found.push({ stack, id, resource });
      }
    }
    if (found.length === 1) return found[0]!;
    if (found.length === 0) {
      throw new Error(
        `iam-evaluator: no resource "${ref}"${stackName ? ` in stack ${stackName}` : ''}: give a logical id, ` +
          'or a construct path with path metadata on (context aws:cdk:enable-path-metadata)',
      );
    }
    throw new Error(
      `iam-evaluator: "${ref}" names ${found.length} resources (${found.map((f) => `${f.stack.stackName}/${f.id}`).join(', ')}): name the stack`,
    );
  }

  /** The resource of the templates whose Ref or Arn is this ARN, if any. */
  locateArn(arn: string): Located | undefined {
    for (const stack of this.stacks) {
      for (const [id, resource] of Object.entries(stack.resources)) {
        if (!ARN_BEARING_TYPES.has(resource.Type)) continue;
        const physical = stack.physical(id);
        if (physical.ref === arn || Object.values(physical.attrs).includes(arn)) {
          return { stack, id, resource };
        }
      }
    }
    return undefined;
  }

  ofType(type: string, account: string): Located[] {
    return this.stacks
      .filter((s) => s.account === account)
      .flatMap((stack) =>
        Object.entries(stack.resources)
          .filter(([, r]) => r.Type === type)
          .map(([id, resource]) => ({ stack, id, resource })),
      );
  }
}

const ARN_BEARING_TYPES = new Set([
  'AWS::IAM::Role',
  'AWS::IAM::User',
  'AWS::KMS::Key',
  'AWS::SecretsManager::Secret',
  'AWS::Lambda::Function',
]);

/** What the evaluator needs of the principal of one request. */
interface RequestIdentity {
  readonly principal: Simulation['request']['principal'];
  readonly label: string;
  readonly identityPolicies: { name: string; policy: PolicyDocument }[];
  readonly permissionBoundaries?: { name: string; policy: PolicyDocument }[];
  readonly context: Record<string, string | string[]>;
  readonly account?: string;
}

/** The resource of one request, with the policy attached to it. */
interface RequestResource {
  readonly arn: string;
  readonly account: string;
  readonly region: string;
  readonly type?: string;
  readonly policy?: { name: string; document: PolicyDocument };
  readonly tags: Record<string, string>;
}

const ORDER: Record<DecisionResult, number> = { Allowed: 0, ImplicitlyDenied: 1, ExplicitlyDenied: 2 };

/**
 * Decides requests against one or several synthesized stacks. The engine applies AWS's documented
 * logic: in the resource's account an allow in either the identity or the resource policy suffices;
 * across accounts both must allow; an explicit deny anywhere wins. A KMS key policy grants on its
 * own, unless its statement names the account root: then it delegates, and the principal's identity
 * policy must allow too. A role's trust policy must always allow.
 */
export class IamEvaluator {
  private readonly model: Model;
  private readonly identities = new Map<string, RequestIdentity>();
  private readonly resourcesByRef = new Map<string, RequestResource>();

  constructor(
    templates: StackTemplate | StackTemplate[] | Record<string, any>,
    options: EvaluatorOptions = {},
  ) {
    const list = Array.isArray(templates) ? templates : [templates];
    const inputs = list.map((t) =>
      'template' in t && typeof t.template === 'object' && !('Resources' in t)
        ? (t as StackTemplate)
        : { template: t },
    );
    this.model = new Model(inputs, options);
  }

  /** A value of the templates with every intrinsic resolved (in the first stack, or the one named). */
  resolve(value: unknown, stackName?: string): any {
    const stack = stackName ? this.model.stacks.find((s) => s.stackName === stackName) : this.model.stacks[0];
    if (!stack) throw new Error(`iam-evaluator: no stack ${stackName}`);
    return stack.resolve(value);
  }

  /** The ARN a resource of the templates would have (a role's, key's, secret's, function's). */
  arnOf(ref: string, stackName?: string): string {
    const { stack, id } = this.model.locate(ref, stackName);
    const physical = stack.physical(id);
    return physical.attrs.Arn ?? physical.ref;
  }

  /** The logical id of a resource given by logical id or construct path. */
  logicalIdOf(ref: string, stackName?: string): string {
    return this.model.locate(ref, stackName).id;
  }

  async decide(request: AccessRequest): Promise<Decision> {
    const identity = this.identity(request.principal);
    const resource = this.resource(request.resource);
    const context = this.context(request, identity, resource);
    const resourcePolicy =
      resource.policy && appliesTo(resource.type, request.action) ? resource.policy : undefined;
    const anonymous = 'anonymous' in request.principal;
    const result = await runSimulation(
      {
        request: {
          principal: identity.principal,
          action: request.action,
          resource: { resource: resource.arn, accountId: resource.account },
          contextVariables: context,
        },
        identityPolicies: anonymous ? [] : identity.identityPolicies,
        permissionBoundaryPolicies: identity.permissionBoundaries,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: resourcePolicy?.document,
      },
      {},
    );
    if (result.resultType === 'error') {
      throw new Error(
        `iam-evaluator: the engine refused ${identity.label} ${request.action} on ${resource.arn}: ${JSON.stringify(result.errors)}`,
      );
    }
    if (result.resultType !== 'single') {
      throw new Error(`iam-evaluator: ${resource.arn} is a pattern; give one resource`);
    }
    this.assertFaithful(request.action, result.result.ignoredContextKeys ?? [], [
      ...identity.identityPolicies.map((p) => p.policy),
      ...(identity.permissionBoundaries ?? []).map((p) => p.policy),
      ...(resourcePolicy ? [resourcePolicy.document] : []),
    ]);
    const analysis = result.result.analysis;
    const name = (
      s: { policyId?: string; statement: { sid(): string | undefined; index(): number } },
      policy?: string,
    ) => s.statement.sid() ?? `${policy ?? s.policyId ?? 'policy'} statement ${s.statement.index()}`;
    const resourceName = resourcePolicy?.name;
    let statements: string[] = [];
    if (analysis.result === 'ExplicitlyDenied') {
      statements = [
        ...(analysis.resourceAnalysis?.denyStatements ?? []).map((s) => name(s, resourceName)),
        ...(analysis.identityAnalysis?.denyStatements ?? []).map((s) => name(s)),
        ...(analysis.permissionBoundaryAnalysis?.denyStatements ?? []).map((s) => name(s)),
      ];
    } else if (analysis.result === 'Allowed') {
      statements = [
        ...(analysis.resourceAnalysis?.allowStatements ?? []).map((s) => name(s, resourceName)),
        ...(analysis.identityAnalysis?.allowStatements ?? []).map((s) => name(s)),
      ];
    }
    const reason =
      analysis.result === 'ImplicitlyDenied'
        ? implicitReason(
            analysis.identityAnalysis?.result,
            analysis.resourceAnalysis?.result,
            analysis.sameAccount,
          )
        : `by ${statements.join(', ')}`;
    return {
      decision: analysis.result,
      statement: statements[0],
      statements,
      summary: `${identity.label} ${request.action} on ${resource.arn}${request.via ? ` via ${request.via}` : ''}: ${analysis.result} ${reason}`,
      action: request.action,
      resourceArn: resource.arn,
      context,
      ignoredContextKeys: result.result.ignoredContextKeys ?? [],
    };
  }

  /**
   * The engine drops some context keys that AWS evaluates (test/access/simulator-vs-aws.test.ts): a
   * policy that conditions on one would be decided wrongly, so say so instead of answering.
   */
  private assertFaithful(action: string, ignored: string[], documents: PolicyDocument[]) {
    const used = conditionKeysOf(documents);
    const dropped = ignored.filter((k) => ENGINE_DROPS.some((re) => re.test(k)) && used.has(k.toLowerCase()));
    const unsent = [...used].filter((k) => UNSENT.some((re) => re.test(k)));
    const [key] = [...dropped, ...unsent];
    if (key) {
      throw new Error(
        `iam-evaluator: a policy of this request conditions on ${key}, which AWS evaluates for ${action} but ` +
          'iam-simulate cannot (see test/access/simulator-vs-aws.test.ts): the decision would be wrong, so there is none',
      );
    }
  }

  /**
   * A read of a secret's value: `GetSecretValue` on the secret, and the `kms:Decrypt` that Secrets
   * Manager then makes on the principal's behalf on the secret's key. Both must be allowed.
   *
   * @param stage the version stage the request names; `null` names none
   * @param context overrides for the Secrets Manager request
   */
  async canRead(
    principal: Principal,
    secret: string,
    stage: string | null = 'AWSCURRENT',
    context: Record<string, ContextValue> = {},
  ): Promise<TwoSidedDecision> {
    return this.twoSided(principal, secret, 'secretsmanager:GetSecretValue', 'kms:Decrypt', {
      'secretsmanager:VersionStage': stage,
      ...context,
    });
  }

  /**
   * A write of a new value: `PutSecretValue` on the secret, and the `kms:GenerateDataKey` that
   * Secrets Manager makes on the principal's behalf to encrypt it.
   */
  async canWrite(
    principal: Principal,
    secret: string,
    context: Record<string, ContextValue> = {},
  ): Promise<TwoSidedDecision> {
    // Secrets Manager's guide ("Permissions for the KMS key"): whoever creates or changes a value needs
    // kms:GenerateDataKey and kms:Decrypt on the key, Secrets Manager calling KMS on their behalf.
    return this.twoSided(
      principal,
      secret,
      'secretsmanager:PutSecretValue',
      ['kms:GenerateDataKey', 'kms:Decrypt'],
      context,
    );
  }

  private async twoSided(
    principal: Principal,
    secret: string,
    secretAction: string,
    keyActions: string | string[],
    context: Record<string, ContextValue>,
  ): Promise<TwoSidedDecision> {
    const secretDecision = await this.decide({ principal, action: secretAction, resource: secret, context });
    const key = this.keyOfSecret(secret);
    const keyDecisions = await Promise.all(
      [keyActions].flat().map((action) =>
        this.decide({
          principal,
          action,
          resource: key,
          via: 'secretsmanager',
          context: {
            'kms:EncryptionContext:SecretARN': secretDecision.resourceArn,
            'kms:EncryptionContextKeys': ['SecretARN', 'SecretVersionId'],
          },
        }),
      ),
    );
    const keyDecision = keyDecisions.reduce((worst, d) =>
      ORDER[d.decision] > ORDER[worst.decision] ? d : worst,
    );
    const worst =
      ORDER[secretDecision.decision] >= ORDER[keyDecision.decision] ? secretDecision : keyDecision;
    const decisive = worst.decision === 'Allowed' ? [secretDecision, keyDecision] : [worst];
    const statements = decisive.flatMap((d) => d.statements);
    return {
      ...worst,
      statement: statements[0],
      statements,
      summary: `${secretDecision.summary}; ${keyDecision.summary}`,
      secret: secretDecision,
      key: keyDecision,
    };
  }

  /** The key a secret is encrypted with: its KmsKeyId, or Secrets Manager's AWS-managed key. */
  private keyOfSecret(secret: string): string {
    const located = this.locateResource(secret);
    if (!located || located.resource.Type !== 'AWS::SecretsManager::Secret') {
      throw new Error(`iam-evaluator: ${secret} is not a secret of the templates`);
    }
    const kmsKeyId = located.resource.Properties?.KmsKeyId;
    const { stack } = located;
    if (kmsKeyId === undefined) return awsManagedKeyArn(stack.account, stack.region);
    const value = stack.resolve(kmsKeyId) as string;
    const byArn = this.model.locateArn(value);
    if (byArn) return byArn.stack.physical(byArn.id).attrs.Arn!;
    for (const key of this.model.ofType('AWS::KMS::Key', stack.account)) {
      if (key.stack.physical(key.id).ref === value) return key.stack.physical(key.id).attrs.Arn!;
    }
    for (const alias of this.model.ofType('AWS::KMS::Alias', stack.account)) {
      const name = alias.stack.physical(alias.id).ref;
      if (value === name || value.endsWith(`:${name}`)) {
        const target = alias.stack.resolve(alias.resource.Properties?.TargetKeyId) as string;
        const key = this.model.locateArn(target);
        if (key) return key.stack.physical(key.id).attrs.Arn!;
      }
    }
    throw new Error(`iam-evaluator: the key ${value} of secret ${secret} is not in the templates`);
  }

  private locateResource(ref: string): Located | undefined {
    return ref.startsWith('arn:') ? this.model.locateArn(ref) : this.model.locate(ref);
  }

  private identity(principal: Principal): RequestIdentity {
    const cacheKey = JSON.stringify(principal);
    const cached = this.identities.get(cacheKey);
    if (cached) return cached;
    const made = this.makeIdentity(principal);
    this.identities.set(cacheKey, made);
    return made;
  }

  private makeIdentity(principal: Principal): RequestIdentity {
    if ('anonymous' in principal) {
      return { principal: anonymousPrincipal, label: 'anonymous', identityPolicies: [], context: {} };
    }
    if ('service' in principal) {
      const context: Record<string, string | string[]> = {
        'aws:PrincipalIsAWSService': 'true',
        'aws:PrincipalServiceName': principal.service,
      };
      if (principal.sourceAccount) context['aws:SourceAccount'] = principal.sourceAccount;
      if (principal.sourceArn) context['aws:SourceArn'] = principal.sourceArn;
      if (principal.sourceOrgId) context['aws:SourceOrgID'] = principal.sourceOrgId;
      return { principal: principal.service, label: principal.service, identityPolicies: [], context };
    }
    if ('role' in principal) {
      const { stack, id, resource } = this.model.locate(principal.role, principal.stack);
      if (resource.Type !== 'AWS::IAM::Role') {
        throw new Error(`iam-evaluator: ${principal.role} is a ${resource.Type}, not a role`);
      }
      const physical = stack.physical(id);
      const { identityPolicies, permissionBoundaries } = this.policiesOfRole(stack, id, resource);
      return this.iamIdentity(
        physical.attrs.Arn!,
        identityPolicies,
        permissionBoundaries,
        this.model.options.organizations?.[stack.account],
        principal.session,
        physical.attrs.RoleId,
        id,
      );
    }
    const policies = (principal.policies ?? []).map((policy, i) => ({
      name: `given policy ${i + 1}`,
      policy,
    }));
    const boundary = principal.permissionsBoundary
      ? [{ name: 'given permissions boundary', policy: principal.permissionsBoundary }]
      : undefined;
    const account = principal.arn.split(':')[4]!;
    return this.iamIdentity(
      principal.arn,
      policies,
      boundary,
      principal.orgId ?? this.model.options.organizations?.[account],
      principal.session,
      undefined,
      principal.arn,
    );
  }

  private iamIdentity(
    arn: string,
    identityPolicies: { name: string; policy: PolicyDocument }[],
    permissionBoundaries: { name: string; policy: PolicyDocument }[] | undefined,
    orgId: string | undefined,
    session: string | undefined,
    roleId: string | undefined,
    label: string,
  ): RequestIdentity {
    const [, partition, , , account, resource] = arn.split(':') as string[];
    const kind = resource!.split('/')[0];
    const context: Record<string, string | string[]> = {
      'aws:PrincipalArn': arn,
      'aws:PrincipalAccount': account!,
      'aws:PrincipalIsAWSService': 'false',
      'aws:ViaAWSService': 'false',
    };
    if (orgId) context['aws:PrincipalOrgID'] = orgId;
    let requestPrincipal = arn;
    if (kind === 'role') {
      // Every real request of a role comes from one of its sessions, named in the ARN without the path.
      const name = resource!.split('/').pop()!;
      const sessionName = session ?? 'session';
      requestPrincipal = `arn:${partition}:sts::${account}:assumed-role/${name}/${sessionName}`;
      context['aws:PrincipalType'] = 'AssumedRole';
      context['aws:userid'] = `${roleId ?? `AROA${hashed(arn, 17)}`}:${sessionName}`;
    } else if (kind === 'user') {
      context['aws:PrincipalType'] = 'User';
      context['aws:username'] = resource!.split('/').pop()!;
    } else if (resource === 'root') {
      context['aws:PrincipalType'] = 'Account';
    } else {
      throw new Error(`iam-evaluator: principal ${arn} is not a role, a user or an account root`);
    }
    return {
      principal: requestPrincipal,
      label,
      identityPolicies,
      permissionBoundaries,
      context,
      account,
    };
  }

  /** Inline policies, AWS::IAM::Policy/RolePolicy, managed policies by Roles or ManagedPolicyArns. */
  private policiesOfRole(
    stack: StackModel,
    id: string,
    resource: Resource,
  ): {
    identityPolicies: { name: string; policy: PolicyDocument }[];
    permissionBoundaries?: { name: string; policy: PolicyDocument }[];
  } {
    const roleName = stack.physical(id).ref;
    const props = resource.Properties ?? {};
    const policies: { name: string; policy: PolicyDocument }[] = [];
    for (const inline of stack.resolve(props.Policies) ?? []) {
      policies.push({ name: `${id} inline ${inline.PolicyName}`, policy: inline.PolicyDocument });
    }
    const attached = new Set<string>();
    for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::RolePolicy']) {
      for (const p of this.model.ofType(type, stack.account)) {
        const roles: string[] =
          type === 'AWS::IAM::RolePolicy'
            ? [p.stack.resolve(p.resource.Properties?.RoleName)]
            : (p.stack.resolve(p.resource.Properties?.Roles) ?? []);
        if (!roles.includes(roleName)) continue;
        policies.push({ name: p.id, policy: p.stack.resolve(p.resource.Properties?.PolicyDocument) });
        if (type === 'AWS::IAM::ManagedPolicy') attached.add(p.stack.physical(p.id).ref);
      }
    }
    for (const arn of (stack.resolve(props.ManagedPolicyArns) ?? []) as string[]) {
      if (attached.has(arn)) continue;
      policies.push({ name: arn, policy: this.managedPolicy(arn, stack.account, id) });
    }
    const boundary = props.PermissionsBoundary
      ? (stack.resolve(props.PermissionsBoundary) as string)
      : undefined;
    return {
      identityPolicies: policies,
      permissionBoundaries: boundary
        ? [{ name: boundary, policy: this.managedPolicy(boundary, stack.account, id) }]
        : undefined,
    };
  }

  private managedPolicy(arn: string, account: string, roleId: string): PolicyDocument {
    for (const p of this.model.ofType('AWS::IAM::ManagedPolicy', account)) {
      if (p.stack.physical(p.id).ref === arn) return p.stack.resolve(p.resource.Properties?.PolicyDocument);
    }
    const given = this.model.options.managedPolicies?.[arn] ?? AWS_MANAGED_POLICIES[arn];
    if (given) return given;
    throw new Error(
      `iam-evaluator: role ${roleId} attaches ${arn}, whose document the evaluator does not know: give it in options.managedPolicies`,
    );
  }

  private resource(ref: string): RequestResource {
    const cached = this.resourcesByRef.get(ref);
    if (cached) return cached;
    const made = this.makeResource(ref);
    this.resourcesByRef.set(ref, made);
    return made;
  }

  private makeResource(ref: string): RequestResource {
    const located = this.locateResource(ref);
    if (!located) {
      // An ARN the templates do not hold: no resource policy, its account from the ARN.
      const [, , service, region, account] = ref.split(':');
      if (ref === awsManagedKeyArn(account!, region!)) {
        return {
          arn: ref,
          account: account!,
          region: region!,
          type: 'AWS::KMS::Key',
          policy: { name: 'aws/secretsmanager key policy', document: awsManagedKeyPolicy(account!, region!) },
          tags: {},
        };
      }
      if (!service || account === undefined) throw new Error(`iam-evaluator: ${ref} is not an ARN`);
      return { arn: ref, account, region: region!, tags: {} };
    }
    const { stack, id, resource } = located;
    const physical = stack.physical(id);
    const arn = physical.attrs.Arn ?? physical.ref;
    const tags = Object.fromEntries(
      ((stack.resolve(resource.Properties?.Tags) ?? []) as { Key: string; Value: string }[]).map((t) => [
        t.Key,
        t.Value,
      ]),
    );
    return {
      arn,
      account: stack.account,
      region: stack.region,
      type: resource.Type,
      policy: this.resourcePolicy(stack, id, resource, arn),
      tags,
    };
  }

  private resourcePolicy(
    stack: StackModel,
    id: string,
    resource: Resource,
    arn: string,
  ): { name: string; document: PolicyDocument } | undefined {
    switch (resource.Type) {
      case 'AWS::SecretsManager::Secret': {
        const policies = this.model
          .ofType('AWS::SecretsManager::ResourcePolicy', stack.account)
          .filter((p) => p.stack.resolve(p.resource.Properties?.SecretId) === arn);
        if (policies.length > 1) {
          throw new Error(
            `iam-evaluator: secret ${id} has ${policies.length} resource policies (${policies.map((p) => p.id).join(', ')}); Secrets Manager keeps one`,
          );
        }
        const [policy] = policies;
        return policy
          ? {
              name: `${policy.id}`,
              document: policy.stack.resolve(policy.resource.Properties?.ResourcePolicy),
            }
          : undefined;
      }
      case 'AWS::KMS::Key': {
        const keyPolicy = resource.Properties?.KeyPolicy;
        // Without a KeyPolicy, KMS gives the key its default policy: the account root may do anything.
        const document: PolicyDocument = keyPolicy
          ? stack.resolve(keyPolicy)
          : {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { AWS: `arn:${PARTITION}:iam::${stack.account}:root` },
                  Action: 'kms:*',
                  Resource: '*',
                },
              ],
            };
        return { name: `${id} key policy`, document };
      }
      case 'AWS::IAM::Role':
        return {
          name: `${id} trust policy`,
          document: stack.resolve(resource.Properties?.AssumeRolePolicyDocument),
        };
      case 'AWS::Lambda::Function': {
        const name = stack.physical(id).ref;
        const statements = this.model
          .ofType('AWS::Lambda::Permission', stack.account)
          .filter((p) => [name, arn].includes(p.stack.resolve(p.resource.Properties?.FunctionName)))
          .map((p) => lambdaPermissionStatement(p, arn));
        return statements.length > 0
          ? { name: `${id} function policy`, document: { Version: '2012-10-17', Statement: statements } }
          : undefined;
      }
      default:
        return undefined;
    }
  }

  private context(
    request: AccessRequest,
    identity: RequestIdentity,
    resource: RequestResource,
  ): Record<string, string | string[]> {
    const [service, action] = request.action.split(':') as [string, string];
    const context: Record<string, string | string[]> = {
      'aws:SecureTransport': 'true',
      'aws:RequestedRegion': resource.region,
      'aws:ResourceAccount': resource.account,
      ...identity.context,
    };
    const orgOfResource = this.model.options.organizations?.[resource.account];
    if (orgOfResource) context['aws:ResourceOrgID'] = orgOfResource;
    for (const [key, value] of Object.entries(resource.tags)) {
      context[`aws:ResourceTag/${key}`] = value;
    }
    if (service === 'secretsmanager') {
      context['secretsmanager:SecretId'] = resource.arn;
      if (/^(Tag|Untag)Resource$/.test(action)) {
        context['aws:TagKeys'] = ['owner'];
        if (action === 'TagResource') context['aws:RequestTag/owner'] = 'someone';
      }
    }
    if (service === 'kms' && identity.account) {
      context['kms:CallerAccount'] = identity.account;
      if (action === 'CreateGrant') context['kms:GrantIsForAWSResource'] = request.via ? 'true' : 'false';
    }
    if (request.via) {
      const via = `${request.via}.${URL_SUFFIX}`;
      context['aws:CalledVia'] = [via];
      context['aws:CalledViaFirst'] = via;
      context['aws:CalledViaLast'] = via;
      context['aws:ViaAWSService'] = 'true';
      if (service === 'kms') context['kms:ViaService'] = `${request.via}.${resource.region}.${URL_SUFFIX}`;
    }
    for (const [key, value] of Object.entries(request.context ?? {})) {
      if (value === null || value === undefined) delete context[key];
      else context[key] = value;
    }
    return context;
  }
}

/** A resource's policy governs only the actions of its own service (a trust policy: sts only). */
function appliesTo(type: string | undefined, action: string): boolean {
  const service = action.split(':')[0];
  switch (type) {
    case 'AWS::IAM::Role':
      return service === 'sts';
    case 'AWS::KMS::Key':
      return service === 'kms';
    case 'AWS::SecretsManager::Secret':
      return service === 'secretsmanager';
    case 'AWS::Lambda::Function':
      return service === 'lambda';
    default:
      return true;
  }
}

function lambdaPermissionStatement(permission: Located, functionArn: string): Record<string, unknown> {
  const p = permission.stack.resolve(permission.resource.Properties) as Record<string, string>;
  const condition: Record<string, Record<string, string>> = {};
  if (p.SourceAccount) condition.StringEquals = { 'aws:SourceAccount': p.SourceAccount };
  if (p.SourceArn) condition.ArnLike = { 'aws:SourceArn': p.SourceArn };
  const principal = p.Principal!.endsWith(URL_SUFFIX)
    ? { Service: p.Principal }
    : { AWS: /^\d{12}$/.test(p.Principal!) ? `arn:${PARTITION}:iam::${p.Principal}:root` : p.Principal };
  return {
    Sid: permission.id,
    Effect: 'Allow',
    Principal: principal,
    Action: p.Action,
    Resource: functionArn,
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
}

/** Stands for Secrets Manager's AWS-managed key (`aws/secretsmanager`) of an account and region. */
function awsManagedKeyArn(account: string, region: string): string {
  return `arn:${PARTITION}:kms:${region}:${account}:key/${uuidOf(`aws/secretsmanager/${account}/${region}`)}`;
}

/** The documented policy of `aws/secretsmanager`: its own account, through Secrets Manager only. */
function awsManagedKeyPolicy(account: string, region: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AllowAccessThroughSecretsManagerForThisAccount',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:ReEncrypt*',
          'kms:GenerateDataKey*',
          'kms:CreateGrant',
          'kms:DescribeKey',
        ],
        Resource: '*',
        Condition: {
          StringEquals: {
            'kms:CallerAccount': account,
            'kms:ViaService': `secretsmanager.${region}.${URL_SUFFIX}`,
          },
        },
      },
    ],
  };
}

/** Keys AWS documents for the action that iam-simulate's context filter drops. */
const ENGINE_DROPS = [/^kms:EncryptionContext:/i];
/** Keys the engine cannot type when a tag key holds `:`, so the evaluator never sends them. */
const UNSENT = [/^secretsmanager:resourcetag\//i];

function conditionKeysOf(documents: PolicyDocument[]): Set<string> {
  const keys = new Set<string>();
  for (const document of documents) {
    const statements = [document.Statement].flat() as {
      Condition?: Record<string, Record<string, unknown>>;
    }[];
    for (const statement of statements) {
      for (const operator of Object.values(statement.Condition ?? {})) {
        for (const key of Object.keys(operator)) keys.add(key.toLowerCase());
      }
    }
  }
  return keys;
}

function implicitReason(identity?: string, resource?: string, sameAccount?: boolean): string {
  const identityAllows = identity === 'Allowed';
  const resourceAllows = resource === 'Allowed' || resource === 'AllowedForAccount';
  if (identityAllows && !sameAccount) return '(the identity policy allows; the resource policy does not)';
  if (resourceAllows && !sameAccount)
    return "(the resource policy allows; the principal's identity policy does not)";
  if (identityAllows)
    return '(the identity policy allows, but the resource policy does not trust the account)';
  return '(no statement allows)';
}
