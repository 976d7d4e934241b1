import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  RotationFunction,
  RotationStrategy,
  SecretContent,
  SecretReaderRole,
  SecretRotationSchedule,
  SecretsVault,
} from '../../lib';

/** Uses of the library whose size still grows with N, measured next to the flat vault. */
export type GrowthCase = 'distinct-profiles' | 'standalone-rotation' | 'reader-role-list';

export interface GrowthStackProps extends StackProps {
  readonly growth: GrowthCase;
  readonly secrets: number;
}

/**
 * - `distinct-profiles`: a vault whose N secrets each have their own generation options (length
 *   20 + i), so the rotation function's ROTATION_PROFILES environment holds N profiles.
 * - `standalone-rotation`: a RotationFunction without `secretNamePrefix` rotating N secrets made
 *   elsewhere: its allow list, role policy and invoke permissions list every secret.
 * - `reader-role-list`: a SecretReaderRole given the N secrets of a vault as a list instead of
 *   `vault.grantRead(role)`.
 */
export class GrowthStack extends Stack {
  constructor(scope: Construct, id: string, props: GrowthStackProps) {
    super(scope, id, props);
    const n = props.secrets;
    switch (props.growth) {
      case 'distinct-profiles': {
        const vault = new SecretsVault(this, 'Vault', { namePrefix: 'bench/orders' });
        for (let i = 0; i < n; i++) {
          vault.addSecret(`Secret${i}`, { content: SecretContent.generatedString({ length: 20 + i }) });
        }
        break;
      }
      case 'standalone-rotation': {
        const rotation = new RotationFunction(this, 'Rotation');
        const key = new kms.Key(this, 'Key', { enableKeyRotation: true });
        for (let i = 0; i < n; i++) {
          rotation.addSecret(new secretsmanager.Secret(this, `Secret${i}`, { encryptionKey: key }), {
            schedule: SecretRotationSchedule.rate(Duration.days(30)),
            strategy: RotationStrategy.generatedString(),
          });
        }
        break;
      }
      case 'reader-role-list': {
        const vault = new SecretsVault(this, 'Vault', {
          namePrefix: 'bench/orders',
          rotation: SecretRotationSchedule.never(),
        });
        const secrets = Array.from({ length: n }, (_, i) => vault.addSecret(`Secret${i}`));
        new SecretReaderRole(this, 'AppRole', {
          assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
          secrets,
        });
        break;
      }
    }
  }
}
