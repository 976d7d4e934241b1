/**
 * The master secrets RDS manages (`manageMasterUserPassword`) with a watched vault's key are named
 * `rds!db-<uuid>` / `rds!cluster-<uuid>`, outside the vault's name prefix: the audit watches them by
 * name and ARN (known at deploy), for reads, refused requests, rotations and rotation failures, in its
 * metric filters, its rotation rule and its queries. Checked against the CloudTrail records of
 * ./rds-managed-records.ts (the fixtures' shapes with RDS's secrets).
 */
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { SecretsVault } from '../../lib';
import { AUDIT_METRICS, AuditSignal, SecretsAudit } from '../../lib/secrets-audit';
import { MotoServer, startMoto } from '../support/moto';
import { matchesFilterPattern } from './filter-pattern';
import {
  RDS_CLUSTER_SECRET_ARN,
  RDS_CLUSTER_SECRET_NAME,
  RDS_EXPECTED,
  RDS_RECORDS,
  RDS_SECRET_ARN,
  RDS_SECRET_NAME,
} from './rds-managed-records';
import { matchedByRules } from './rules-in-moto';
import { ACCOUNT, AuditedStack, auditedStack, cloudTrailFixtures, REGION } from './support';

const ISOLATED = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
const OTHER_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!db-11112222-3333-4444-5555-666677778888-Kl34Mn`;
const fixtures = cloudTrailFixtures();
const signals = Object.keys(AUDIT_METRICS) as AuditSignal[];

function isolatedVpc(scope: Construct): ec2.Vpc {
  return new ec2.Vpc(scope, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
}

function instance(
  scope: Construct,
  id: string,
  vpc: ec2.IVpc,
  encryptionKey: kms.IKey,
): rds.DatabaseInstance {
  return new rds.DatabaseInstance(scope, id, {
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
    vpc,
    vpcSubnets: ISOLATED,
    manageMasterUserPassword: true,
    credentials: rds.Credentials.fromUsername('postgres', { encryptionKey }),
  });
}

function secretArnRef(database: Construct): string {
  return `${Stack.of(database).getLogicalId(database.node.defaultChild as CfnResource)}.MasterUserSecret.SecretArn`;
}

/**
 * The audited example vault, then (after the audit: they are found at synth) an instance and an
 * Aurora cluster whose RDS-managed secrets use the vault's key, and an instance whose secret uses a
 * key of its own. Their secrets' ARNs resolve to those of the records.
 */
function auditedWithDatabases(): AuditedStack {
  const audited = auditedStack();
  const { stack, vault } = audited;
  const vpc = isolatedVpc(stack);
  const db = instance(stack, 'Db', vpc, vault.encryptionKey);
  vault.useRdsManagedMaster(db);
  const cluster = new rds.DatabaseCluster(stack, 'Cluster', {
    engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_2 }),
    writer: rds.ClusterInstance.serverlessV2('Writer'),
    vpc,
    vpcSubnets: ISOLATED,
    manageMasterUserPassword: true,
    credentials: rds.Credentials.fromUsername('postgres', { encryptionKey: vault.encryptionKey }),
  });
  const other = instance(stack, 'OtherDb', vpc, new kms.Key(stack, 'OtherKey'));
  audited.refs[secretArnRef(db)] = RDS_SECRET_ARN;
  audited.refs[secretArnRef(cluster)] = RDS_CLUSTER_SECRET_ARN;
  audited.refs[secretArnRef(other)] = OTHER_ARN;
  return audited;
}

/** The resolved pattern of each metric filter, by metric name. */
function patternsOf(audited: AuditedStack): Record<string, string> {
  return Object.fromEntries(
    Object.values(audited.template.findResources('AWS::Logs::MetricFilter')).map((f: any) => [
      f.Properties.MetricTransformations[0].MetricName,
      audited.resolve(f.Properties.FilterPattern) as string,
    ]),
  );
}

const matching = (pattern: string, records: Record<string, unknown>) =>
  Object.keys(records)
    .filter((name) => matchesFilterPattern(pattern, records[name]))
    .sort();

describe('the master secrets RDS manages with a watched vault’s key', () => {
  let audited: AuditedStack;
  let patterns: Record<string, string>;

  beforeAll(() => {
    audited = auditedWithDatabases();
    patterns = patternsOf(audited);
  });

  test.each(signals)('the %s filter counts exactly its records of the RDS-managed secrets', (signal) => {
    expect(matching(patterns[AUDIT_METRICS[signal]], RDS_RECORDS)).toEqual(
      [...(RDS_EXPECTED[signal] ?? [])].sort(),
    );
  });

  test('the vault’s own records count exactly as without the databases', () => {
    const without = patternsOf(auditedStack());
    for (const signal of signals) {
      const metricName = AUDIT_METRICS[signal];
      expect({ metricName, matched: matching(patterns[metricName], fixtures) }).toEqual({
        metricName,
        matched: matching(without[metricName], fixtures),
      });
    }
  });

  test('the patterns name each secret by the name RDS gave it, taken from its ARN at deploy', () => {
    expect(patterns[AUDIT_METRICS.secretRead]).toContain(
      `$.requestParameters.secretId = "*${RDS_SECRET_NAME}*"`,
    );
    expect(patterns[AUDIT_METRICS.secretRead]).toContain(
      `$.requestParameters.secretId = "*${RDS_CLUSTER_SECRET_NAME}*"`,
    );
    expect(patterns[AUDIT_METRICS.rotationFailed]).toContain(
      `$.additionalEventData.SecretId = "*:secret:${RDS_SECRET_NAME}-*"`,
    );
    expect(patterns[AUDIT_METRICS.secretRead]).not.toContain('11112222-3333');
    // In the template: derived from the database's attribute, never a literal.
    const read = Object.values(audited.template.findResources('AWS::Logs::MetricFilter')).find(
      (f: any) => f.Properties.MetricTransformations[0].MetricName === AUDIT_METRICS.secretRead,
    ) as any;
    expect(JSON.stringify(read.Properties.FilterPattern)).toContain('"MasterUserSecret.SecretArn"');
    expect(JSON.stringify(read.Properties.FilterPattern)).not.toContain('rds!');
  });

  test('the management and value-write patterns are the vault’s alone (RDS writes its secret itself)', () => {
    const without = patternsOf(auditedStack());
    for (const signal of ['keyChanged', 'secretChanged', 'secretValueWritten', 'keyRotated'] as const) {
      expect(patterns[AUDIT_METRICS[signal]]).toBe(without[AUDIT_METRICS[signal]]);
    }
  });

  test('the Logs Insights queries (and so the dashboard tables) take the RDS-managed secrets in', () => {
    const { stack, audit } = audited;
    const conditions = (query: string, field: string) => {
      const text = audited.resolve(stack.resolve(query)) as string;
      const escaped = field.replace(/\./g, '\\.');
      return [...text.matchAll(new RegExp(`${escaped} like /(.*?)/(?= or |\\)|\\n|$)`, 'g'))].map(
        ([, source]) => new RegExp(source),
      );
    };
    const readers = conditions(audit.queries.readers.toString(), 'requestParameters.secretId');
    const rotations = conditions(audit.queries.lastRotation.toString(), 'additionalEventData.SecretId');
    const inQuery = (regexes: RegExp[], id: string) => regexes.some((r) => r.test(id));
    for (const id of [
      RDS_SECRET_NAME,
      RDS_SECRET_ARN,
      RDS_SECRET_ARN.replace(/-AbCdEf$/, ''),
      RDS_CLUSTER_SECRET_NAME,
    ]) {
      expect({ id, read: inQuery(readers, id) }).toEqual({ id, read: true });
    }
    expect(inQuery(rotations, RDS_SECRET_ARN)).toBe(true);
    expect(inQuery(rotations, RDS_CLUSTER_SECRET_ARN)).toBe(true);
    expect(inQuery(readers, 'example/orders/PaymentsApiKey')).toBe(true);
    for (const id of ['rds!db-11112222-3333-4444-5555-666677778888', OTHER_ARN]) {
      expect({ id, read: inQuery(readers, id), rotated: inQuery(rotations, id) }).toEqual({
        id,
        read: false,
        rotated: false,
      });
    }
  });

  test('a database of the audit’s stack created after the audit is watched too, without a warning', () => {
    expect(Annotations.fromStack(audited.stack).findWarning('/Audited/Audit', Match.anyValue())).toEqual([]);
  });
});

describe('the rotation rule notifies failed rotations of the RDS-managed secrets (moto)', () => {
  let moto: MotoServer;
  let matched: Record<string, string[]>;
  let patterns: Record<string, any>;

  beforeAll(async () => {
    const audited = auditedWithDatabases();
    const names = ['RotationFailure', 'SecretChange', 'KeyChange'];
    patterns = Object.fromEntries(
      Object.entries(audited.template.findResources('AWS::Events::Rule')).map(
        ([logicalId, rule]: [string, any]) => [
          names.find((n) => logicalId.startsWith(`AuditRules${n}`)) ?? logicalId,
          audited.resolve(rule.Properties.EventPattern),
        ],
      ),
    );
    moto = await startMoto();
    matched = await matchedByRules(moto, patterns, { ...fixtures, ...RDS_RECORDS });
  }, 60000);

  afterAll(async () => {
    await moto?.stop();
  });

  test('the rule names each secret by its complete ARN, after the vault’s prefix', () => {
    expect(patterns.RotationFailure.detail.additionalEventData.SecretId).toEqual([
      { prefix: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:example/orders/` },
      RDS_SECRET_ARN,
      RDS_CLUSTER_SECRET_ARN,
    ]);
  });

  test('it matches the failed and abandoned rotations of the watched secrets, and of no other', () => {
    expect(matched.RotationFailure.sort()).toEqual(
      [
        'rotation-failed',
        'rotation-abandoned',
        'rds-rotation-failed',
        'rds-rotation-abandoned',
        'rds-cluster-rotation-failed',
      ].sort(),
    );
  });

  test('the change rules match no record of an RDS-managed secret', () => {
    expect(Object.keys(patterns).sort()).toEqual(['KeyChange', 'RotationFailure', 'SecretChange']);
    for (const name of ['SecretChange', 'KeyChange']) {
      expect({ name, rds: matched[name].filter((n) => n.startsWith('rds-')) }).toEqual({ name, rds: [] });
    }
  });
});

describe('RDS-managed secrets the audit does not watch', () => {
  function twoStacks(auditInDatabaseStack: boolean) {
    const app = new App({ builtinCloudFormationValidation: false });
    const env = { account: ACCOUNT, region: REGION };
    const stack = new Stack(app, 'Vaults', { env });
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
    const audit = new SecretsAudit(stack, 'Audit', { vaults: [vault] });
    const databases = new Stack(app, 'Databases', { env });
    instance(databases, 'Db', isolatedVpc(databases), vault.encryptionKey);
    if (auditInDatabaseStack) {
      new SecretsAudit(databases, 'Audit', { vaults: [vault], metricNamespace: 'SecretsVault/Databases' });
    }
    return { stack, audit };
  }

  test('a database of another stack is not watched (its ARN would tie the stacks both ways), and synth says so', () => {
    const { stack } = twoStacks(false);
    const template = Template.fromStack(stack);
    expect(JSON.stringify(template.findResources('AWS::Logs::MetricFilter'))).not.toContain(
      'MasterUserSecret',
    );
    const warnings = Annotations.fromStack(stack).findWarning('/Vaults/Audit', Match.anyValue());
    expect(warnings.map((w) => w.entry.data)).toEqual([
      'SecretsAudit Vaults/Audit: the master secret RDS manages for database Databases/Db is encrypted ' +
        "with the key of watched vault Vaults/Vault, but the database is in stack Databases, not in this audit's " +
        'stack Vaults: its reads and rotations are not watched. Watch the vault from an audit in that stack too ' +
        "(with a `metricNamespace` of its own), or create the database in this audit's stack. " +
        '[ack: cdk-secrets-vault:audit-rds-secret-elsewhere]',
    ]);
  });

  test('no warning when an audit of the database’s stack watches the vault', () => {
    const { stack } = twoStacks(true);
    expect(Annotations.fromStack(stack).findWarning('/Vaults/Audit', Match.anyValue())).toEqual([]);
  });

  test('a database whose secret uses another key, or RDS’s default key, is not watched', () => {
    const audited = auditedStack();
    const vpc = isolatedVpc(audited.stack);
    instance(audited.stack, 'OtherDb', vpc, new kms.Key(audited.stack, 'OtherKey'));
    new rds.DatabaseInstance(audited.stack, 'DefaultKeyDb', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
      vpc,
      vpcSubnets: ISOLATED,
      manageMasterUserPassword: true,
      credentials: rds.Credentials.fromUsername('postgres'),
    });
    expect(patternsOf(audited)).toEqual(patternsOf(auditedStack()));
  });
});

describe('the length check counts the RDS-managed secrets', () => {
  function withInstances(count: number): Stack {
    const audited = auditedStack();
    const vpc = isolatedVpc(audited.stack);
    for (let i = 0; i < count; i++) instance(audited.stack, `Db${i}`, vpc, audited.vault.encryptionKey);
    return audited.stack;
  }

  // One vault with rotating secrets and a break-glass role: the refused-read pattern is the longest.
  test('a name counts as the longest RDS gives (rds!cluster- and a UUID): eight instances are too many', () => {
    expect(() => Template.fromStack(withInstances(8))).toThrow(
      /SecretsAudit Audited\/Audit: the filter pattern of the AccessDenied metric would be about 10[2-9]\d characters for 1 name prefixes, 8 RDS-managed secrets, 1 vault keys, 1 rotation roles and 1 break-glass principals; CloudWatch Logs allows 1024\. Split the vaults/,
    );
  });

  test('seven fit', () => {
    expect(() => Template.fromStack(withInstances(7))).not.toThrow();
  });
});
