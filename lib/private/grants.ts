import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { isPrincipalOfAnotherAccount } from './accounts';
import { KEY_DECRYPT_ACTIONS, KEY_ENCRYPT_ACTIONS } from './actions';

/** The Secrets Manager endpoint of the key's region, the value of `kms:ViaService`. */
export function secretsManagerService(key: kms.IKey): string {
  return `secretsmanager.${Stack.of(key).region}.amazonaws.com`;
}

/** The KMS side of a read: decrypt, only through Secrets Manager. */
export function grantDecryptViaSecretsManager(key: kms.IKey, grantee: iam.IGrantable): iam.Grant {
  return grantViaSecretsManager(key, grantee, KEY_DECRYPT_ACTIONS);
}

/** The KMS side of a write: encrypt new versions, only through Secrets Manager. */
export function grantEncryptViaSecretsManager(key: kms.IKey, grantee: iam.IGrantable): iam.Grant {
  return grantViaSecretsManager(key, grantee, KEY_ENCRYPT_ACTIONS);
}

/**
 * A principal of the key's account that has an identity policy gets the statement there (the key
 * policy already delegates to IAM), so the key policy does not grow with every reader. Any other
 * principal (another account's, or a bare ARN) is named in the key policy instead.
 */
export function grantViaSecretsManager(key: kms.IKey, grantee: iam.IGrantable, actions: string[]): iam.Grant {
  const service = secretsManagerService(key);
  // Not only a known other account: in an environment-agnostic stack a role imported by the ARN of
  // another account would get an identity policy attached to a same-named role of this account.
  if (!isPrincipalOfAnotherAccount(key, grantee.grantPrincipal)) {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': service } },
    });
    if (grant.success) return grant;
  }
  return key.grant(new kms.ViaServicePrincipal(service, grantee.grantPrincipal), ...actions);
}
