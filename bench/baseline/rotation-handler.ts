/**
 * The baseline stack's rotation handler: the four-step Secrets Manager protocol for a generated
 * string, as a competent user writes it from AWS's rotation template. NodejsFunction bundles it
 * with esbuild at every synth (the cost the benchmark measures); bench/rotation.ts bundles it as it
 * bundles the real handler, to compare size and init time as ratios. It is never deployed.
 */
import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';

const client = new SecretsManagerClient({});

interface RotationEvent {
  readonly Step: string;
  readonly SecretId: string;
  readonly ClientRequestToken: string;
}

export const handler = async (event: RotationEvent): Promise<void> => {
  const { Step: step, SecretId: secretId, ClientRequestToken: token } = event;
  const meta = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  const stages = meta.VersionIdsToStages ?? {};
  if (!meta.RotationEnabled) throw new Error(`Secret ${secretId} is not enabled for rotation`);
  if (!stages[token]) throw new Error(`Secret ${secretId} has no version ${token}`);
  if (stages[token].includes('AWSCURRENT')) return;
  if (!stages[token].includes('AWSPENDING')) throw new Error(`Version ${token} is not AWSPENDING`);

  switch (step) {
    case 'createSecret':
      return createSecret(secretId, token);
    case 'setSecret':
    case 'testSecret':
      // A generated API key has no downstream system to update or test.
      return;
    case 'finishSecret':
      return finishSecret(secretId, token, stages);
    default:
      throw new Error(`Unknown rotation step ${step}`);
  }
};

async function createSecret(secretId: string, token: string): Promise<void> {
  await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }));
  try {
    await client.send(
      new GetSecretValueCommand({ SecretId: secretId, VersionId: token, VersionStage: 'AWSPENDING' }),
    );
    return; // A retried step: the pending value already exists.
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
  const { RandomPassword } = await client.send(
    new GetRandomPasswordCommand({ PasswordLength: 32, ExcludeCharacters: '/@"\'\\' }),
  );
  await client.send(
    new PutSecretValueCommand({
      SecretId: secretId,
      ClientRequestToken: token,
      SecretString: RandomPassword,
      VersionStages: ['AWSPENDING'],
    }),
  );
}

async function finishSecret(
  secretId: string,
  token: string,
  stages: Record<string, string[]>,
): Promise<void> {
  const current = Object.keys(stages).find((id) => stages[id].includes('AWSCURRENT'));
  if (current === token) return;
  await client.send(
    new UpdateSecretVersionStageCommand({
      SecretId: secretId,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: token,
      RemoveFromVersionId: current,
    }),
  );
}
