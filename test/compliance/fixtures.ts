import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ExampleStack } from '../../bin/example-stack';
import { CrossAccountSecretReader, VaultReference } from '../../lib/cross-account-reader';
import { DatabaseEngine } from '../../lib/database-engine';
import { DatabaseUserRotation } from '../../lib/database-secret';
import { SecretContent } from '../../lib/secret-content';
import { SecretReaderRole } from '../../lib/secret-reader-role';
import { SecretsAudit } from '../../lib/secrets-audit';
import { SecretsVault } from '../../lib/secrets-vault';

export const PARTNER_ACCOUNT = '222222222222';
const PARTNER_READER = `arn:aws:iam::${PARTNER_ACCOUNT}:role/partner-reporting-reader`;

/** The example app's stack, as test/example-app.test.ts builds it. */
export function exampleApp(app: App): void {
  new ExampleStack(app, 'SecretsVaultExample', {
    partnerReaderArn: 'arn:aws:iam::111122223333:role/partner-reporting-reader',
  });
}

/**
 * Everything the library makes, in one environment-agnostic stack (the case where account and
 * region are tokens, which some rules read least kindly): a vault with a generated string and JSON,
 * a single-user and an alternating-users database secret, its rotation function in a VPC, reader
 * roles of both kinds, a reader of another account on the resource side, a break-glass principal,
 * and an audit with its own trail; plus the other account's stack with a CrossAccountSecretReader.
 */
export function fullFeaturedApp(app: App): void {
  const stack = new Stack(app, 'FullFeatured');
  // An existing VPC: its own findings (flow logs, default group) are its owner's, not this library's.
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0123456789abcdef0',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
  });
  const vault = new SecretsVault(stack, 'Vault', {
    namePrefix: 'fixture/orders',
    rotationVpc: vpc,
    breakGlass: new iam.ArnPrincipal(`arn:aws:iam::${stack.account}:role/break-glass`),
  });
  vault.addSecret('ApiKey', {
    description: 'A generated string',
    content: SecretContent.generatedString({ length: 40, excludePunctuation: true }),
  });
  const json = vault.addSecret('Service', {
    description: 'A generated JSON value',
    content: SecretContent.generatedJson({ username: 'service' }, 'password'),
  });
  const admin = vault.addDatabaseSecret('DbAdmin', {
    engine: DatabaseEngine.POSTGRES,
    host: 'orders.db.internal',
    username: 'postgres',
  });
  vault.addDatabaseSecret('DbApp', {
    engine: DatabaseEngine.POSTGRES,
    host: 'orders.db.internal',
    dbname: 'orders',
    username: 'orders_app',
    userRotation: DatabaseUserRotation.alternatingUsers(admin),
  });
  vault.addDatabaseSecret('Reporting', {
    engine: DatabaseEngine.MYSQL,
    host: 'reporting.db.internal',
    username: 'reporting',
  });
  vault.addReaderRole('VaultReader', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: 'Reads every secret of the vault',
  });
  new SecretReaderRole(stack, 'ServiceReader', {
    assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
    secrets: [json],
    versionStages: ['AWSCURRENT'],
  });
  json.addReader(new iam.ArnPrincipal(PARTNER_READER));
  new SecretsAudit(stack, 'Audit', { vaults: [vault], alarmEmail: 'secops@example.com' });

  const partner = new Stack(app, 'Partner', { env: { account: PARTNER_ACCOUNT, region: 'eu-west-1' } });
  const reader = new iam.Role(partner, 'Reader', {
    roleName: 'partner-reporting-reader',
    assumedBy: new iam.AccountRootPrincipal(),
  });
  new CrossAccountSecretReader(partner, 'ReadOrders', {
    vault: VaultReference.fromAttributes({
      account: '111111111111',
      region: 'eu-west-1',
      namePrefix: 'fixture/orders',
      keyAlias: 'alias/fixture/orders',
    }),
    role: reader,
    secretNames: ['fixture/orders/Service'],
    versionStages: ['AWSCURRENT'],
  });
}
