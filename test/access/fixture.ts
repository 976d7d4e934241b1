import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { SecretReaderRole, SecretsVault } from '../../lib';
import { ACCOUNT, REGION } from '../support/iam-evaluator';
import {
  BREAK_GLASS_ROLE,
  KEY_ADMIN_ROLE,
  ORGANIZATION_ID,
  PARTNER_ROLE,
  READER_SERVICE,
} from './matrix-spec';

/**
 * Apps for the access tests: path metadata on (the matrix names principals by construct path); stack
 * traces, asset staging, tree metadata and the built-in CloudFormation validator off, which keeps a
 * synth to a few milliseconds.
 */
export function accessApp(): App {
  return new App({
    context: {
      'aws:cdk:enable-path-metadata': true,
      'aws:cdk:disable-stack-trace': true,
      'aws:cdk:disable-asset-staging': true,
      'aws:cdk:disable-creation-stack-traces': true,
    },
    builtinCloudFormationValidation: false,
    treeMetadata: false,
  } as any);
}

/**
 * The fixture docs/access-model.md describes: one vault with one secret, and one principal of each
 * kind of the matrix's rows (see PATHS in matrix-spec.ts).
 */
export function matrixAssembly(): CloudAssembly {
  const app = accessApp();
  const stack = new Stack(app, 'Vault', { env: { account: ACCOUNT, region: REGION } });
  const lambda = new iam.ServicePrincipal('lambda.amazonaws.com');
  const vault = new SecretsVault(stack, 'Vault', {
    allowedOrganizationId: ORGANIZATION_ID,
    keyAdmins: [iam.Role.fromRoleArn(stack, 'KeyAdmin', KEY_ADMIN_ROLE)],
    breakGlass: iam.Role.fromRoleArn(stack, 'BreakGlass', BREAK_GLASS_ROLE),
  });
  const secret = vault.addSecret('Db');
  // Declared after the secret on purpose: the guards must exempt principals that come later.
  vault.addReaderRole('Reader', { assumedBy: lambda });
  new SecretReaderRole(stack, 'StagedReader', {
    assumedBy: lambda,
    secrets: [secret],
    versionStages: ['AWSCURRENT'],
  });
  vault.grantRead(new iam.Role(stack, 'Granted', { assumedBy: lambda }));
  secret.grantWrite(new iam.Role(stack, 'Writer', { assumedBy: lambda }));
  vault.addReader(new iam.ArnPrincipal(PARTNER_ROLE));
  vault.addReader(new iam.ServicePrincipal(READER_SERVICE));
  return app.synth();
}
