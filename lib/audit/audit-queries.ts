import { Lazy, Names } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { AuditScope, KEY_MANAGEMENT_EVENTS } from './audit-scope';

const PRINCIPAL =
  'coalesce(userIdentity.sessionContext.sessionIssuer.arn, userIdentity.arn, userIdentity.invokedBy)';

/**
 * Properties of AuditQueries.
 */
export interface AuditQueriesProps {
  /** The log group the trail delivers to. */
  readonly logGroup: logs.ILogGroup;

  /** The watched secrets and keys. */
  readonly scope: AuditScope;
}

/**
 * The Logs Insights queries of the audit, saved as query definitions (so that they can be run from
 * the Logs Insights console over any time range) and shown on the dashboard.
 */
export class AuditQueries extends Construct {
  /** Who read which secret, how often, and when last. */
  public readonly readers: logs.QueryString;

  /** The last rotation outcome and time of each secret. */
  public readonly lastRotation: logs.QueryString;

  /** Key material rotations and the known key management calls. */
  public readonly keyEvents: logs.QueryString;

  /** Refused requests on the watched secrets and keys, by principal. */
  public readonly accessDenied: logs.QueryString;

  constructor(scope: Construct, id: string, props: AuditQueriesProps) {
    super(scope, id);
    const watched = props.scope;
    // The scope grows as vaults are watched; the conditions are rendered at synth.
    const secretIn = (field: string) =>
      Lazy.string({ produce: () => watched.insightsSecretCondition(field) });

    this.readers = new logs.QueryString({
      fields: ['@timestamp', 'requestParameters.secretId as secret', `${PRINCIPAL} as principal`],
      filterStatements: [
        'eventSource = "secretsmanager.amazonaws.com" and eventName = "GetSecretValue" and isblank(errorCode)',
        secretIn('requestParameters.secretId'),
      ],
      statsStatements: ['count(*) as reads, max(@timestamp) as lastRead by secret, principal'],
      sort: 'reads desc',
      limit: 100,
    });
    this.lastRotation = new logs.QueryString({
      fields: ['@timestamp', 'additionalEventData.SecretId as secret'],
      filterStatements: [
        'eventSource = "secretsmanager.amazonaws.com" and eventName in ["RotationSucceeded", "RotationFailed", "RotationAbandoned"]',
        secretIn('additionalEventData.SecretId'),
      ],
      statsStatements: ['latest(eventName) as lastOutcome, max(@timestamp) as lastRotation by secret'],
      sort: 'lastRotation asc',
      limit: 100,
    });
    this.keyEvents = new logs.QueryString({
      fields: [
        '@timestamp',
        'eventName',
        // The alias calls name the alias first in `resources`; KMS records the key in responseElements.
        'coalesce(responseElements.keyId, resources.0.ARN) as key',
        `${PRINCIPAL} as actor`,
        'errorCode',
      ],
      filterStatements: [
        `eventSource = "kms.amazonaws.com" and eventName in ${list(['RotateKey', ...KEY_MANAGEMENT_EVENTS])}`,
        Lazy.string({
          produce: () =>
            `${watched.insightsKeyCondition('resources.0.ARN')} or ${watched.insightsKeyCondition('responseElements.keyId')}`,
        }),
      ],
      sort: '@timestamp desc',
      limit: 50,
    });
    this.accessDenied = new logs.QueryString({
      fields: [
        '@timestamp',
        'eventName',
        'coalesce(requestParameters.secretId, resources.0.ARN) as target',
        `${PRINCIPAL} as principal`,
      ],
      filterStatements: [
        'errorCode like /AccessDenied/',
        Lazy.string({
          produce: () =>
            `(eventSource = "secretsmanager.amazonaws.com" and ${watched.insightsSecretCondition('requestParameters.secretId')})` +
            ` or (eventSource = "kms.amazonaws.com" and ${watched.insightsKeyCondition('resources.0.ARN')})`,
        }),
      ],
      statsStatements: ['count(*) as denied, max(@timestamp) as last by principal, eventName, target'],
      sort: 'denied desc',
      limit: 50,
    });

    const name = Names.uniqueResourceName(this, { maxLength: 200, separator: '-' });
    for (const [queryId, queryString] of [
      ['Readers', this.readers],
      ['LastRotation', this.lastRotation],
      ['KeyEvents', this.keyEvents],
      ['AccessDenied', this.accessDenied],
    ] as const) {
      new logs.QueryDefinition(this, queryId, {
        queryDefinitionName: `secrets-audit/${name}/${queryId}`,
        queryString,
        logGroups: [props.logGroup],
      });
    }
  }
}

function list(values: string[]): string {
  return `[${values.map((v) => `"${v}"`).join(', ')}]`;
}
