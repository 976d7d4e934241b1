import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  ROTATION_ENV,
  bindingKey,
  secretNameKey,
  type TargetSpec,
} from '../../lib/contract/rotation-contract';
import { useMoto, type MotoServer } from '../support/moto';
import { captureOutput, type Captured } from './helpers';

/**
 * The exact asset a deploy uploads (built by `npm run bundle`, which `npm test` runs first).
 * SECRETS_VAULT_ROTATION_BUNDLE points the bundle tests at another build (an older one, to show that
 * the adversarial tests fail without their fix).
 */
export const BUNDLE =
  process.env.SECRETS_VAULT_ROTATION_BUNDLE ?? join(__dirname, '..', '..', 'assets', 'rotation', 'index.js');

export const PROFILE_TAG = 'secrets-vault:rotation-profile';
export const VAULT_PREFIX = 'vault/';

export const BUNDLE_ENV: Readonly<Record<string, string>> = {
  VAULT_SECRET_NAME_PREFIX: VAULT_PREFIX,
  ROTATION_PROFILES: JSON.stringify({
    api: { kind: 'generated' },
    json: { kind: 'generated', jsonField: 'password', password: { length: 24, excludePunctuation: true } },
  }),
  ROTATION_DEFAULT_PROFILE: 'api',
  POWERTOOLS_SERVICE_NAME: 'secrets-vault-rotation',
};

/**
 * The same function with `json` as its default profile. Secrets a test makes are not bound (as a
 * vault leaves the secrets of its most common generated profile), so they rotate with the default
 * profile whatever their tag: a JSON secret rotates through a bundle loaded with this.
 */
export const JSON_DEFAULT_ENV: Readonly<Record<string, string>> = {
  ...BUNDLE_ENV,
  ROTATION_DEFAULT_PROFILE: 'json',
};

export type Handler = (event: unknown) => Promise<void>;

/**
 * The function's environment as a deployment writes it (what RotationFunction renders from its
 * constructs): fixed variables, plus a pinned target and a binding for each secret a test adds. Secrets
 * are bound by their name's key, as a vault binds them.
 */
export class PinnedEnvironment {
  private readonly targets = new Map<string, TargetSpec>();
  private readonly targetIds = new Map<string, string>();
  private readonly bindings = new Map<string, string[]>();

  constructor(private readonly fixed: Readonly<Record<string, string>>) {}

  /** Binds the secret named `name` to `profile` and, for a database profile, `target`. */
  public bind(name: string, profile: string, target?: TargetSpec): void {
    let targetId: string | undefined;
    if (target !== undefined) {
      const content = JSON.stringify(target);
      targetId = this.targetIds.get(content);
      if (targetId === undefined) {
        targetId = `t${this.targets.size}`;
        this.targetIds.set(content, targetId);
        this.targets.set(targetId, target);
      }
    }
    const key = bindingKey(profile, targetId);
    this.bindings.set(key, [...(this.bindings.get(key) ?? []), secretNameKey(name)]);
  }

  public env(): Record<string, string> {
    return {
      ...this.fixed,
      ...(this.targets.size > 0
        ? { [ROTATION_ENV.targets]: JSON.stringify(Object.fromEntries(this.targets)) }
        : {}),
      ...(this.bindings.size > 0
        ? {
            [ROTATION_ENV.bindings]: JSON.stringify(
              Object.fromEntries([...this.bindings].map(([key, names]) => [key, names.join(',')])),
            ),
          }
        : {}),
    };
  }
}

/**
 * Loads the built bundle afresh with `env` applied, so its module-scope client and configuration see
 * it (AWS_ENDPOINT_URL points the SDK at moto: no test-only code path in the handler).
 */
export function loadBundle(env: Readonly<Record<string, string>> = BUNDLE_ENV): Handler {
  if (!existsSync(BUNDLE)) {
    throw new Error(
      `${BUNDLE} is missing: build it with \`node scripts/bundle.mjs rotation\` (npm test does)`,
    );
  }
  applyEnv(env);
  let handler: Handler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = (require(BUNDLE) as { handler: Handler }).handler;
  });
  const loaded = handler as Handler;
  // The bundle reads its configuration on its first invocation: each call applies this bundle's
  // environment first, so that bundles loaded with different ones in one file each see their own.
  return (event) => {
    applyEnv(env);
    return loaded(event);
  };
}

/** Sets `env`, and unsets the function's variables it does not name. */
function applyEnv(env: Readonly<Record<string, string>>): void {
  for (const name of Object.values(ROTATION_ENV)) {
    if (!(name in env)) delete process.env[name];
  }
  Object.assign(process.env, env);
}

/** What a test file of the built bundle against moto works with (see useBundle). */
export interface BundleFixture {
  /** The test's own access to moto's Secrets Manager. */
  readonly vault: Vault;
  /** The bundle's handler, loaded once for the file. */
  readonly handler: Handler;
  /** The current test's stdout and stderr: the handler's logs and metrics, kept off the console. */
  readonly out: Captured;
}

/**
 * Jest helper for a test file of the built bundle against moto: starts moto for the file, loads the
 * bundle once with `env` (AWS_ENDPOINT_URL already pointing at moto), and captures each test's output.
 */
export function useBundle(env: Readonly<Record<string, string>> = BUNDLE_ENV): BundleFixture {
  const moto = useMoto();
  const state: { vault?: Vault; handler?: Handler; out?: Captured } = {};
  beforeAll(async () => {
    state.vault = await Vault.create(moto.server);
    state.handler = loadBundle(env);
  });
  beforeEach(() => {
    state.out = captureOutput();
  });
  afterEach(() => state.out?.restore());
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not ready: use it inside a test or hook`);
    return value;
  };
  return {
    get vault() {
      return need(state.vault, 'the vault');
    },
    get handler() {
      return need(state.handler, 'the bundle');
    },
    get out() {
      return need(state.out, "the test's output");
    },
  };
}

export type Stages = Record<string, string[]>;

/** Test-side access to moto's Secrets Manager, with the workarounds for moto's gaps in one place. */
export class Vault {
  public readonly client: SecretsManagerClient;
  private counter = 0;

  constructor(
    moto: MotoServer,
    public readonly rotationFunctionArn: string,
  ) {
    this.client = new SecretsManagerClient({ endpoint: moto.endpoint, region: 'us-east-1' });
  }

  public static async create(moto: MotoServer): Promise<Vault> {
    const arn = await moto.createDummyRotationFunction();
    return new Vault(moto, arn);
  }

  public uniqueName(base: string): string {
    this.counter += 1;
    return `${base}-${this.counter}`;
  }

  public async createSecret(name: string, value: string, profile?: string): Promise<string> {
    const response = await this.client.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: value,
        Tags: profile ? [{ Key: PROFILE_TAG, Value: profile }] : undefined,
      }),
    );
    return response.ARN as string;
  }

  /**
   * What Secrets Manager does before invoking the function: a fresh, empty version labelled
   * AWSPENDING, whose id is the token. moto keeps AWSPENDING on the version a finished rotation made
   * current and then refuses RotateSecret ("Previous rotation request is still in progress"), where
   * AWS has already dropped it; remove it first, as AWS would have. A caller that knows where it is
   * passes `known` and saves the DescribeSecret.
   */
  public async startRotation(arn: string, known?: { pendingOnCurrent?: string }): Promise<string> {
    const leftovers = known
      ? [known.pendingOnCurrent].filter((id): id is string => id !== undefined)
      : Object.entries(await this.stages(arn))
          .filter(([, labels]) => labels.includes('AWSPENDING') && labels.includes('AWSCURRENT'))
          .map(([id]) => id);
    for (const id of leftovers) {
      await this.removeStage(arn, 'AWSPENDING', id);
    }
    const response = await this.client.send(
      new RotateSecretCommand({
        SecretId: arn,
        RotationLambdaARN: this.rotationFunctionArn,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    return response.VersionId as string;
  }

  public async removeStage(arn: string, stage: string, versionId: string): Promise<void> {
    await this.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: arn,
        VersionStage: stage,
        RemoveFromVersionId: versionId,
      }),
    );
  }

  public async stages(arn: string): Promise<Stages> {
    const response = await this.client.send(new DescribeSecretCommand({ SecretId: arn }));
    return (response.VersionIdsToStages ?? {}) as Stages;
  }

  /** Always by stage: moto's stage-less read can return the wrong version after a stage move. */
  public async valueAt(
    arn: string,
    stage: 'AWSCURRENT' | 'AWSPREVIOUS' | 'AWSPENDING',
  ): Promise<string | undefined> {
    try {
      const response = await this.client.send(
        new GetSecretValueCommand({ SecretId: arn, VersionStage: stage }),
      );
      return response.SecretString;
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }

  public async valueOf(arn: string, versionId: string): Promise<string | undefined> {
    try {
      const response = await this.client.send(
        new GetSecretValueCommand({ SecretId: arn, VersionId: versionId }),
      );
      return response.SecretString;
    } catch (error) {
      if (['ResourceNotFoundException', 'InvalidRequestException'].includes((error as Error).name))
        return undefined;
      throw error;
    }
  }

  public async rotationEnabled(arn: string): Promise<boolean> {
    const response = await this.client.send(new DescribeSecretCommand({ SecretId: arn }));
    return response.RotationEnabled === true;
  }
}

export function versionsWith(stages: Stages, stage: string): string[] {
  return Object.entries(stages)
    .filter(([, labels]) => labels.includes(stage))
    .map(([id]) => id);
}

/** The one invariant every state must satisfy: exactly one AWSCURRENT. */
export function expectOneCurrent(stages: Stages): string {
  const current = versionsWith(stages, 'AWSCURRENT');
  expect(current).toHaveLength(1);
  return current[0];
}

export const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
