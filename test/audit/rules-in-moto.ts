/**
 * EventBridge rule patterns evaluated by moto's own pattern matcher. moto 5.2.1's TestEventPattern is
 * a stub that answers nothing, so each rule is put on moto's default bus with an SQS queue as its
 * target, every record is sent with PutEvents as CloudTrail would deliver it, and each queue shows
 * which records its rule matched.
 */
import { MOTO_ACCOUNT, MOTO_REGION, MotoServer } from '../support/moto';

function auth(service: string): string {
  return `AWS4-HMAC-SHA256 Credential=testing/20260101/${MOTO_REGION}/${service}/aws4_request, SignedHeaders=host, Signature=0`;
}

async function call(
  moto: MotoServer,
  service: 'events' | 'sqs',
  action: string,
  body: unknown,
): Promise<any> {
  const [target, contentType] =
    service === 'events'
      ? [`AWSEvents.${action}`, 'application/x-amz-json-1.1']
      : [`AmazonSQS.${action}`, 'application/x-amz-json-1.0'];
  const response = await fetch(moto.endpoint, {
    method: 'POST',
    headers: { 'content-type': contentType, 'x-amz-target': target, authorization: auth(service) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`${service} ${action} answered ${response.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : {};
}

/** How EventBridge receives a CloudTrail record. */
function asEvent(record: Record<string, any>) {
  return {
    Source: `aws.${String(record.eventSource).split('.')[0]}`,
    DetailType:
      record.eventType === 'AwsServiceEvent'
        ? 'AWS Service Event via CloudTrail'
        : 'AWS API Call via CloudTrail',
    Detail: JSON.stringify(record),
    Resources: [],
  };
}

/**
 * The names of the `records` (CloudTrail records by name, each with its own `eventID`) that each rule
 * of `patterns` (EventBridge patterns by rule name) matches. Call once per moto server: the rules and
 * queues are named after the patterns.
 */
export async function matchedByRules(
  moto: MotoServer,
  patterns: Record<string, unknown>,
  records: Record<string, Record<string, any>>,
): Promise<Record<string, string[]>> {
  const eventIds = new Map(Object.entries(records).map(([name, record]) => [record.eventID as string, name]));
  const queues: Record<string, string> = {};
  for (const [name, pattern] of Object.entries(patterns)) {
    const { QueueUrl } = await call(moto, 'sqs', 'CreateQueue', { QueueName: `audit-${name}` });
    queues[name] = QueueUrl;
    await call(moto, 'events', 'PutRule', {
      Name: name,
      EventPattern: JSON.stringify(pattern),
      State: 'ENABLED',
    });
    await call(moto, 'events', 'PutTargets', {
      Rule: name,
      Targets: [{ Id: 'queue', Arn: `arn:aws:sqs:${MOTO_REGION}:${MOTO_ACCOUNT}:audit-${name}` }],
    });
  }
  for (const record of Object.values(records)) {
    const { FailedEntryCount } = await call(moto, 'events', 'PutEvents', { Entries: [asEvent(record)] });
    if (FailedEntryCount) throw new Error(`PutEvents refused ${record.eventID}`);
  }
  const matched: Record<string, string[]> = {};
  for (const [name, queueUrl] of Object.entries(queues)) {
    matched[name] = [];
    for (;;) {
      const { Messages = [] } = await call(moto, 'sqs', 'ReceiveMessage', {
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
      });
      if (Messages.length === 0) break;
      for (const message of Messages) {
        const event = JSON.parse(message.Body);
        matched[name].push(eventIds.get(event.detail.eventID) ?? `unknown ${event.detail.eventID}`);
        await call(moto, 'sqs', 'DeleteMessage', {
          QueueUrl: queueUrl,
          ReceiptHandle: message.ReceiptHandle,
        });
      }
    }
  }
  return matched;
}
