import { Duration, IResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import type { RotationFunctionProps } from '../rotation-function';
import {
  invalid,
  knownToDiffer,
  Owner,
  summary,
  validateLogRetention,
  validateSecretName,
  validateWholeNumber,
} from './validation';

/** Lambda's reserved concurrency must leave the account's unreserved pool intact; we cap ours. */
export const MAX_RESERVED_CONCURRENCY = 100;

/** The bounds of a step's timeout we accept (Lambda itself allows 1 second to 15 minutes). */
const MIN_TIMEOUT_SECONDS = 5;
const MAX_TIMEOUT_SECONDS = 900;

/** What a database step needs: it waits for DNS, the TLS handshake and the login, on a busy server too. */
export const DATABASE_TIMEOUT_SECONDS = 30;

/** Why a key must be of the function's region, for the refusal of one that is not. */
export const SECRET_KEY_REGION = 'Secrets Manager encrypts a secret with a key of its own region';

/** The removal policies CloudFormation accepts on a log group: it has no snapshot. */
const LOG_REMOVAL_POLICIES = [
  RemovalPolicy.RETAIN,
  RemovalPolicy.DESTROY,
  RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
];

/**
 * Refuses the props of a RotationFunction that AWS would refuse, that cannot work or that would be
 * ignored. `fn` is the function being built: every message starts with its path.
 */
export function validateRotationFunctionProps(fn: IConstruct, props: RotationFunctionProps): void {
  validateSecretName(fn, 'secretNamePrefix', props.secretNamePrefix);
  if (props.secretNamePrefix?.endsWith('/')) {
    invalid(
      fn,
      'secretNamePrefix',
      props.secretNamePrefix,
      `the function serves the secrets named "<secretNamePrefix>/…", so this one would serve "${props.secretNamePrefix}/…": leave the trailing "/" out`,
    );
  }
  if (props.encryptionKeys?.length === 0) {
    invalid(
      fn,
      'encryptionKeys',
      props.encryptionKeys,
      'name at least one key, or leave it out (the keys of the added secrets are added on their own)',
    );
  }
  for (const key of props.encryptionKeys ?? []) {
    checkSameRegion(
      fn,
      'encryptionKeys',
      key,
      'Secrets Manager encrypts a secret with a key of its own region',
    );
  }
  checkReservedConcurrency(fn, 'reservedConcurrentExecutions', props.reservedConcurrentExecutions);
  validateLogRetention(fn, 'logRetention', props.logRetention);
  validateTimeout(fn, props.timeout);
  if (props.logRemovalPolicy !== undefined && !LOG_REMOVAL_POLICIES.includes(props.logRemovalPolicy)) {
    invalid(
      fn,
      'logRemovalPolicy',
      props.logRemovalPolicy,
      'allowed: RemovalPolicy.RETAIN, DESTROY or RETAIN_ON_UPDATE_OR_DELETE (a log group has no snapshot)',
    );
  }
  if (props.logEncryptionKey) {
    checkSameRegion(
      fn,
      'logEncryptionKey',
      props.logEncryptionKey,
      'CloudWatch Logs encrypts a log group only with a key of its own region',
    );
  }
  validateNetwork(fn, props);
}

/** Refuses a reserved concurrency (`prop`, `value`) other than a whole number from 0 to our cap. */
export function checkReservedConcurrency(owner: Owner, prop: string, value: number | undefined): void {
  validateWholeNumber(
    owner,
    prop,
    value,
    0,
    MAX_RESERVED_CONCURRENCY,
    `allowed: a whole number from 0 (reserve none) to ${MAX_RESERVED_CONCURRENCY}`,
  );
}

function validateTimeout(owner: Owner, timeout: Duration | undefined): void {
  if (timeout === undefined || timeout.isUnresolved()) return;
  const seconds = timeout.toSeconds({ integral: false });
  if (!Number.isInteger(seconds) || seconds < MIN_TIMEOUT_SECONDS || seconds > MAX_TIMEOUT_SECONDS) {
    invalid(owner, 'timeout', timeout, 'allowed: 5 seconds to 15 minutes, in whole seconds');
  }
}

/**
 * Where the function runs: subnets and security groups only with a VPC, not an empty list of groups,
 * and never public subnets, where a Lambda function gets no public address and so no route to the
 * Secrets Manager API. (SecretsVault checks its `rotation*` props too, the subnets by checkSubnets.)
 */
function validateNetwork(fn: IConstruct, props: RotationFunctionProps): void {
  const { vpc, vpcSubnets, securityGroups } = props;
  if (!vpc) {
    if (vpcSubnets) {
      invalid(
        fn,
        'vpcSubnets',
        summary('a subnet selection without `vpc`'),
        'subnets apply only to a function in a VPC: set `vpc` as well, or leave `vpcSubnets` out',
      );
    }
    if (securityGroups) {
      invalid(
        fn,
        'securityGroups',
        securityGroups,
        'security groups apply only to a function in a VPC: set `vpc` as well, or leave `securityGroups` out',
      );
    }
    return;
  }
  if (securityGroups?.length === 0) {
    invalid(
      fn,
      'securityGroups',
      securityGroups,
      'name at least one security group, or leave it out for a new one',
    );
  }
  checkSubnets(fn, vpc, vpcSubnets, { vpc: 'vpc', vpcSubnets: 'vpcSubnets', fn: 'the function' });
}

/** The names of the props that place a function in a VPC, and of the function, as a message calls them. */
export interface NetworkNames {
  readonly vpc: string;
  readonly vpcSubnets: string;
  readonly fn: string;
}

/**
 * Refuses subnets of `vpc` without a route to the Secrets Manager API: public subnets, where a Lambda
 * function gets no public address, or (no subnets named) a VPC with only public subnets. The messages
 * name the props as `names` does.
 */
export function checkSubnets(
  owner: Owner,
  vpc: ec2.IVpc,
  selection: ec2.SubnetSelection | undefined,
  names: NetworkNames,
): void {
  if (selection === undefined) {
    if (vpc.privateSubnets.length === 0 && vpc.isolatedSubnets.length === 0) {
      invalid(
        owner,
        names.vpc,
        summary(`a VPC without private subnets (${vpc.node.path})`),
        `${names.fn} runs in private subnets, and a function in a public subnet has no public address, so no route out: give the VPC private subnets, or name the subnets in \`${names.vpcSubnets}\``,
      );
    }
    return;
  }
  const publicIds = new Set(vpc.publicSubnets.map((subnet) => subnet.subnetId));
  const chosen =
    selection.subnetType === ec2.SubnetType.PUBLIC ? vpc.publicSubnets : vpc.selectSubnets(selection).subnets;
  if (chosen.some((subnet) => publicIds.has(subnet.subnetId))) {
    invalid(
      owner,
      names.vpcSubnets,
      summary('public subnets'),
      'a Lambda function in a public subnet has no public address, so no route to the Secrets Manager API: choose private subnets (with a NAT or a Secrets Manager endpoint)',
    );
  }
}

/**
 * Refuses a key (or a secret) of a region known to differ from the function's: `why` says which
 * service needs the same region. Tokens (an environment-agnostic stack) are left to AWS.
 */
export function checkSameRegion(fn: IConstruct, prop: string, resource: IResource, why: string): void {
  const here = Stack.of(fn).region;
  const there = resource.env.region;
  if (knownToDiffer(here, there)) {
    invalid(
      fn,
      prop,
      summary(`${resource.node.path} (${there})`),
      `the function runs in ${here}, and ${why}: use one of ${here}, or a rotation function of ${there}`,
    );
  }
}

/** A rotation schedule the secret already has as a child: ours (RotationFunction.addSecret) or aws-cdk-lib's. */
export function existingScheduleOf(secret: secretsmanager.ISecret): IConstruct | undefined {
  return secret.node.children.find(
    (child) =>
      child instanceof secretsmanager.RotationSchedule || child instanceof secretsmanager.CfnRotationSchedule,
  );
}
