import { Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';

/**
 * The name of the first alias a key of this app was given (a VaultKey's own), when it is literal.
 * `kms.Alias.aliasName` is a token that renders a reference in another stack; the L1's property is
 * the name as written.
 */
export function literalAliasOf(key: kms.IKey): string | undefined {
  const alias = key.node.tryFindChild('Alias');
  if (!(alias instanceof kms.Alias)) return undefined;
  const name = (alias.node.defaultChild as kms.CfnAlias).aliasName;
  return Token.isUnresolved(name) ? undefined : name;
}
