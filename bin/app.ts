#!/usr/bin/env node
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { CrossAccountSecretReader, VaultReference, VaultReplicaKey } from '../lib';
import { ExampleStack } from './example-stack';

const app = new App();
// Replica keys and a partner account need explicit environments: their policies name the vault's
// account and region, and the vault names the partner's role, by literal ARNs.
const account = app.node.tryGetContext('account') ?? process.env.CDK_DEFAULT_ACCOUNT ?? '111111111111';
const region = app.node.tryGetContext('region') ?? process.env.CDK_DEFAULT_REGION ?? 'eu-west-1';
const replicaRegion: string =
  app.node.tryGetContext('replicaRegion') ?? (region === 'us-east-1' ? 'us-west-2' : 'us-east-1');
const partnerAccount: string = app.node.tryGetContext('partnerAccount') ?? '222222222222';
const partnerRoleName = 'partner-reporting-reader';

const example = new ExampleStack(app, 'SecretsVaultExample', {
  env: { account, region },
  partnerReaderArn: `arn:aws:iam::${partnerAccount}:role/${partnerRoleName}`,
});

// The replica region's key: deployed before the vault's stack, which names it by alias.
const replica = new Stack(app, 'SecretsVaultExampleReplica', { env: { account, region: replicaRegion } });
new VaultReplicaKey(replica, 'VaultKey', { vault: example.vault });

// The partner account's half of the cross-account read of the database credential.
const partner = new Stack(app, 'SecretsVaultExamplePartner', { env: { account: partnerAccount, region } });
const reporting = new iam.Role(partner, 'ReportingReader', {
  roleName: partnerRoleName,
  assumedBy: new iam.AccountRootPrincipal(),
  description: 'Partner reporting: reads the orders database credential of the vault account',
});
new CrossAccountSecretReader(partner, 'ReadOrdersDb', {
  vault: VaultReference.fromVault(example.vault),
  role: reporting,
  secretNames: ['example/orders/OrdersApp'],
  versionStages: ['AWSCURRENT'],
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app));
