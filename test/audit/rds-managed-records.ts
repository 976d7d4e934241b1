/**
 * CloudTrail records of the master secrets RDS manages (`manageMasterUserPassword`), in the shapes of
 * the fixtures in test/fixtures/cloudtrail (same account, region and callers), naming RDS's secrets
 * instead of the vault's: `rds!db-<uuid>` for an instance, `rds!cluster-<uuid>` for a cluster, and an
 * ARN that ends with that name, `-` and six random characters. Each record is a fixture with the
 * secret and the event id replaced, so that it differs from its fixture in nothing else.
 *
 * Secrets Manager records the rotations RDS runs with the same service events as a rotation function's
 * (`RotationSucceeded`, `RotationFailed`, `RotationAbandoned`, naming the secret by ARN in
 * `additionalEventData.SecretId`): these records assume so, as the audit does.
 */
import { ACCOUNT, cloudTrailFixtures, REGION } from './support';

/** The name and ARN of the master secret RDS manages for the watched instance. */
export const RDS_SECRET_NAME = 'rds!db-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d';
export const RDS_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${RDS_SECRET_NAME}-AbCdEf`;

/** The same for a watched Aurora cluster. */
export const RDS_CLUSTER_SECRET_NAME = 'rds!cluster-9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0';
export const RDS_CLUSTER_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${RDS_CLUSTER_SECRET_NAME}-Gh12Ij`;

/** The master secret RDS manages for a database that is not watched (another key, another stack). */
const OTHER_NAME = 'rds!db-11112222-3333-4444-5555-666677778888';
const OTHER_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${OTHER_NAME}-Kl34Mn`;

const fixtures = cloudTrailFixtures();

/** A fixture with its secret (as the caller named it, or as a rotation event names it) replaced. */
function record(
  fixture: string,
  id: number,
  secret: { secretId?: string; rotated?: string },
): Record<string, any> {
  const copy = JSON.parse(JSON.stringify(fixtures[fixture])) as Record<string, any>;
  if (!copy.eventID) throw new Error(`fixture ${fixture} has no eventID`);
  copy.eventID = `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`;
  if (secret.secretId !== undefined) copy.requestParameters.secretId = secret.secretId;
  if (secret.rotated !== undefined) copy.additionalEventData.SecretId = secret.rotated;
  if (typeof copy.errorMessage === 'string')
    copy.errorMessage = copy.errorMessage.replace(/example\/orders\/\w+/, secret.secretId ?? '');
  return copy;
}

/** The records of the watched RDS-managed secrets, by name, and what the audit must count each as. */
export const RDS_RECORDS: Record<string, Record<string, any>> = {
  'rds-get-secret-value-by-name': record('get-secret-value-by-name', 1, { secretId: RDS_SECRET_NAME }),
  'rds-get-secret-value-by-arn': record('get-secret-value-by-arn', 2, { secretId: RDS_SECRET_ARN }),
  'rds-get-secret-value-by-partial-arn': record('get-secret-value-by-arn', 3, {
    secretId: RDS_SECRET_ARN.replace(/-AbCdEf$/, ''),
  }),
  'rds-cluster-get-secret-value-by-name': record('get-secret-value-by-name', 4, {
    secretId: RDS_CLUSTER_SECRET_NAME,
  }),
  'rds-get-secret-value-access-denied': record('get-secret-value-access-denied', 5, {
    secretId: RDS_SECRET_NAME,
  }),
  'rds-rotation-succeeded': record('rotation-succeeded', 6, { rotated: RDS_SECRET_ARN }),
  'rds-rotation-failed': record('rotation-failed', 7, { rotated: RDS_SECRET_ARN }),
  'rds-rotation-abandoned': record('rotation-abandoned', 8, { rotated: RDS_SECRET_ARN }),
  'rds-cluster-rotation-failed': record('rotation-failed', 9, { rotated: RDS_CLUSTER_SECRET_ARN }),
  // Management calls and value writes on an RDS-managed secret are RDS's own business (it writes the
  // value when it rotates): not counted, a known limit (docs/audit.md).
  'rds-put-resource-policy': record('put-resource-policy', 10, { secretId: RDS_SECRET_ARN }),
  // A database the audit does not watch: nothing of it is counted.
  'rds-other-database-get-secret-value': record('get-secret-value-by-name', 11, { secretId: OTHER_NAME }),
  'rds-other-database-get-secret-value-by-arn': record('get-secret-value-by-arn', 12, {
    secretId: OTHER_ARN,
  }),
  'rds-other-database-access-denied': record('get-secret-value-access-denied', 13, { secretId: OTHER_NAME }),
  'rds-other-database-rotation-failed': record('rotation-failed', 14, { rotated: OTHER_ARN }),
};

/** Which RDS record each signal counts (with the instance and the cluster watched); any other, none. */
export const RDS_EXPECTED: Record<string, string[]> = {
  secretRead: [
    'rds-get-secret-value-by-name',
    'rds-get-secret-value-by-arn',
    'rds-get-secret-value-by-partial-arn',
    'rds-cluster-get-secret-value-by-name',
  ],
  accessDenied: ['rds-get-secret-value-access-denied'],
  rotationSucceeded: ['rds-rotation-succeeded'],
  rotationFailed: ['rds-rotation-failed', 'rds-cluster-rotation-failed'],
  rotationAbandoned: ['rds-rotation-abandoned'],
};
