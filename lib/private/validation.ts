import { Duration, Stack, Token, TokenComparison } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';

/** Characters Secrets Manager accepts in a secret name. */
const SECRET_NAME_CHARS = /^[A-Za-z0-9/_+=.@-]+$/;
export const SECRET_NAME_MAX_LENGTH = 512;

/**
 * Who a message is about: a construct (named by its class and path, `VaultSecret Stack/Vault/Db`) or,
 * where no construct exists yet (a static factory, a props object), a description of the call.
 */
export type Owner = string | IConstruct;

/** `VaultSecret Stack/Vault/Db` for a construct; a string as it is. */
export function ownerName(owner: Owner): string {
  return typeof owner === 'string' ? owner : `${owner.constructor.name} ${owner.node.path}`;
}

/** Throws an Error that names the construct, the prop, the value received and what is allowed. */
export function invalid(owner: Owner, prop: string, received: unknown, allowed: string): never {
  throw new Error(`${ownerName(owner)}: invalid \`${prop}\`: received ${describe(received)}; ${allowed}.`);
}

/**
 * As invalid(), for props that are refused only in combination: each one is named
 * (`invalid \`excludeNumbers\`, \`excludeUppercase\` and \`excludeLowercase\``).
 */
export function invalidTogether(owner: Owner, props: string[], received: unknown, allowed: string): never {
  const named =
    props.length > 1
      ? `${props.slice(0, -1).join('`, `')}\` and \`${props[props.length - 1]}`
      : props.join('');
  return invalid(owner, named, received, allowed);
}

/**
 * A value that should have been a member of an enum-like class (`DatabaseEngine.POSTGRES`), as a
 * message shows it: a string quoted, anything else by its kind (JavaScript callers, `as any`).
 */
export function enumLikeValue(value: unknown): { toString(): string } {
  if (typeof value === 'string') return summary(JSON.stringify(value));
  if (value === null || value === undefined) return summary(String(value));
  if (typeof value !== 'object') return summary(`a ${typeof value}`);
  const name = (value as object).constructor?.name;
  return summary(name && name !== 'Object' ? `an instance of ${name}` : 'an object');
}

/**
 * A received value shown as described, not quoted: for values too long or too sensitive to print
 * (`summary('a text of 3000 characters')`).
 */
export function summary(text: string): { toString(): string } {
  return { toString: () => text };
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Duration) return value.toHumanString();
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length}`;
  return String(value);
}

/** Validates a whole number of days of a Duration within [min, max]; tokens are left to CloudFormation. */
export function validateDays(
  owner: Owner,
  prop: string,
  value: Duration | undefined,
  min: number,
  max: number,
) {
  if (value === undefined || value.isUnresolved()) return;
  const seconds = value.toSeconds();
  const days = seconds / 86400;
  if (!Number.isInteger(days) || days < min || days > max) {
    invalid(owner, prop, value, `allowed: a whole number of days from ${min} to ${max}`);
  }
}

/** Validates a Secrets Manager secret name, or a prefix of one. */
export function validateSecretName(owner: Owner, prop: string, name: string | undefined) {
  if (name === undefined || Token.isUnresolved(name)) return;
  if (name.length === 0 || name.length > SECRET_NAME_MAX_LENGTH) {
    invalid(owner, prop, name, `allowed: 1 to ${SECRET_NAME_MAX_LENGTH} characters`);
  }
  if (!SECRET_NAME_CHARS.test(name)) {
    invalid(owner, prop, name, 'allowed characters: letters, digits and / _ + = . @ -');
  }
}

/** What a principal stands for, as far as the checks below care. */
export enum PrincipalScope {
  /** Anyone: `*` without a condition that narrows it. */
  PUBLIC = 'public',
  /** Every principal of an AWS Organization (`*` narrowed by `aws:PrincipalOrgID` or `aws:PrincipalOrgPaths`). */
  ORGANIZATION = 'organization',
  /** Every principal of one account (an account principal or an account's root ARN). */
  ACCOUNT = 'account',
  /** An AWS service acting as itself. */
  SERVICE = 'service',
  /** Named identities: roles, users, sessions, federated identities. */
  IDENTITY = 'identity',
}

/** Which principals a prop accepts beyond named identities. Public principals are never accepted. */
export interface PrincipalRules {
  /**
   * Accept service principals (`lambda.amazonaws.com`).
   *
   * @default false
   */
  readonly allowService?: boolean;

  /**
   * Accept a whole account (`AccountPrincipal`, `AccountRootPrincipal`, `arn:...:root`, a bare account id).
   *
   * @default true
   */
  readonly allowAccount?: boolean;

  /**
   * Accept every principal of an organization (`OrganizationPrincipal`).
   *
   * @default false
   */
  readonly allowOrganization?: boolean;

  /**
   * What the prop is for, to end the refusal of a service principal with what to use instead.
   *
   * @default - a generic hint
   */
  readonly serviceHint?: string;

  /**
   * What to use instead of an organization principal, to end its refusal.
   *
   * @default 'name the roles, users or accounts instead'
   */
  readonly organizationHint?: string;
}

const ACCOUNT_ID = /^[0-9]{12}$/;
/** IAM and STS ARNs are the only ARNs a policy's principal may name; wildcards are refused by IAM. */
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[A-Za-z0-9+=,.@_/-]+$/;
const ORGANIZATION_KEYS = ['aws:principalorgid', 'aws:principalorgpaths'];

/**
 * Checks one principal (each part of a composite one, and what a principal with conditions wraps)
 * and returns the scopes of its parts. Refuses, naming `prop` and the principal: a public principal
 * (`AnyPrincipal`, `StarPrincipal`, `ArnPrincipal('*')`, `AccountPrincipal('*')`, a composite that
 * contains one), an ARN principal that is not an IAM or STS ARN or a 12-digit account id, an account
 * id that is not 12 digits, and a service, an account or an organization when `rules` does not allow
 * it. Unresolved tokens are left to IAM.
 */
export function validatePrincipal(
  owner: Owner,
  prop: string,
  principal: iam.IPrincipal,
  rules: PrincipalRules = {},
): PrincipalScope[] {
  const scopes = [
    ...new Set(
      leavesOf(principal).map(({ leaf, narrowed }) => {
        const scope = scopeOf(owner, prop, leaf);
        return narrowed && scope === PrincipalScope.PUBLIC ? PrincipalScope.ORGANIZATION : scope;
      }),
    ),
  ];
  if (scopes.includes(PrincipalScope.PUBLIC)) {
    invalid(
      owner,
      prop,
      principal,
      'a public principal (*) lets anyone in: name the roles, users or accounts instead',
    );
  }
  if (scopes.includes(PrincipalScope.ORGANIZATION) && !rules.allowOrganization) {
    invalid(
      owner,
      prop,
      principal,
      `an organization principal lets in every principal of every account of the organization: ${rules.organizationHint ?? 'name the roles, users or accounts instead'}`,
    );
  }
  if (scopes.includes(PrincipalScope.ACCOUNT) && rules.allowAccount === false) {
    invalid(
      owner,
      prop,
      principal,
      'an account principal lets in every principal of the account: name the roles or users instead',
    );
  }
  if (scopes.includes(PrincipalScope.SERVICE) && !rules.allowService) {
    invalid(
      owner,
      prop,
      principal,
      `a service principal is not allowed here: ${rules.serviceHint ?? 'name the roles, users or accounts instead'}`,
    );
  }
  return scopes;
}

/**
 * The principals a principal is made of (the parts of a composite, what an adapter wraps), each
 * with whether a wrapper narrowed it to an organization (`aws:PrincipalOrgID`, as
 * OrganizationPrincipal renders itself).
 */
function leavesOf(
  principal: iam.IPrincipal,
  narrowed = false,
): { leaf: iam.IPrincipal; narrowed: boolean }[] {
  if (principal instanceof iam.CompositePrincipal) {
    return principal.principals.flatMap((p) => leavesOf(p, narrowed));
  }
  // PrincipalWithConditions and SessionTagsPrincipal keep the principal they wrap in `wrapped`.
  const wrapped = (principal as unknown as { wrapped?: iam.IPrincipal }).wrapped;
  if (wrapped && wrapped !== principal) {
    return leavesOf(wrapped, narrowed || hasOrganizationCondition(principal));
  }
  return [{ leaf: principal, narrowed }];
}

function hasOrganizationCondition(principal: iam.IPrincipal): boolean {
  return Object.values(principal.policyFragment.conditions ?? {})
    .flatMap((c) => Object.keys((c ?? {}) as Record<string, unknown>))
    .some((key) => ORGANIZATION_KEYS.includes(key.toLowerCase()));
}

function scopeOf(owner: Owner, prop: string, principal: iam.IPrincipal): PrincipalScope {
  if (principal instanceof iam.StarPrincipal) return PrincipalScope.PUBLIC;
  if (principal instanceof iam.ServicePrincipal) return PrincipalScope.SERVICE;
  if (principal instanceof iam.OrganizationPrincipal) return PrincipalScope.ORGANIZATION;
  if (principal instanceof iam.AccountPrincipal) {
    const account: unknown = principal.accountId;
    if (typeof account !== 'string' || Token.isUnresolved(account)) return PrincipalScope.ACCOUNT;
    if (account === '*') return PrincipalScope.PUBLIC;
    if (!ACCOUNT_ID.test(account)) {
      invalid(owner, prop, principal, 'allowed: an account id of 12 digits, e.g. "123456789012"');
    }
    return PrincipalScope.ACCOUNT;
  }
  if (principal instanceof iam.ArnPrincipal) {
    const arn = principal.arn;
    if (Token.isUnresolved(arn)) return PrincipalScope.IDENTITY;
    if (arn === '*') return PrincipalScope.PUBLIC;
    if (ACCOUNT_ID.test(arn) || /^arn:aws[a-z-]*:iam::[0-9]{12}:root$/.test(arn)) {
      return PrincipalScope.ACCOUNT;
    }
    if (!PRINCIPAL_ARN.test(arn)) {
      invalid(
        owner,
        prop,
        principal,
        'allowed: an IAM or STS ARN such as "arn:aws:iam::123456789012:role/name" (no wildcards), or a 12-digit account id',
      );
    }
    return PrincipalScope.IDENTITY;
  }
  // Any other kind (roles, users, federated, custom): judged by what it renders.
  const rendered = Object.values(principal.policyFragment.principalJson).flat();
  if (!rendered.includes('*')) return PrincipalScope.IDENTITY;
  return hasOrganizationCondition(principal) ? PrincipalScope.ORGANIZATION : PrincipalScope.PUBLIC;
}

/** STS accepts external ids of 2 to 1224 characters from this set. */
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

/** Validates a list of external ids: not empty, and each one a value STS would accept. */
export function validateExternalIds(owner: Owner, prop: string, ids: string[] | undefined): void {
  if (ids === undefined) return;
  if (ids.length === 0) {
    invalid(owner, prop, ids, 'name at least one external id, or leave it out');
  }
  for (const id of ids) {
    if (Token.isUnresolved(id)) continue;
    if (!EXTERNAL_ID.test(id)) {
      invalid(
        owner,
        prop,
        id,
        'allowed: 2 to 1224 letters, digits and + = , . @ : / - _ (what STS accepts as an external id)',
      );
    }
  }
}

/** The version stages Secrets Manager itself moves. */
export const AWS_VERSION_STAGES = ['AWSCURRENT', 'AWSPREVIOUS', 'AWSPENDING'];
const VERSION_STAGE = /^[A-Za-z0-9_.+=@-]{1,256}$/;

/**
 * Validates a list of version stages: not empty, each a valid staging label, and no misspelling of
 * AWSCURRENT, AWSPREVIOUS or AWSPENDING (a label that starts with "AWS" or matches one of them but
 * for case). Returns the labels that are not Secrets Manager's own, which no version carries unless
 * someone labels it: callers warn about them.
 */
export function validateVersionStages(owner: Owner, prop: string, stages: string[] | undefined): string[] {
  if (stages === undefined) return [];
  if (stages.length === 0) {
    invalid(
      owner,
      prop,
      stages,
      'name at least one stage (e.g. ["AWSCURRENT"]), or leave it out for every stage',
    );
  }
  const custom: string[] = [];
  for (const stage of stages) {
    if (Token.isUnresolved(stage)) continue;
    if (AWS_VERSION_STAGES.includes(stage)) continue;
    if (!VERSION_STAGE.test(stage)) {
      invalid(owner, prop, stage, 'allowed: a staging label of 1 to 256 letters, digits and _ . + = @ -');
    }
    if (stage.toUpperCase().startsWith('AWS')) {
      invalid(
        owner,
        prop,
        stage,
        `allowed: ${AWS_VERSION_STAGES.join(', ')} or a label of your own that does not start with "AWS"`,
      );
    }
    custom.push(stage);
  }
  return custom;
}

/**
 * Validates free text that AWS limits in length (descriptions): not empty, and at most `max`
 * characters. The value is shown by its length only: a description may be long.
 */
export function validateText(owner: Owner, prop: string, text: string | undefined, max: number): void {
  if (text === undefined || Token.isUnresolved(text)) return;
  if (text.length === 0) {
    invalid(owner, prop, text, 'leave it out rather than empty');
  }
  if (text.length > max) {
    invalid(
      owner,
      prop,
      summary(`a text of ${text.length} characters`),
      `allowed: at most ${max} characters`,
    );
  }
}

/** AWS Organizations ids: `o-` and 10 to 32 lowercase letters or digits. */
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;

/** Validates an AWS Organizations id; tokens are left to IAM. */
export function validateOrganizationId(owner: Owner, prop: string, id: string | undefined): void {
  if (id === undefined || Token.isUnresolved(id)) return;
  if (!ORGANIZATION_ID.test(id)) {
    invalid(
      owner,
      prop,
      id,
      'allowed: `o-` followed by 10 to 32 lowercase letters or digits, e.g. "o-a1b2c3d4e5"',
    );
  }
}

/**
 * Validates a whole number within [min, max]; tokens are left to CloudFormation. `allowed` ends the
 * message when the bounds need words (e.g. "0 (reserve none)").
 */
export function validateWholeNumber(
  owner: Owner,
  prop: string,
  value: number | undefined,
  min: number,
  max: number,
  allowed = `allowed: a whole number from ${min} to ${max}`,
): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    invalid(owner, prop, value, allowed);
  }
}

/** What SNS and most humans accept as one email address. */
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** Validates one email address (an SNS email subscription's endpoint). */
export function validateEmail(owner: Owner, prop: string, email: string | undefined): void {
  if (email === undefined || Token.isUnresolved(email)) return;
  if (!EMAIL.test(email)) {
    invalid(owner, prop, email, 'allowed: one email address, like "secops@example.com"');
  }
}

/** CloudWatch dashboard names: 1 to 255 letters, digits, `_` and `-`. */
const DASHBOARD_NAME = /^[A-Za-z0-9_-]{1,255}$/;

/** Validates a CloudWatch dashboard name. */
export function validateDashboardName(owner: Owner, prop: string, name: string | undefined): void {
  if (name === undefined || Token.isUnresolved(name)) return;
  if (!DASHBOARD_NAME.test(name)) {
    invalid(owner, prop, name, 'allowed: 1 to 255 letters, digits, _ and -');
  }
}

/** The retention periods CloudWatch Logs accepts, in days; `RetentionDays.INFINITE` is 9999. */
const LOG_RETENTION_DAYS = Object.values(logs.RetentionDays).filter(
  (days): days is number => typeof days === 'number' && days !== logs.RetentionDays.INFINITE,
);

/**
 * Validates a log retention: `logs.RetentionDays` is a TypeScript enum, so `400 as RetentionDays`,
 * a number from JavaScript or a cast compiles, and CloudWatch Logs refuses it at deploy.
 */
export function validateLogRetention(owner: Owner, prop: string, days: logs.RetentionDays | undefined): void {
  if (days === undefined || Token.isUnresolved(days)) return;
  if (days !== logs.RetentionDays.INFINITE && !LOG_RETENTION_DAYS.includes(days)) {
    invalid(
      owner,
      prop,
      summary(`${days} days`),
      `allowed: ${LOG_RETENTION_DAYS.join(', ')} days or INFINITE (a logs.RetentionDays value; CloudWatch Logs refuses any other)`,
    );
  }
}

/** Two values of which both are known and different (an account id, a region). */
export function knownToDiffer(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return Token.compareStrings(a, b) === TokenComparison.DIFFERENT;
}

/** Whether two constructs may be in one account and region: neither of the two is known to differ. */
export function mayShareEnvironment(a: IConstruct, b: IConstruct): boolean {
  const [x, y] = [Stack.of(a), Stack.of(b)];
  return !knownToDiffer(x.account, y.account) && !knownToDiffer(x.region, y.region);
}

/** Whether IAM action patterns (wildcards included: `secretsmanager:*`, `kms:Create*`) cover any of `actions`. */
export function coversAnyAction(patterns: string[], actions: string[]): boolean {
  return patterns.some((pattern) => {
    if (pattern === '*') return true;
    const regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
    return actions.some((action) => regex.test(action));
  });
}

/** The literal secret names of each app (by its root), with the constructs that hold them. */
const secretNamesByApp = new WeakMap<IConstruct, Map<string, IConstruct[]>>();

/** Records that `holder` (a secret) has `name`, for `checkSecretNameIsFree`. */
export function registerSecretName(holder: IConstruct, name: string): void {
  const root = holder.node.root;
  const names = secretNamesByApp.get(root) ?? new Map<string, IConstruct[]>();
  secretNamesByApp.set(root, names);
  names.set(name, [...(names.get(name) ?? []), holder]);
}

/**
 * Refuses a secret name that a secret of this app already has in the same account and region (or
 * may have: an environment-agnostic stack). Secrets Manager names are unique there, and the second
 * deploy would fail.
 */
export function checkSecretNameIsFree(owner: Owner, prop: string, scope: IConstruct, name: string): void {
  if (Token.isUnresolved(name)) return;
  const holder = secretNamesByApp
    .get(scope.node.root)
    ?.get(name)
    ?.find((other) => mayShareEnvironment(scope, other));
  if (holder) {
    invalid(
      owner,
      prop,
      name,
      `secret ${holder.node.path} already has this name, and secret names are unique in an account and region: give each secret its own name`,
    );
  }
}
