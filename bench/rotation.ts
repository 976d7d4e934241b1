/**
 * Rotation benchmark. Run `node scripts/bundle.mjs rotation && npx ts-node bench/rotation.ts` (it builds
 * its variants into bench/results/ and starts its own moto).
 *
 * (a) AWS API calls per clean rotation (generated string, generated JSON), counted by a proxy between
 *     the built handler and moto, next to AWS's Python template: its call sequence is replayed through
 *     the same proxy (set/test do nothing, as for a secret with no target).
 * (b) Bundle size (minified, zipped) and module init time (median of fresh `node` processes) for the
 *     handler with the SDK bundled and with @aws-sdk/* external (as the Node.js 24 runtime provides
 *     it), each as a ratio against a minimal four-step handler bundled the same way in the same run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { ROTATION_ENV, ROTATION_PROFILE_TAG, secretNameKey } from '../lib/contract/rotation-contract';
import { FAKE_AWS_ENV, startMoto, type MotoServer } from '../test/support/moto';

const ROOT = join(__dirname, '..');
const OUT = join(ROOT, 'bench', 'results');
const INIT_RUNS = Number(process.env.BENCH_INIT_RUNS ?? 15);
const TEMPLATE_CITED_CALLS = 10;

type Handler = (event: unknown) => Promise<void>;

// ---------- (a) API calls ----------

/** Forwards to moto and counts Secrets Manager requests by operation. */
async function countingProxy(target: string): Promise<{ server: Server; url: string; calls: string[] }> {
  const calls: string[] = [];
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const op = String(req.headers['x-amz-target'] ?? `${req.method} ${req.url}`).replace(
      'secretsmanager.',
      '',
    );
    calls.push(op);
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    forward.on('error', (error) => {
      res.writeHead(502);
      res.end(String(error));
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, calls };
}

/** The AWS Python template's calls for one step, replayed with SDK v3 (set/test have no target here). */
function templateReplica(client: SecretsManagerClient): Handler {
  return async (raw) => {
    const { Step, SecretId, ClientRequestToken: token } = raw as Record<string, string>;
    const meta = await client.send(new DescribeSecretCommand({ SecretId }));
    const stages = meta.VersionIdsToStages ?? {};
    if (stages[token]?.includes('AWSCURRENT')) return;
    if (Step === 'createSecret') {
      await client.send(new GetSecretValueCommand({ SecretId, VersionStage: 'AWSCURRENT' }));
      try {
        await client.send(
          new GetSecretValueCommand({ SecretId, VersionId: token, VersionStage: 'AWSPENDING' }),
        );
      } catch {
        const pw = await client.send(new GetRandomPasswordCommand({ ExcludeCharacters: '/@"\'\\' }));
        await client.send(
          new PutSecretValueCommand({
            SecretId,
            ClientRequestToken: token,
            SecretString: pw.RandomPassword,
            VersionStages: ['AWSPENDING'],
          }),
        );
      }
    } else if (Step === 'finishSecret') {
      const again = await client.send(new DescribeSecretCommand({ SecretId }));
      const versions = again.VersionIdsToStages ?? {};
      const current = Object.keys(versions).find((id) => versions[id].includes('AWSCURRENT'));
      await client.send(
        new UpdateSecretVersionStageCommand({
          SecretId,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: token,
          RemoveFromVersionId: current,
        }),
      );
      await client.send(
        new UpdateSecretVersionStageCommand({
          SecretId,
          VersionStage: 'AWSPENDING',
          RemoveFromVersionId: token,
        }),
      );
    }
  };
}

async function countCalls(moto: MotoServer): Promise<Record<string, { calls: number; ops: string[] }>> {
  const proxy = await countingProxy(moto.endpoint);
  try {
    const run = Date.now();
    const nameOf = (label: string) => `bench/${label.replace(/[^a-z]+/gi, '-')}-${run}`;
    const cases: [string, string, string | undefined][] = [
      ['ours: generated string', 'rotated-value-0123456789', 'api'],
      ['ours: generated JSON field', JSON.stringify({ username: 'u', password: 'p-0123456789' }), 'json'],
      ['AWS template (replayed)', 'x-0123456789', undefined],
    ];
    // The environment as a vault's RotationFunction writes it: each secret it added is bound to its
    // profile by the key of its name (the binding, not the tag, decides; the tag must agree).
    Object.assign(process.env, FAKE_AWS_ENV, {
      AWS_ENDPOINT_URL: proxy.url,
      [ROTATION_ENV.namePrefix]: 'bench/',
      [ROTATION_ENV.profiles]: JSON.stringify({
        api: { kind: 'generated' },
        json: { kind: 'generated', jsonField: 'password' },
      }),
      [ROTATION_ENV.bindings]: JSON.stringify(
        Object.fromEntries(
          cases
            .filter(([, , profile]) => profile !== undefined)
            .map(([label, , profile]) => [profile, secretNameKey(nameOf(label))]),
        ),
      ),
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    // The exact asset a deploy uploads.
    const asset = join(ROOT, 'assets', 'rotation', 'index.js');
    if (!existsSync(asset))
      throw new Error(`${asset} is missing: run \`node scripts/bundle.mjs rotation\` first`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ours = (require(asset) as { handler: Handler }).handler;
    const template = templateReplica(new SecretsManagerClient({ endpoint: proxy.url }));
    const admin = new SecretsManagerClient({ endpoint: moto.endpoint });
    const fn = await moto.createDummyRotationFunction();
    const results: Record<string, { calls: number; ops: string[] }> = {};
    for (const [label, value, profile] of cases) {
      const handler = profile === undefined ? template : ours;
      const { ARN } = await admin.send(
        new CreateSecretCommand({
          Name: nameOf(label),
          SecretString: value,
          Tags: profile ? [{ Key: ROTATION_PROFILE_TAG, Value: profile }] : undefined,
        }),
      );
      const { VersionId } = await admin.send(
        new RotateSecretCommand({
          SecretId: ARN,
          RotationLambdaARN: fn,
          RotationRules: { AutomaticallyAfterDays: 30 },
        }),
      );
      proxy.calls.length = 0;
      for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
        await handler({ Step, SecretId: ARN, ClientRequestToken: VersionId });
      }
      results[label] = { calls: proxy.calls.length, ops: [...proxy.calls] };
    }
    return results;
  } finally {
    proxy.server.close();
  }
}

// ---------- (b) size and init ----------

interface Variant {
  readonly name: string;
  readonly entry: string;
  readonly external: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'ours-sdk-bundled', entry: 'lambda/rotation/index.ts', external: false },
  { name: 'baseline-sdk-bundled', entry: 'bench/baseline/rotation-handler.ts', external: false },
  { name: 'ours-sdk-external', entry: 'lambda/rotation/index.ts', external: true },
  { name: 'baseline-sdk-external', entry: 'bench/baseline/rotation-handler.ts', external: true },
];

const DRIVERS = ['pg', 'mysql2/promise'];

/** The options of scripts/bundle.mjs, plus @aws-sdk/* external for the "runtime SDK" variants. */
async function bundleVariant(v: Variant): Promise<string> {
  const outfile = join(OUT, v.name, 'index.js');
  rmSync(join(OUT, v.name), { recursive: true, force: true });
  mkdirSync(join(OUT, v.name), { recursive: true });
  await build({
    entryPoints: [join(ROOT, v.entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    // As scripts/bundle.mjs ships it: the database drivers are files of their own, loaded only by the
    // database strategies, so they are not part of the handler's cold start.
    external: [...DRIVERS, ...(v.external ? ['@aws-sdk/*'] : [])],
  });
  return outfile;
}

/** The file's size zipped, measured in a temporary folder: never beside the file (it may be a shipped asset). */
function zippedSize(file: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'zip-'));
  try {
    const zip = join(dir, 'file.zip');
    execFileSync('zip', ['-q', '-9', '-X', '-j', zip, file]);
    return statSync(zip).size;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Time to require the bundle in a fresh node process (what a cold start pays for module init). */
function initTime(file: string): number {
  const script =
    `const t=process.hrtime.bigint();require(${JSON.stringify(file)});` +
    'process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6));';
  const env = { ...process.env, ...FAKE_AWS_ENV, AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1' };
  return Number(execFileSync(process.execPath, ['-e', script], { env, cwd: ROOT }).toString());
}

/** Rounds interleave the variants, after one discarded warm-up each, so drift hits all alike. */
function initMedians(files: Record<string, string>, runs: number): Record<string, number> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(files).map((k) => [k, []]));
  for (const file of Object.values(files)) initTime(file);
  for (let i = 0; i < runs; i += 1) {
    for (const [name, file] of Object.entries(files)) times[name].push(initTime(file));
  }
  return Object.fromEntries(Object.entries(times).map(([name, t]) => [name, median(t)]));
}

// ---------- report ----------

function table(rows: (string | number)[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) => r.map((cell, c) => String(cell).padEnd(widths[c])).join('  ')).join('\n');
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const moto = await startMoto();
  let calls: Awaited<ReturnType<typeof countCalls>>;
  try {
    calls = await countCalls(moto);
  } finally {
    await moto.stop();
  }
  console.log('\n(a) AWS API calls per clean rotation (counted against moto)');
  console.log(
    table([
      ['handler', 'calls', 'operations'],
      ...Object.entries(calls).map(([label, r]) => [label, r.calls, r.ops.join(' ')]),
      ['AWS template (as cited)', TEMPLATE_CITED_CALLS, ''],
    ]),
  );

  const files: Record<string, string> = {};
  for (const v of VARIANTS) files[v.name] = await bundleVariant(v);
  const inits = initMedians(files, INIT_RUNS);
  const measured: Record<string, { min: number; zip: number; init: number }> = {};
  for (const v of VARIANTS) {
    const file = files[v.name];
    measured[v.name] = { min: statSync(file).size, zip: zippedSize(file), init: inits[v.name] };
  }
  const shipped = statSync(join(ROOT, 'assets', 'rotation', 'index.js')).size;
  const rows: (string | number)[][] = [
    ['variant', 'minified B', 'zipped B', `init ms (median/${INIT_RUNS})`, 'size x', 'zip x', 'init x'],
  ];
  for (const v of VARIANTS) {
    const m = measured[v.name];
    const base = measured[v.external ? 'baseline-sdk-external' : 'baseline-sdk-bundled'];
    rows.push([
      v.name,
      m.min,
      m.zip,
      m.init.toFixed(1),
      (m.min / base.min).toFixed(2),
      (m.zip / base.zip).toFixed(2),
      (m.init / base.init).toFixed(2),
    ]);
  }
  console.log(
    `\n(b) bundle size and module init (node ${process.version}; ratios against the baseline bundled the same way)`,
  );
  console.log(table(rows));
  console.log(
    `\nshipped asset assets/rotation/index.js: ${shipped} B (ours-sdk-bundled: ${measured['ours-sdk-bundled'].min} B)`,
  );
  for (const driver of ['node_modules/pg/index.js', 'node_modules/mysql2/promise.js']) {
    const file = join(ROOT, 'assets', 'rotation', driver);
    if (existsSync(file)) {
      console.log(
        `database driver assets/rotation/${driver}: ${statSync(file).size} B, zipped ${zippedSize(file)} B`,
      );
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
