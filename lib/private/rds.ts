import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { DatabaseEngine } from '../database-engine';
import { invalid, Owner } from './validation';

/**
 * What the vault needs to know of an RDS instance or Aurora cluster of this app: where it listens,
 * what to attach a secret to, its network and its L1 resource. One shape for both kinds, so that the
 * rest of the code never asks which one it has.
 */
export interface RdsDatabase {
  /** The construct, for messages and for children such as an attachment. */
  readonly construct: rds.DatabaseInstance | rds.DatabaseCluster;
  /** `instance` or `cluster`, for messages. */
  readonly kind: 'instance' | 'cluster';
  /**
   * The writer endpoint's DNS name (a token). Read it lazily: a database attaches its master secret
   * before it has set its endpoint.
   */
  readonly host: string;
  /** Its port (a token); read lazily too. */
  readonly port: number;
  /** The instance or cluster identifier (a token): what an attachment names. */
  readonly identifier: string;
  /** The instance's or cluster's ARN (a token): what IAM names for DescribeDBInstances / DescribeDBClusters. */
  readonly arn: string;
  readonly attachmentType: secretsmanager.AttachmentTargetType;
  readonly vpc: ec2.IVpc;
  readonly connections: ec2.Connections;
  /** The engine the vault rotates it as, from its engine family. */
  readonly engine: DatabaseEngine;
  readonly resource: rds.CfnDBInstance | rds.CfnDBCluster;
}

/** RDS engine families (`IEngine.engineFamily`) the rotation function has a strategy for. */
const ENGINE_FAMILIES: Readonly<Record<string, DatabaseEngine>> = {
  POSTGRESQL: DatabaseEngine.POSTGRES,
  MYSQL: DatabaseEngine.MYSQL,
};

/**
 * The RDS database behind `target`, or a refusal naming what is supported. `owner` and `prop` name the
 * caller in the message.
 */
export function rdsDatabaseOf(owner: Owner, prop: string, target: IConstruct): RdsDatabase {
  if (target instanceof rds.DatabaseInstance) {
    return {
      construct: target,
      kind: 'instance',
      get host() {
        return target.instanceEndpoint.hostname;
      },
      get port() {
        return target.instanceEndpoint.port;
      },
      identifier: target.instanceIdentifier,
      arn: target.instanceArn,
      attachmentType: secretsmanager.AttachmentTargetType.RDS_DB_INSTANCE,
      vpc: target.vpc,
      connections: target.connections,
      engine: engineOf(owner, prop, target, target.engine?.engineFamily),
      resource: target.node.defaultChild as rds.CfnDBInstance,
    };
  }
  if (target instanceof rds.DatabaseCluster) {
    return {
      construct: target,
      kind: 'cluster',
      get host() {
        return target.clusterEndpoint.hostname;
      },
      get port() {
        return target.clusterEndpoint.port;
      },
      identifier: target.clusterIdentifier,
      arn: target.clusterArn,
      attachmentType: secretsmanager.AttachmentTargetType.RDS_DB_CLUSTER,
      vpc: target.vpc,
      // Set after the cluster attaches its master secret: read when needed.
      get connections() {
        return target.connections;
      },
      engine: engineOf(owner, prop, target, target.engine?.engineFamily),
      resource: target.node.defaultChild as rds.CfnDBCluster,
    };
  }
  return invalid(
    owner,
    prop,
    target.node.path,
    'allowed: an rds.DatabaseInstance or rds.DatabaseCluster of this app (read replicas, snapshots restores and imported databases have no credentials of ours to attach)',
  );
}

function engineOf(
  owner: Owner,
  prop: string,
  target: IConstruct,
  family: string | undefined,
): DatabaseEngine {
  const engine = family === undefined ? undefined : ENGINE_FAMILIES[family];
  if (engine === undefined) {
    invalid(
      owner,
      prop,
      `${target.node.path} (engine family ${family ?? 'unknown'})`,
      'allowed: a PostgreSQL, MySQL or MariaDB instance, or an Aurora PostgreSQL or Aurora MySQL cluster: the rotation function has no strategy for other engines',
    );
  }
  return engine;
}

/**
 * True when every subnet `fn` runs in belongs to `vpc`. Compared on the resolved template values:
 * neither the Lambda L2 nor the VPC says which VPC a function was placed in.
 */
export function runsInVpc(fn: { node: IConstruct['node'] }, vpc: ec2.IVpc): boolean {
  const cfn = fn.node.defaultChild as { vpcConfig?: { subnetIds?: string[] } } | undefined;
  const subnetIds = cfn?.vpcConfig?.subnetIds;
  if (!subnetIds || subnetIds.length === 0) return false;
  const stack = Stack.of(fn.node.scope ?? (fn as unknown as IConstruct));
  const key = (value: unknown) => JSON.stringify(stack.resolve(value));
  const inVpc = new Set(
    [...vpc.publicSubnets, ...vpc.privateSubnets, ...vpc.isolatedSubnets].map((s) => key(s.subnetId)),
  );
  return subnetIds.every((id) => inVpc.has(key(id)));
}
