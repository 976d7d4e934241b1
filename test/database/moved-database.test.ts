/**
 * A database that moved (issue #14 with issue #9's rule kept): the user changes host and port of a
 * database secret and deploys. The secret's AWSCURRENT value still names the old endpoint (the function
 * wrote it at the last rotation), which the function refuses, touching nothing, until the deployment
 * declares the move (`movedFrom`, the target's `formerly`). Then the next rotation accepts the value,
 * logs in at the new endpoint only, and writes it into the new AWSCURRENT; the password changes by that
 * rotation only. The built bundle, moto and a real PostgreSQL server over verified TLS, as in
 * pinned-fields.test.ts.
 *
 * The same server is reached at two endpoints: the old one through a TCP forwarder on 127.0.0.1 that
 * counts its connections (the test certificate names 127.0.0.1), the new one directly as `localhost`.
 */
import type { HostTargetSpec, TargetSpec } from '../../lib/contract/rotation-contract';
import { randomSuffix, type DatabaseServer } from '../support/databases';
import { PinnedEnvironment, STEPS, expectOneCurrent } from '../rotation/fixture';
import { resolveBundle } from './support/bundle';
import { countingForwarder } from './support/rds-host';
import {
  PINNED_HOST,
  VAULT_PREFIX,
  bundleEnv,
  pinnedFields,
  pinnedTarget,
  useRotationBench,
} from './support/suite';

const bundle = resolveBundle();
afterAll(() => bundle.cleanup());

const bench = useRotationBench('postgres', bundle.path);

/** Another endpoint of the same server: 127.0.0.1 on a port of its own, counting the connections it forwards. */

async function steps(env: Record<string, string>, arn: string, token: string): Promise<void> {
  await bench.bundleProcess.load(env);
  for (const Step of STEPS)
    await bench.bundleProcess.invoke({ Step, SecretId: arn, ClientRequestToken: token });
}

/** Always by stage, AWSCURRENT named explicitly: moto's stage-less read can return another version. */
async function currentValue(arn: string): Promise<Record<string, unknown>> {
  return JSON.parse((await bench.vault.valueAt(arn, 'AWSCURRENT')) as string);
}

test('moved to another host and port: refused until the deployment declares movedFrom, then one rotation writes the new endpoint', async () => {
  const s: DatabaseServer = bench.server;
  const old = { host: '127.0.0.1', ...(await countingForwarder(s)) };
  try {
    const username = `sv_${randomSuffix()}`;
    const initial = `Init-${randomSuffix()}-pw`;
    await s.createUser(username, initial);
    const name = bench.vault.uniqueName(`${VAULT_PREFIX}moved`);
    const arn = await bench.vault.createSecret(
      name,
      JSON.stringify({ username, password: initial }),
      'single',
    );
    const pinA = pinnedTarget(s, { host: old.host, port: old.port });
    const pinB = pinnedTarget(s, { host: PINNED_HOST }) as HostTargetSpec;
    const deployed = (target: TargetSpec) => {
      const deployment = new PinnedEnvironment(bundleEnv('postgres'));
      deployment.bind(name, 'single', target);
      return deployment.env();
    };

    // 1. Pinned to A: the rotation writes A's fields, through A.
    await steps(deployed(pinA), arn, await bench.vault.startRotation(arn));
    const atA = await currentValue(arn);
    expect(atA).toEqual({ ...pinnedFields(s, old), username, password: expect.any(String) });
    const first = atA.password as string;
    expect(first).not.toBe(initial);
    expect(old.connections()).toBeGreaterThan(0);

    // 2. Re-pinned to B without movedFrom: refused in createSecret, nothing written or changed.
    const textAtA = await bench.vault.valueAt(arn, 'AWSCURRENT');
    const stagesAtA = await bench.vault.stages(arn);
    const token = await bench.vault.startRotation(arn);
    await bench.bundleProcess.load(deployed(pinB));
    await expect(
      bench.bundleProcess.invoke({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token }),
    ).rejects.toThrow(
      `the AWSCURRENT value of secret ${arn} points at host ${old.host}, port ${old.port}, dbname ${s.dbname}, but this deployment pinned secret ${arn} to ${PINNED_HOST}:${s.port}/${s.dbname}; refusing to connect anywhere (fix the value, or deploy the new endpoint, then rotate again). If the database moved from there, declare \`movedFrom: [{ host: "${old.host}", port: ${old.port} }]\` in the options of secret ${arn} and deploy`,
    );
    expect(await bench.vault.valueOf(arn, token)).toBeUndefined();
    expect(await bench.vault.valueAt(arn, 'AWSCURRENT')).toBe(textAtA);
    expect(expectOneCurrent(await bench.vault.stages(arn))).toBe(expectOneCurrent(stagesAtA));
    expect(await s.canLogin(username, first)).toBe(true);

    // 3. The move declared (B, formerly A): the retried rotation goes through, logging in at B only.
    const throughA = old.connections();
    bench.bundleProcess.clearOutput();
    // As the constructs render `movedFrom: [{ host, port }]`: the entry keeps the secret's dbname.
    const formerly = [{ host: old.host, port: old.port, dbname: s.dbname }];
    await steps(deployed({ ...pinB, formerly }), arn, token);
    expect(old.connections()).toBe(throughA);
    expect(expectOneCurrent(await bench.vault.stages(arn))).toBe(token);
    const atB = await currentValue(arn);
    expect(atB).toEqual({ ...pinnedFields(s), username, password: expect.any(String) });
    // The password changed by this rotation only: the old one worked until now, the new one from now.
    expect(atB.password).not.toBe(first);
    expect(await s.canLogin(username, atB.password as string)).toBe(true);
    expect(await s.canLogin(username, first)).toBe(false);
    expect(await bench.vault.valueAt(arn, 'AWSPREVIOUS')).toBe(textAtA);
    const output = bench.bundleProcess.output();
    expect(output).toContain(
      'the current value names a former endpoint; the new version names the pinned one',
    );
    expect(output).not.toContain(first);
    expect(output).not.toContain(atB.password as string);

    // 4. movedFrom dropped after that rotation: the next one rotates as usual, at B.
    await steps(deployed(pinB), arn, await bench.vault.startRotation(arn));
    expect((await currentValue(arn)).host).toBe(PINNED_HOST);
    expect(old.connections()).toBe(throughA);
  } finally {
    await old.close();
  }
});
