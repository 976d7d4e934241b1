/**
 * The trail buckets' guard, decided by the independent IAM engine @cloud-copilot/iam-simulate (a
 * test-only, AGPL devDependency) against the synthesized bucket policies: an administrator with `*:*`
 * can neither delete the buckets or their log files nor loosen them; the deployment can.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { DefaultStackSynthesizer, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { GUARDED_BUCKET_ACTIONS } from '../../lib/secrets-audit';
import { ACCOUNT, AuditedStack, auditedStack, REGION } from './support';

const DEPLOYMENT_ROLE = `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${REGION}`;
const ADMIN_ROLE = `arn:aws:iam::${ACCOUNT}:role/Admin`;
const ADMINISTRATOR_ACCESS = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};

type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** A session of `roleArn`, with AdministratorAccess, calls `action` on `resource` under `policy`. */
async function decide(policy: unknown, roleArn: string, action: string, resource: string): Promise<Decision> {
  const name = roleArn.split('/').pop();
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/${name}/session`,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: {
          'aws:PrincipalArn': roleArn,
          'aws:PrincipalAccount': ACCOUNT,
          'aws:PrincipalType': 'AssumedRole',
          'aws:SecureTransport': 'true',
          'aws:PrincipalIsAWSService': 'false',
        },
      },
      identityPolicies: [{ name: 'AdministratorAccess', policy: ADMINISTRATOR_ACCESS }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: policy as any,
    } as any,
    {},
  );
  if (result.resultType !== 'single')
    throw new Error(`unexpected simulation result ${JSON.stringify(result)}`);
  return result.result.analysis.result as Decision;
}

/** CloudTrail (the service) writes a log file under the trail bucket's policy. */
async function cloudTrailWrites(policy: unknown, bucket: string, trailArn: string): Promise<Decision> {
  const result = await runSimulation(
    {
      request: {
        principal: 'cloudtrail.amazonaws.com',
        action: 's3:PutObject',
        resource: {
          resource: `arn:aws:s3:::${bucket}/AWSLogs/${ACCOUNT}/CloudTrail/log.json.gz`,
          accountId: ACCOUNT,
        },
        contextVariables: {
          'aws:SecureTransport': 'true',
          'aws:PrincipalIsAWSService': 'true',
          'aws:PrincipalServiceName': 'cloudtrail.amazonaws.com',
          'aws:SourceArn': trailArn,
          'aws:SourceAccount': ACCOUNT,
          's3:x-amz-acl': 'bucket-owner-full-control',
          's3:TlsVersion': '1.3',
        },
      },
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: policy as any,
    } as any,
    {},
  );
  if (result.resultType !== 'single')
    throw new Error(`unexpected simulation result ${JSON.stringify(result)}`);
  return result.result.analysis.result as Decision;
}

describe('the trail buckets are guarded against an account administrator', () => {
  let audited: AuditedStack;
  let template: Template;
  const buckets: Record<'trail' | 'accessLogs', { name: string; policy: any }> = {} as any;
  let trailArn: string;

  beforeAll(() => {
    audited = auditedStack();
    template = audited.template;
    for (const [key, logging] of [
      ['trail', Match.anyValue()],
      ['accessLogs', Match.absent()],
    ] as const) {
      const [id] = Object.keys(
        template.findResources('AWS::S3::Bucket', { Properties: { LoggingConfiguration: logging } }),
      );
      const name = `${id.toLowerCase()}-bucket`;
      const [policy] = Object.values(
        template.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: id } } }),
      ) as any[];
      const resolved = audited.resolve(policy.Properties.PolicyDocument) as any;
      // Bucket ARNs resolve to `<Id.Arn>`: give them the name the test decides on.
      buckets[key] = {
        name,
        policy: JSON.parse(JSON.stringify(resolved).split(`<${id}.Arn>`).join(`arn:aws:s3:::${name}`)),
      };
    }
    trailArn = (Object.values(template.findResources('AWS::CloudTrail::Trail'))[0] as any).Properties
      .TrailName;
    trailArn = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/${trailArn}`;
  });

  test.each(['trail', 'accessLogs'] as const)(
    'the %s bucket denies the guarded actions to all but the deployment role',
    (key) => {
      const deny = buckets[key].policy.Statement.find(
        (s: any) => s.Sid === 'DenyDeletionAndGuardChangesExceptDeployment',
      );
      expect(deny).toEqual({
        Sid: 'DenyDeletionAndGuardChangesExceptDeployment',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: GUARDED_BUCKET_ACTIONS,
        Resource: [`arn:aws:s3:::${buckets[key].name}`, `arn:aws:s3:::${buckets[key].name}/*`],
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': DEPLOYMENT_ROLE } },
      });
    },
  );

  test('the deployment role is the synthesizer’s CloudFormation execution role, its placeholders left to Fn::Sub', () => {
    const [policy] = Object.values(template.findResources('AWS::S3::BucketPolicy')) as any[];
    const deny = policy.Properties.PolicyDocument.Statement.find(
      (s: any) => s.Sid === 'DenyDeletionAndGuardChangesExceptDeployment',
    );
    expect(deny.Condition.ArnNotEquals['aws:PrincipalArn']).toEqual({
      'Fn::Sub': (audited.stack.synthesizer as DefaultStackSynthesizer).cloudFormationExecutionRoleArn,
    });
  });

  const bucketActions: [string, (name: string) => string][] = [
    ['s3:DeleteBucket', (n) => `arn:aws:s3:::${n}`],
    ['s3:PutBucketPolicy', (n) => `arn:aws:s3:::${n}`],
    ['s3:DeleteBucketPolicy', (n) => `arn:aws:s3:::${n}`],
    ['s3:PutBucketVersioning', (n) => `arn:aws:s3:::${n}`],
    ['s3:PutLifecycleConfiguration', (n) => `arn:aws:s3:::${n}`],
    ['s3:PutBucketObjectLockConfiguration', (n) => `arn:aws:s3:::${n}`],
    ['s3:DeleteObject', (n) => `arn:aws:s3:::${n}/AWSLogs/${ACCOUNT}/CloudTrail/log.json.gz`],
    ['s3:DeleteObjectVersion', (n) => `arn:aws:s3:::${n}/AWSLogs/${ACCOUNT}/CloudTrail/log.json.gz`],
    ['s3:BypassGovernanceRetention', (n) => `arn:aws:s3:::${n}/AWSLogs/${ACCOUNT}/CloudTrail/log.json.gz`],
  ];

  test.each(bucketActions)(
    'an administrator with *:* is refused %s on both buckets',
    async (action, resource) => {
      for (const key of ['trail', 'accessLogs'] as const) {
        const { name, policy } = buckets[key];
        expect({ key, decision: await decide(policy, ADMIN_ROLE, action, resource(name)) }).toEqual({
          key,
          decision: 'ExplicitlyDenied',
        });
      }
    },
  );

  test.each(bucketActions)(
    'the deployment role may still %s (the way back through a stack update)',
    async (action, resource) => {
      const { name, policy } = buckets.trail;
      expect(await decide(policy, DEPLOYMENT_ROLE, action, resource(name))).toBe('Allowed');
    },
  );

  test('reading the log files is not guarded: an administrator may still investigate', async () => {
    const { name, policy } = buckets.trail;
    expect(
      await decide(policy, ADMIN_ROLE, 's3:GetObject', `arn:aws:s3:::${name}/AWSLogs/${ACCOUNT}/x.json.gz`),
    ).toBe('Allowed');
  });

  test('CloudTrail still writes its log files', async () => {
    expect(await cloudTrailWrites(buckets.trail.policy, buckets.trail.name, trailArn)).toBe('Allowed');
  });
});

describe('the deployment role the bucket guard exempts', () => {
  test('is the `deploymentRole` given', () => {
    const audited = auditedStack({
      props: {
        deploymentRole: iam.Role.fromRoleArn(
          new Stack(),
          'Deployer',
          `arn:aws:iam::${ACCOUNT}:role/pipeline-deployer`,
        ),
      },
    });
    const policies = Object.values(audited.template.findResources('AWS::S3::BucketPolicy')) as any[];
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      const deny = policy.Properties.PolicyDocument.Statement.find(
        (s: any) => s.Sid === 'DenyDeletionAndGuardChangesExceptDeployment',
      );
      expect(deny.Condition).toEqual({
        ArnNotEquals: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/pipeline-deployer` },
      });
    }
  });
});
