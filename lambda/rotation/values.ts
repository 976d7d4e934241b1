import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS } from './metadata';
import { RotationError, isAwsError } from './errors';

/** Fields of a database secret that say where to connect, not how to prove who you are. */
const PUBLIC_FIELDS = new Set(['engine', 'host', 'port', 'username', 'dbname', 'ssl', 'masterarn']);

/**
 * The secret's values, each read at most once per invocation. Every read names its stage (and the
 * pending read also its version id): GetSecretValue without a stage returns "the default version",
 * which is not always AWSCURRENT during a rotation.
 */
export class SecretValues {
  private readonly cache = new Map<string, Promise<string | undefined>>();
  private readonly seen: string[] = [];

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly arn: string,
    private readonly token: string,
  ) {}

  /** AWSCURRENT's SecretString; fails if there is none. */
  public async current(): Promise<string> {
    return (await this.read(AWSCURRENT, undefined, false)) as string;
  }

  /** The event token's AWSPENDING value; rejects with ResourceNotFoundException while it has none. */
  public async pending(): Promise<string> {
    return (await this.read(AWSPENDING, this.token, false)) as string;
  }

  /** AWSPREVIOUS's value, or undefined for a secret that has never rotated. */
  public async previous(): Promise<string | undefined> {
    return this.read(AWSPREVIOUS, undefined, true);
  }

  /** Drops a cached pending read (after a put, or to re-read after a lost race). */
  public forgetPending(): void {
    this.cache.delete(AWSPENDING);
  }

  /** Records a value this invocation wrote, so that error redaction covers it too. */
  public remember(value: string): void {
    this.seen.push(value);
    // The fields of a JSON value are secrets on their own (an error could quote just the password),
    // except the connection fields a database secret names, which errors must be able to show.
    try {
      const parsed: unknown = JSON.parse(value);
      if (typeof parsed === 'object' && parsed !== null) {
        for (const [key, field] of Object.entries(parsed)) {
          if (typeof field === 'string' && !PUBLIC_FIELDS.has(key)) this.seen.push(field);
        }
      }
    } catch {
      // not JSON: the whole value is already remembered
    }
  }

  /** Every value read or written so far: never to be logged. */
  public sensitiveValues(): readonly string[] {
    return this.seen;
  }

  private read(stage: string, versionId: string | undefined, optional: boolean): Promise<string | undefined> {
    let cached = this.cache.get(stage);
    if (!cached) {
      cached = this.fetch(stage, versionId, optional);
      this.cache.set(stage, cached);
      // A failed read may be retried within the same invocation (createSecret re-reads after a race).
      cached.catch(() => this.cache.delete(stage));
    }
    return cached;
  }

  private async fetch(
    stage: string,
    versionId: string | undefined,
    optional: boolean,
  ): Promise<string | undefined> {
    let secretString: string | undefined;
    try {
      const response = await this.client.send(
        new GetSecretValueCommand({ SecretId: this.arn, VersionStage: stage, VersionId: versionId }),
      );
      secretString = response.SecretString;
    } catch (error) {
      if (optional && isAwsError(error, 'ResourceNotFoundException')) return undefined;
      throw error;
    }
    if (secretString === undefined) {
      throw new RotationError(
        `the ${stage} version of secret ${this.arn} has no SecretString (binary secrets are not supported)`,
      );
    }
    this.remember(secretString);
    return secretString;
  }
}
