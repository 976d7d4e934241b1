/**
 * The access matrix of docs/access-model.md as data: the tests evaluate every cell, and the
 * document's table is generated from it (a test checks that the two are the same), so neither can
 * drift from the other.
 */
import { ACCOUNT, ADMINISTRATOR_ACCESS, ANONYMOUS, administrator, Principal } from '../support/iam-evaluator';

export const PARTNER_ACCOUNT = '222222222222';
export const OTHER_ACCOUNT = '333333333333';
export const MEMBER_ACCOUNT = '444444444444';
export const ORGANIZATION_ID = 'o-a1b2c3d4e5';
export const PARTNER_ROLE = `arn:aws:iam::${PARTNER_ACCOUNT}:role/partner`;
export const KEY_ADMIN_ROLE = `arn:aws:iam::${ACCOUNT}:role/key-admin`;
export const BREAK_GLASS_ROLE = `arn:aws:iam::${ACCOUNT}:role/break-glass`;
export const DEPLOYMENT_ROLE = `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-eu-west-1`;
/** A service that reads secrets as itself, listed as a reader of the vault. */
export const READER_SERVICE = 'appflow.amazonaws.com';

/** Construct paths of the fixture (test/access/matrix.test.ts builds it). */
export const PATHS = {
  secret: 'Vault/Vault/Db',
  key: 'Vault/Vault/Key',
  readerRole: 'Vault/Vault/Reader',
  stagedReaderRole: 'Vault/StagedReader',
  grantedRole: 'Vault/Granted',
  writerRole: 'Vault/Writer',
  rotationRole: 'Vault/Vault/Rotation/Role',
  rotationFunction: 'Vault/Vault/Rotation/Function',
};

export type Expected = 'allow' | 'deny' | 'n/a';

export interface Cell {
  readonly expect: Expected;
  /** Bold in the table: a deny that stops an administrator, the point of the policies. */
  readonly emphasis?: boolean;
  /** A footnote of the document's table. */
  readonly note?: 1 | 2;
}

const allow: Cell = { expect: 'allow' };
const deny: Cell = { expect: 'deny' };
const DENY: Cell = { expect: 'deny', emphasis: true };
const allowViaSecretsManager: Cell = { expect: 'allow', note: 1 };
const denyButBreakGlass: Cell = { expect: 'deny', note: 2 };
const na: Cell = { expect: 'n/a' };

/**
 * What one column asks. `read`/`write` are two-sided (the Secrets Manager call and the KMS call it
 * makes on the caller's behalf); `secret` and `key` are one call on the secret or its key.
 */
export type Request =
  | { readonly kind: 'read'; readonly stage: string }
  | { readonly kind: 'write' }
  | { readonly kind: 'secret'; readonly action: string }
  | { readonly kind: 'key'; readonly action: string; readonly via?: 'secretsmanager' };

export interface Column {
  readonly title: string;
  readonly requests: Request[];
  /** The secret's columns: every allowed request there is denied without TLS. */
  readonly onSecret: boolean;
}

const secret = (...actions: string[]): Request[] => actions.map((action) => ({ kind: 'secret', action }));

export const COLUMNS: Column[] = [
  { title: 'Get CURRENT', requests: [{ kind: 'read', stage: 'AWSCURRENT' }], onSecret: true },
  { title: 'Get PREVIOUS', requests: [{ kind: 'read', stage: 'AWSPREVIOUS' }], onSecret: true },
  { title: 'Describe', requests: secret('secretsmanager:DescribeSecret'), onSecret: true },
  { title: 'Put value', requests: [{ kind: 'write' }], onSecret: true },
  { title: 'Move stage', requests: secret('secretsmanager:UpdateSecretVersionStage'), onSecret: true },
  {
    title: 'Put/Delete policy',
    requests: secret('secretsmanager:PutResourcePolicy', 'secretsmanager:DeleteResourcePolicy'),
    onSecret: true,
  },
  {
    title: 'Rotate/Cancel',
    requests: secret('secretsmanager:RotateSecret', 'secretsmanager:CancelRotateSecret'),
    onSecret: true,
  },
  { title: 'Tag', requests: secret('secretsmanager:TagResource'), onSecret: true },
  { title: 'Delete', requests: secret('secretsmanager:DeleteSecret'), onSecret: true },
  { title: 'Replicate', requests: secret('secretsmanager:ReplicateSecretToRegions'), onSecret: true },
  {
    title: 'Decrypt via SM',
    requests: [{ kind: 'key', action: 'kms:Decrypt', via: 'secretsmanager' }],
    onSecret: false,
  },
  { title: 'Decrypt direct', requests: [{ kind: 'key', action: 'kms:Decrypt' }], onSecret: false },
  { title: 'CreateGrant', requests: [{ kind: 'key', action: 'kms:CreateGrant' }], onSecret: false },
  { title: 'PutKeyPolicy', requests: [{ kind: 'key', action: 'kms:PutKeyPolicy' }], onSecret: false },
  {
    title: 'ScheduleKeyDeletion',
    requests: [{ kind: 'key', action: 'kms:ScheduleKeyDeletion' }],
    onSecret: false,
  },
];

export interface Row {
  readonly title: string;
  readonly principal: Principal;
  /** One per column, in the order of COLUMNS. */
  readonly cells: Cell[];
  /**
   * The statement that must decide this row's denies, by column title: these denies are the
   * design, so a deny that came from somewhere else (a missing allow) would hide a broken guard.
   */
  readonly deniedBy?: Record<string, string>;
}

const everyDeny = (titles: string[], sid: string) => Object.fromEntries(titles.map((t) => [t, sid]));
const MANAGEMENT = ['Put/Delete policy', 'Rotate/Cancel', 'Tag', 'Delete', 'Replicate'];
const SECRET_COLUMNS = COLUMNS.filter((c) => c.onSecret).map((c) => c.title);

/** What the key's own denies decide for every principal that reaches the key. */
const KEY_GUARDS = {
  'Decrypt direct': 'DenyUseOutsideSecretsManager',
  CreateGrant: 'DenyGrantsNotForAwsResources',
};

const service = (sourceAccount: string): Principal => ({ service: READER_SERVICE, sourceAccount });

export const ROWS: Row[] = [
  {
    title: 'reader',
    principal: { role: PATHS.readerRole },
    cells: [allow, allow, allow, deny, deny, deny, deny, deny, deny, deny, allow, deny, deny, deny, deny],
    deniedBy: KEY_GUARDS,
  },
  {
    title: 'staged reader',
    principal: { role: PATHS.stagedReaderRole },
    cells: [allow, deny, allow, deny, deny, deny, deny, deny, deny, deny, allow, deny, deny, deny, deny],
    deniedBy: KEY_GUARDS,
  },
  {
    title: 'granted',
    principal: { role: PATHS.grantedRole },
    cells: [allow, allow, allow, deny, deny, deny, deny, deny, deny, deny, allow, deny, deny, deny, deny],
    deniedBy: KEY_GUARDS,
  },
  {
    title: 'writer',
    principal: { role: PATHS.writerRole },
    cells: [
      deny,
      deny,
      deny,
      allow,
      allow,
      deny,
      deny,
      deny,
      deny,
      deny,
      allowViaSecretsManager,
      deny,
      deny,
      deny,
      deny,
    ],
    deniedBy: KEY_GUARDS,
  },
  {
    title: 'rotation',
    principal: { role: PATHS.rotationRole },
    cells: [allow, allow, allow, allow, allow, deny, deny, deny, deny, deny, allow, deny, deny, deny, deny],
    deniedBy: KEY_GUARDS,
  },
  {
    title: 'partner',
    // `*:*` in its own account: every deny must then come from our policies.
    principal: administrator(PARTNER_ROLE),
    cells: [allow, allow, allow, deny, deny, deny, deny, deny, deny, deny, allow, deny, deny, deny, deny],
    deniedBy: {
      ...KEY_GUARDS,
      'Put value': 'DenyWritesExceptRotationAndWriters',
      'Move stage': 'DenyWritesExceptRotationAndWriters',
      ...everyDeny(MANAGEMENT, 'DenyManagementExceptDeployment'),
    },
  },
  {
    title: 'outsider',
    principal: administrator(`arn:aws:iam::${OTHER_ACCOUNT}:role/outsider`),
    cells: [deny, deny, deny, deny, deny, deny, deny, deny, deny, deny, deny, deny, deny, deny, deny],
    deniedBy: { ...KEY_GUARDS, ...everyDeny(SECRET_COLUMNS, 'DenyPrincipalsOutsideTrustedAccounts') },
  },
  {
    title: 'org member',
    principal: administrator(`arn:aws:iam::${MEMBER_ACCOUNT}:role/member`, ORGANIZATION_ID),
    cells: [deny, deny, deny, deny, deny, deny, deny, deny, deny, deny, deny, deny, deny, deny, deny],
    deniedBy: {
      ...KEY_GUARDS,
      'Get CURRENT': 'DenyReadsByUndeclaredPrincipals',
      'Get PREVIOUS': 'DenyReadsByUndeclaredPrincipals',
      'Put value': 'DenyWritesExceptRotationAndWriters',
      'Move stage': 'DenyWritesExceptRotationAndWriters',
      ...everyDeny(MANAGEMENT, 'DenyManagementExceptDeployment'),
    },
  },
  {
    title: 'admin',
    principal: administrator(`arn:aws:iam::${ACCOUNT}:role/admin`),
    cells: [
      DENY,
      DENY,
      allow,
      DENY,
      DENY,
      DENY,
      DENY,
      DENY,
      DENY,
      DENY,
      allowViaSecretsManager,
      deny,
      deny,
      DENY,
      DENY,
    ],
    deniedBy: {
      ...KEY_GUARDS,
      'Get CURRENT': 'DenyReadsByUndeclaredPrincipals',
      'Get PREVIOUS': 'DenyReadsByUndeclaredPrincipals',
      'Put value': 'DenyWritesExceptRotationAndWriters',
      'Move stage': 'DenyWritesExceptRotationAndWriters',
      ...everyDeny(MANAGEMENT, 'DenyManagementExceptDeployment'),
    },
  },
  {
    title: 'key admin',
    principal: administrator(KEY_ADMIN_ROLE),
    cells: [
      deny,
      deny,
      allow,
      deny,
      deny,
      deny,
      deny,
      deny,
      deny,
      deny,
      allowViaSecretsManager,
      deny,
      deny,
      allow,
      allow,
    ],
    deniedBy: {
      ...KEY_GUARDS,
      'Get CURRENT': 'DenyReadsByUndeclaredPrincipals',
      'Get PREVIOUS': 'DenyReadsByUndeclaredPrincipals',
      'Put value': 'DenyWritesExceptRotationAndWriters',
      'Move stage': 'DenyWritesExceptRotationAndWriters',
      ...everyDeny(MANAGEMENT, 'DenyManagementExceptDeployment'),
    },
  },
  {
    title: 'break-glass',
    principal: administrator(BREAK_GLASS_ROLE),
    cells: [
      denyButBreakGlass,
      denyButBreakGlass,
      allow,
      allow,
      allow,
      allow,
      allow,
      allow,
      allow,
      allow,
      allowViaSecretsManager,
      deny,
      deny,
      allow,
      allow,
    ],
    deniedBy: {
      ...KEY_GUARDS,
      'Get CURRENT': 'DenyReadsByUndeclaredPrincipals',
      'Get PREVIOUS': 'DenyReadsByUndeclaredPrincipals',
    },
  },
  {
    title: 'deployment',
    principal: { arn: DEPLOYMENT_ROLE, policies: [ADMINISTRATOR_ACCESS] },
    cells: [
      allow,
      allow,
      allow,
      allow,
      allow,
      allow,
      allow,
      allow,
      allow,
      allow,
      allowViaSecretsManager,
      deny,
      deny,
      allow,
      allow,
    ],
    deniedBy: KEY_GUARDS,
  },
  {
    title: 'service (conditioned)',
    principal: service(ACCOUNT),
    cells: [allow, allow, allow, deny, deny, deny, deny, deny, deny, deny, na, na, na, na, na],
  },
  {
    title: 'service (other account)',
    principal: service(OTHER_ACCOUNT),
    cells: [deny, deny, deny, deny, deny, deny, deny, deny, deny, deny, na, na, na, na, na],
  },
  {
    title: 'anonymous',
    principal: ANONYMOUS,
    cells: [deny, deny, deny, deny, deny, deny, deny, deny, deny, deny, deny, deny, deny, deny, deny],
  },
];

/** sts:AssumeRole on the reader role, whose `assumedBy` is Lambda. */
export const ASSUME_READER_ROLE: { title: string; principal: Principal; expect: Expected }[] = [
  { title: 'Lambda (the role’s assumedBy)', principal: { service: 'lambda.amazonaws.com' }, expect: 'allow' },
  {
    title: 'an administrator of another account',
    principal: administrator(`arn:aws:iam::${OTHER_ACCOUNT}:role/outsider`),
    expect: 'deny',
  },
  {
    title: 'an administrator of this account',
    principal: administrator(`arn:aws:iam::${ACCOUNT}:role/admin`),
    expect: 'deny',
  },
  { title: 'anonymous', principal: ANONYMOUS, expect: 'deny' },
];

function render(cell: Cell): string {
  if (cell.expect === 'n/a') return '—';
  const mark = cell.note === 1 ? '¹' : cell.note === 2 ? '²' : '';
  return cell.emphasis ? `**${cell.expect}**${mark}` : `${cell.expect}${mark}`;
}

/** The matrix as docs/access-model.md shows it. */
export function markdownTable(): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(['principal', ...COLUMNS.map((c) => c.title)]),
    `|${['principal', ...COLUMNS].map(() => '---').join('|')}|`,
    ...ROWS.map((row) => line([row.title, ...row.cells.map(render)])),
  ].join('\n');
}
