#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { ExampleStack } from './example-stack';

const app = new App();
new ExampleStack(app, 'SecretsVaultExample', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  partnerReaderArn:
    app.node.tryGetContext('partnerReaderArn') ?? 'arn:aws:iam::111122223333:role/partner-reporting-reader',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app));
