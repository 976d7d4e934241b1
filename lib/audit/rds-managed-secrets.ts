import { CfnResource, Fn, Stack } from 'aws-cdk-lib';
import * as rds from 'aws-cdk-lib/aws-rds';
import { IConstruct } from 'constructs';
import { ManagedSecret } from './audit-scope';

const RDS_DATABASE_TYPES = ['AWS::RDS::DBInstance', 'AWS::RDS::DBCluster'];

/**
 * A master secret RDS manages (`manageMasterUserPassword`) and the database resource it belongs to.
 *
 * @internal
 */
export interface RdsManagedSecret extends ManagedSecret {
  /** The `AWS::RDS::DBInstance` or `AWS::RDS::DBCluster`. */
  readonly database: CfnResource;
}

/** One entry per database, so that its name and ARN keep one token each through a synth. */
const secretsByDatabase = new WeakMap<CfnResource, RdsManagedSecret>();

/**
 * The master secrets RDS manages for the databases under `scope` (instances and clusters, however
 * they were created) that are encrypted with one of `keyArns`, as `RdsManagedMaster` requires of a
 * vault's. A database whose secret uses another key, or RDS's default key, is not one of them.
 *
 * @internal
 */
export function rdsManagedSecrets(scope: IConstruct, keyArns: readonly string[]): RdsManagedSecret[] {
  if (keyArns.length === 0) return [];
  return scope.node.findAll().flatMap((c) => {
    if (!CfnResource.isCfnResource(c) || !RDS_DATABASE_TYPES.includes(c.cfnResourceType)) return [];
    const database = c as rds.CfnDBInstance | rds.CfnDBCluster;
    if (database.manageMasterUserPassword !== true || !encryptedWithAnyOf(database, keyArns)) return [];
    let secret = secretsByDatabase.get(database);
    if (!secret) {
      const arn = database.attrMasterUserSecretSecretArn;
      secret = { arn, name: rdsSecretName(arn), database };
      secretsByDatabase.set(database, secret);
    }
    return [secret];
  });
}

function encryptedWithAnyOf(
  database: rds.CfnDBInstance | rds.CfnDBCluster,
  keyArns: readonly string[],
): boolean {
  const stack = Stack.of(database);
  const secret = stack.resolve(database.masterUserSecret) as
    { kmsKeyId?: unknown; KmsKeyId?: unknown } | undefined;
  const keyId = secret?.kmsKeyId ?? secret?.KmsKeyId;
  if (keyId === undefined) return false;
  const rendered = JSON.stringify(keyId);
  return keyArns.some((arn) => JSON.stringify(stack.resolve(arn)) === rendered);
}

/**
 * The secret's name, known only at deploy: RDS names it `rds!db-<uuid>` or `rds!cluster-<uuid>`, and
 * its ARN ends with `:secret:` that name, `-` and six random characters. The name is the ARN's
 * seventh `:`-separated field without that suffix: its first six `-`-separated parts (the prefix and
 * the UUID's five groups).
 */
function rdsSecretName(arn: string): string {
  const withSuffix = Fn.select(6, Fn.split(':', arn));
  const parts = Fn.split('-', withSuffix);
  return Fn.join(
    '-',
    [0, 1, 2, 3, 4, 5].map((i) => Fn.select(i, parts)),
  );
}
