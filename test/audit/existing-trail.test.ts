import { App, CliCredentialsStackSynthesizer, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { SecretsVault } from '../../lib';
import { AUDIT_METRICS, AuditTrail, SecretsAudit } from '../../lib/secrets-audit';
import { AuditedStack, auditedStack, ORG_TRAIL_LOG_GROUP } from './support';

describe('SecretsAudit on an existing (organization) trail', () => {
  let audited: AuditedStack;
  let template: Template;

  beforeAll(() => {
    audited = auditedStack({ existingTrail: true });
    template = audited.template;
  });

  test('creates no trail, no bucket and no log group of its own', () => {
    template.resourceCountIs('AWS::CloudTrail::Trail', 0);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    // The only log group left is the vault's rotation function's.
    expect(Object.keys(template.findResources('AWS::Logs::LogGroup'))).toEqual([
      expect.stringMatching(/^VaultRotation/),
    ]);
    expect(audited.audit.trail).toBeUndefined();
  });

  test('puts every metric filter on the existing log group', () => {
    const filters = Object.values(template.findResources('AWS::Logs::MetricFilter')) as any[];
    // One per signal, and two for the vault's break-glass principal (its calls, its role assumed).
    expect(filters).toHaveLength(Object.keys(AUDIT_METRICS).length + 2);
    for (const filter of filters) {
      expect(filter.Properties.LogGroupName).toBe(ORG_TRAIL_LOG_GROUP);
    }
  });

  test('runs its saved queries on the existing log group', () => {
    const queries = Object.values(template.findResources('AWS::Logs::QueryDefinition')) as any[];
    expect(queries).toHaveLength(4);
    for (const query of queries) {
      expect(query.Properties.LogGroupNames).toEqual([ORG_TRAIL_LOG_GROUP]);
    }
  });

  test('keeps its rules and their dead-letter queue, alarms, encrypted topic and dashboard', () => {
    template.resourceCountIs('AWS::Events::Rule', 3);
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 6);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AuditKey'), 'Arn'] },
    });
  });

  test('its key serves the topic and the dead-letter queue only: no CloudTrail or CloudWatch Logs statement', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('audit trail'),
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: [
          Match.objectLike({ Sid: 'KeyAdministration' }),
          Match.objectLike({ Sid: 'DenyGrantsNotForAwsResourcesOrServices' }),
          Match.objectLike({ Sid: 'AlarmsOfThisAccountPublishToEncryptedTopic' }),
          Match.objectLike({ Sid: 'RulesPublishToEncryptedTopicAndDeadLetterQueue' }),
        ],
      },
    });
  });

  test('the dashboard’s queries name the existing log group', () => {
    const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0] as any;
    const body = JSON.parse(audited.resolve(dashboard.Properties.DashboardBody) as string);
    const queries = body.widgets.filter((w: any) => w.type === 'log').map((w: any) => w.properties.query);
    expect(queries).toHaveLength(4);
    for (const query of queries) {
      expect(query.startsWith(`SOURCE '${ORG_TRAIL_LOG_GROUP}' | `)).toBe(true);
    }
  });
});

test('an audit on an existing trail creates no bucket, and names its deployment role for its key under another synthesizer', () => {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Legacy', {
    env: { account: '123456789012', region: 'eu-west-1' },
    synthesizer: new CliCredentialsStackSynthesizer(),
  });
  const vault = new SecretsVault(stack, 'Vault', {
    namePrefix: 'team/app',
    deploymentRole: iam.Role.fromRoleArn(stack, 'Deployer', 'arn:aws:iam::123456789012:role/deployer'),
  });
  const trail = AuditTrail.fromLogGroup(logs.LogGroup.fromLogGroupName(stack, 'Org', ORG_TRAIL_LOG_GROUP));
  expect(() => new SecretsAudit(stack, 'Unnamed', { vaults: [vault], trail })).toThrow(
    /^SecretsAudit Legacy\/Unnamed: invalid `deploymentRole`: received undefined; stack Legacy does not use DefaultStackSynthesizer/,
  );
  const deploymentRole = iam.Role.fromRoleArn(
    stack,
    'AuditDeployer',
    'arn:aws:iam::123456789012:role/deployer',
  );
  new SecretsAudit(stack, 'Audit', { vaults: [vault], trail, deploymentRole });
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::S3::BucketPolicy', 0);
  const keys = Object.values(template.findResources('AWS::KMS::Key')).filter((k: any) =>
    /audit trail/.test(k.Properties.Description),
  );
  expect(
    keys.map(
      (k: any) => k.Properties.KeyPolicy.Statement.find((s: any) => s.Sid === 'KeyAdministration').Condition,
    ),
  ).toEqual([{ ArnLike: { 'aws:PrincipalArn': ['arn:aws:iam::123456789012:role/deployer'] } }]);
});
