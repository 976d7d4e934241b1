/**
 * Random sequences of rotations against moto, through the built bundle: step invocations in any
 * order, retries, crashes between steps, abandoned and repeated rotations. After every action the
 * invariants of ROTATION.md must hold, and every invocation must succeed or fail exactly as the
 * protocol says.
 *
 * One precondition is kept: finishSecret is only invoked for a token whose createSecret succeeded.
 * Secrets Manager never calls finishSecret before createSecret and testSecret have passed in the same
 * attempt; like AWS's template, finishSecret trusts that order rather than spend a GetSecretValue on it.
 */
import { CancelRotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import fc from 'fast-check';
import {
  JSON_DEFAULT_ENV,
  STEPS,
  VAULT_PREFIX,
  loadBundle,
  useBundle,
  versionsWith,
  type Handler,
  type Stages,
} from './fixture';

type Step = (typeof STEPS)[number];
type Action =
  | { readonly type: 'start' }
  | { readonly type: 'step'; readonly step: Step; readonly target: 'latest' | 'older' }
  | { readonly type: 'attempt'; readonly upTo: number; readonly retryEachStep: boolean }
  | { readonly type: 'abandon' };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Action>({ type: 'start' }) },
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant('step' as const),
      step: fc.constantFrom(...STEPS),
      target: fc.constantFrom('latest' as const, 'latest' as const, 'older' as const),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('attempt' as const),
      upTo: fc.integer({ min: 0, max: 3 }),
      retryEachStep: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant<Action>({ type: 'abandon' }) },
);

const scenarioArb = fc.record({
  json: fc.boolean(),
  actions: fc.array(actionArb, { minLength: 1, maxLength: 5 }),
});

const fx = useBundle();
/** A JSON secret made here is unbound: it rotates through a function whose default profile is `json`. */
let jsonHandler: Handler;
beforeAll(() => {
  jsonHandler = loadBundle(JSON_DEFAULT_ENV);
});

/** Stages as the protocol predicts them. moto keeps AWSPENDING on a promoted version (AWS drops it). */
function normalise(stages: Stages): Stages {
  return Object.fromEntries(
    Object.entries(stages)
      .map(([id, labels]): [string, string[]] => [
        id,
        labels.includes('AWSCURRENT') ? labels.filter((l) => l !== 'AWSPENDING') : [...labels],
      ])
      .map(([id, labels]): [string, string[]] => [id, labels.sort()]),
  );
}

/** What the test knows, and what the protocol predicts. */
class Model {
  /** Predicted stages; checked against DescribeSecret after every action. */
  public stages: Stages;
  public rotationEnabled = false;
  public readonly tokens: string[] = [];
  /** The promoted version on which moto (not AWS) left AWSPENDING, until the next start removes it. */
  public motoLeftover?: string;
  /** Every value a version ever held, by version id: values are never regenerated. */
  public readonly values = new Map<string, string>();

  constructor(
    public readonly arn: string,
    public readonly json: boolean,
    initialVersion: string,
    initialValue: string,
  ) {
    this.values.set(initialVersion, initialValue);
    this.stages = { [initialVersion]: ['AWSCURRENT'] };
  }

  public current(): string {
    return versionsWith(this.stages, 'AWSCURRENT')[0];
  }

  public inProgress(): string | undefined {
    return versionsWith(this.stages, 'AWSPENDING').find((id) => !this.stages[id].includes('AWSCURRENT'));
  }

  /** The invariants that hold after every action: the predicted stages, exactly one AWSCURRENT. */
  public async check(): Promise<void> {
    const actual = normalise(await fx.vault.stages(this.arn));
    expect(actual).toEqual(normalise(this.stages));
    expect(versionsWith(actual, 'AWSCURRENT')).toHaveLength(1);
  }

  /** The protocol's answer for one invocation: does it succeed? */
  public expectSuccess(step: Step, token: string): boolean {
    if (!this.rotationEnabled) return false;
    const labels = this.stages[token] ?? [];
    if (labels.includes('AWSCURRENT')) return true;
    if (!labels.includes('AWSPENDING')) return false;
    if (step === 'testSecret') return this.values.has(token);
    return true;
  }

  public promote(token: string): void {
    const old = this.current();
    const next: Stages = {};
    for (const [id, labels] of Object.entries(this.stages)) {
      next[id] = labels.filter((l) => l !== 'AWSPREVIOUS' && l !== 'AWSCURRENT' && l !== 'AWSPENDING');
    }
    next[old].push('AWSPREVIOUS');
    next[token].push('AWSCURRENT');
    this.stages = next;
    this.motoLeftover = token;
  }
}

const INITIAL_JSON = { username: 'svc', password: 'initial-password-000000', host: 'db.internal' };

function wellFormed(value: string | undefined, json: boolean): void {
  expect(value).toBeDefined();
  if (!json) {
    expect((value as string).length).toBeGreaterThan(0);
    return;
  }
  const parsed = JSON.parse(value as string);
  // Only the rotated field changes; everything else is copied.
  expect(parsed).toEqual({ ...INITIAL_JSON, password: expect.any(String) });
  expect(parsed.password.length).toBeGreaterThan(0);
}

async function invoke(model: Model, step: Step, token: string): Promise<boolean> {
  const expected = model.expectSuccess(step, token);
  const oldCurrent = model.current();
  let error: Error | undefined;
  try {
    const handler = model.json ? jsonHandler : fx.handler;
    await handler({ Step: step, SecretId: model.arn, ClientRequestToken: token });
  } catch (e) {
    error = e as Error;
  }
  if (expected !== (error === undefined)) {
    throw new Error(
      `${step} was expected to ${expected ? 'succeed' : 'fail'}; got ${error?.message ?? 'success'}`,
    );
  }
  if (error) {
    expect(error.message).not.toContain(token);
    return false;
  }
  const isPending = !(model.stages[token] ?? []).includes('AWSCURRENT');
  if (step === 'createSecret' && isPending) {
    // Exactly one value per token: a retried createSecret never replaces it.
    const stored = await fx.vault.valueOf(model.arn, token);
    wellFormed(stored, model.json);
    if (model.values.has(token)) expect(stored).toBe(model.values.get(token));
    else model.values.set(token, stored as string);
  }
  if (step === 'finishSecret' && isPending) {
    model.promote(token);
    // A value is never lost: AWSCURRENT holds the token's value, AWSPREVIOUS the old current's.
    expect(await fx.vault.valueAt(model.arn, 'AWSCURRENT')).toBe(model.values.get(token));
    expect(await fx.vault.valueAt(model.arn, 'AWSPREVIOUS')).toBe(model.values.get(oldCurrent));
  }
  return true;
}

async function apply(model: Model, action: Action): Promise<void> {
  const latest = model.tokens[model.tokens.length - 1];
  switch (action.type) {
    case 'start': {
      // AWS refuses RotateSecret while a rotation is in progress (moto does not).
      if (model.inProgress()) return;
      const token = await fx.vault.startRotation(model.arn, { pendingOnCurrent: model.motoLeftover });
      model.motoLeftover = undefined;
      for (const labels of Object.values(model.stages)) {
        const i = labels.indexOf('AWSPENDING');
        if (i >= 0) labels.splice(i, 1);
      }
      model.stages[token] = ['AWSPENDING'];
      model.tokens.push(token);
      model.rotationEnabled = true;
      break;
    }
    case 'abandon': {
      if (latest === undefined) return; // never rotated: nothing to cancel
      // The fix the handler's stale-AWSPENDING error names: cancel, then remove the label.
      const pending = model.inProgress();
      await fx.vault.client.send(new CancelRotateSecretCommand({ SecretId: model.arn }));
      if (pending) {
        await fx.vault.removeStage(model.arn, 'AWSPENDING', pending);
        model.stages[pending] = model.stages[pending].filter((l) => l !== 'AWSPENDING');
      }
      model.rotationEnabled = false;
      break;
    }
    case 'step': {
      const token = action.target === 'latest' ? latest : model.tokens[model.tokens.length - 2];
      if (token === undefined) return;
      if (action.step === 'finishSecret' && !model.values.has(token)) return;
      await invoke(model, action.step, token);
      break;
    }
    case 'attempt': {
      if (latest === undefined) return;
      // The service runs the steps in order and stops at the first failure (here: a crash after upTo).
      attempt: for (const step of STEPS.slice(0, action.upTo + 1)) {
        if (step === 'finishSecret' && !model.values.has(latest)) break;
        for (let i = 0; i < (action.retryEachStep ? 2 : 1); i += 1) {
          if (!(await invoke(model, step, latest))) break attempt;
        }
      }
      break;
    }
  }
  await model.check();
}

test('random rotation sequences keep every invariant (200 runs)', async () => {
  await fc.assert(
    fc.asyncProperty(scenarioArb, async ({ json, actions }) => {
      const initial = json ? JSON.stringify(INITIAL_JSON) : 'initial-value-0123456789';
      const arn = await fx.vault.createSecret(
        fx.vault.uniqueName(`${VAULT_PREFIX}prop`),
        initial,
        json ? 'json' : 'api',
      );
      const initialVersion = versionsWith(await fx.vault.stages(arn), 'AWSCURRENT')[0];
      const model = new Model(arn, json, initialVersion, initial);
      for (const action of actions) {
        await apply(model, action);
      }
      // Whatever happened, the next rotation can start (after the fix a stale AWSPENDING calls for).
      await apply(model, { type: 'abandon' });
      await apply(model, { type: 'start' });
      expect(model.inProgress()).toBe(model.tokens[model.tokens.length - 1]);
    }),
    { numRuns: 200 },
  );
}, 120000);
