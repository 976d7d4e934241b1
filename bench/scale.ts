/**
 * Scale: resources, template bytes, synth time and the size of every capped document for N secrets
 * in one stack (each rotating), for our SecretsVault and for the baseline at the same N, with and
 * without the audit part. Counts come from the synthesized template with aws-cdk-lib's own
 * 500-resource check turned off; our library's check stays on, and its error is the reported limit.
 *
 * Run: `npx ts-node --transpile-only bench/scale.ts [--ns 1,10,50,100,150,200]`
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { GrowthCase } from './apps/growth-stacks';
import type { SynthJob } from './apps/synth-one';
import { fixed, isMain, prepareJs, ROOT, runSynth, table, type SynthRun } from './lib/run';
import { LIMITS, type TemplateStats } from './lib/template-stats';

const DEFAULT_NS = [1, 10, 50, 100, 150, 200];
const VALIDATION_N = 150;

interface Config {
  readonly name: string;
  readonly job: Omit<SynthJob, 'secrets'>;
}

export interface ScaleBenchOptions {
  readonly ns?: number[];
  readonly log?: (line: string) => void;
}

export async function scaleBench(options: ScaleBenchOptions = {}): Promise<string> {
  const ns = options.ns ?? DEFAULT_NS;
  const log = options.log ?? (() => undefined);
  await prepareJs();
  const auditExists = existsSync(join(ROOT, 'lib', 'secrets-audit.ts'));
  const configs: Config[] = [
    { name: 'ours: SecretsVault', job: { app: 'vault', audit: false } },
    ...(auditExists
      ? [{ name: 'ours: SecretsVault + SecretsAudit', job: { app: 'vault', audit: true } } as Config]
      : []),
    { name: 'baseline', job: { app: 'baseline', audit: false } },
    { name: 'baseline + trail/filter/dashboard', job: { app: 'baseline', audit: true } },
    {
      name: 'baseline + trail/filter/dashboard, `cdk init` feature flags',
      job: { app: 'baseline', audit: true, recommendedFlags: true },
    },
  ];

  const sections: string[] = [];
  const summary: (string | number)[][] = [
    [
      'stack',
      'resources at N=1',
      'per extra secret',
      'last N ≤ 500 resources',
      'first N over (what happens at synth)',
      `synth s at N=${VALIDATION_N}, validation on / off`,
    ],
  ];
  for (const config of configs) {
    const synth = (n: number, validation = false) =>
      runSynth({ ...config.job, secrets: n, noResourceLimit: true }, { validation });
    const runs = new Map<number, SynthRun>();
    for (const n of ns) {
      runs.set(n, await synth(n));
      log(`  scale ${config.name} N=${n} done`);
    }
    sections.push(`#### ${config.name}\n\n${scaleTable(ns, runs)}`);

    // Resources per extra secret from the two largest N that synthesized; then find the last N under
    // the limit exactly, by synthesizing around the linear estimate.
    const ok = ns.filter((n) => runs.get(n)?.ok && runs.get(n)?.stats);
    const [lo, hi] = ok.length >= 2 ? ok.slice(-2) : [ok[0], ok[0]];
    const count = (n: number) => runs.get(n)?.stats?.resources ?? Number.NaN;
    const slope = hi > lo ? (count(hi) - count(lo)) / (hi - lo) : Number.NaN;
    let last = Number.isFinite(slope) ? Math.floor(hi + (LIMITS.resources - count(hi)) / slope) : Number.NaN;
    let over: SynthRun | undefined;
    for (let step = 0; Number.isFinite(last) && step < 6; step++) {
      const at = await synth(last);
      const next = await synth(last + 1);
      const within = (r: SynthRun) => r.ok && (r.stats?.resources ?? Infinity) <= LIMITS.resources;
      if (within(at) && !within(next)) {
        over = next;
        break;
      }
      last += within(at) ? 1 : -1;
    }
    const validated =
      config.job.audit && !config.job.recommendedFlags ? await synth(VALIDATION_N, true) : undefined;
    const unvalidated = runs.get(VALIDATION_N) ?? (await synth(VALIDATION_N));
    summary.push([
      config.name,
      count(ok[0]) + (ok[0] === 1 ? '' : ` (N=${ok[0]})`),
      fixed(slope, 2),
      over ? last : '-',
      over ? `${last + 1}: ${overDescription(over)}` : '-',
      `${validated ? fixed(validated.wallMs / 1000, 1) : 'not run'} / ${fixed(unvalidated.wallMs / 1000, 1)}` +
        (validated && !validated.ok ? ` (${shorten(validated.error)})` : ''),
    ]);
    log(`  scale ${config.name} limit search done`);
  }

  const growth = await growthSection(log);

  return [
    '### (b) Scale: N secrets in one stack, each rotating',
    'One synth process per cell (transpiled JS, built-in validation OFF so that time tracks our code; the ' +
      `summary adds N=${VALIDATION_N} with it ON). aws-cdk-lib's own 500-resource check is off ` +
      "(`@aws-cdk/core:stackResourceLimit` = 0) so that every N is counted; our library's check stays on. " +
      'Sizes are characters of the deployed document, estimated by rendering each Ref/GetAtt as 80 characters; ' +
      `limits: role inline policies ${LIMITS.roleInlinePolicies}, managed policy ${LIMITS.managedPolicy}, ` +
      `managed policies per role ${LIMITS.managedPoliciesPerRole} (default quota), key policy ${LIMITS.keyPolicy}, ` +
      `Lambda environment ${LIMITS.lambdaEnvironment}, template ${LIMITS.templateBytesS3 / 1024} KiB via S3. ` +
      "Without the context key, aws-cdk-lib itself throws at synth above 500 (`Number of resources in stack 'Bench': … is greater than allowed maximum of 500`). " +
      'Single runs on a shared machine: treat synth times here as ±30 %; section (a) has the careful timings.',
    table(summary),
    ...sections,
    growth,
  ].join('\n\n');
}

const GROWTH_NS = [1, 10, 20, 40];
const GROWTH_CASES: { growth: GrowthCase; what: string; limit: 'lambdaEnvironment' | 'managedPolicy' }[] = [
  {
    growth: 'distinct-profiles',
    what: 'vault, every secret with its own generation options (`length: 20 + i`)',
    limit: 'lambdaEnvironment',
  },
  {
    growth: 'standalone-rotation',
    what: '`RotationFunction` without `secretNamePrefix`, N secrets added with `addSecret`',
    limit: 'lambdaEnvironment',
  },
  {
    growth: 'reader-role-list',
    what: '`SecretReaderRole({ secrets: [N secrets] })` instead of `vault.grantRead(role)`',
    limit: 'managedPolicy',
  },
];

/** Uses of the library that still grow with N: where each one breaks an AWS limit. */
async function growthSection(log: (line: string) => void): Promise<string> {
  const rows: (string | number)[][] = [
    [
      'case',
      'N',
      'resources',
      'Lambda env chars',
      'largest managed policy',
      'Lambda::Permission',
      'breaks at N ≈',
    ],
  ];
  for (const c of GROWTH_CASES) {
    const runs: SynthRun[] = [];
    for (const n of GROWTH_NS)
      runs.push(await runSynth({ app: c.growth, secrets: n }, { validation: false }));
    log(`  growth ${c.growth} done`);
    // The last two N that synthesized (synth refuses the larger ones before AWS would).
    const measured = runs.flatMap((r, i) =>
      r.stats ? [{ n: GROWTH_NS[i], chars: r.stats[c.limit].chars }] : [],
    );
    const [a, b] = measured.slice(-2);
    const slope = a && b ? (b.chars - a.chars) / (b.n - a.n) : Number.NaN;
    const breaksAt = slope > 0 ? Math.floor(b.n + (LIMITS[c.limit] - b.chars) / slope) + 1 : Number.NaN;
    runs.forEach((r, i) => {
      const s = r.stats;
      rows.push([
        i === 0 ? c.what : '',
        GROWTH_NS[i],
        r.ok ? (s?.resources ?? '-') : `throws: ${shorten(r.error, 200)}`,
        s ? size(s, 'lambdaEnvironment') : '-',
        s ? size(s, 'managedPolicy') : '-',
        s?.byType['AWS::Lambda::Permission'] ?? 0,
        i === 0
          ? `${breaksAt} (${c.limit === 'lambdaEnvironment' ? 'Lambda env 4 KB' : 'managed policy 6,144'})`
          : '',
      ]);
    });
  }
  return [
    '#### What still grows with N (and where it would break an AWS limit; synth refuses it first)',
    'Transpiled JS, validation off. "breaks at" extrapolates the last two N that synthesized to the limit.',
    table(rows),
  ].join('\n\n');
}

function size(s: TemplateStats, k: keyof typeof LIMITS & keyof TemplateStats): string {
  const value = (s[k] as { chars: number } | undefined)?.chars;
  if (value === undefined) return '-';
  return value > LIMITS[k] ? `**${value}** ⚠` : String(value);
}

function overDescription(run: SynthRun): string {
  if (!run.ok) return `throws: "${shorten(run.error)}"`;
  return `${run.stats?.resources} resources; the synth succeeds (CloudFormation rejects it at deploy)`;
}

function shorten(text: string | undefined, max = 400): string {
  const oneLine = (text ?? '').replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

function scaleTable(ns: number[], runs: Map<number, SynthRun>): string {
  const rows: (string | number)[][] = [
    [
      'N',
      'resources',
      'template KiB',
      'synth wall s',
      'CPU s',
      'peak RSS MiB',
      'role inline policy',
      'largest managed policy',
      'managed policies / role',
      'key policy',
      'secret policy',
      'dashboard',
      'Lambda env',
      'most DependsOn',
    ],
  ];
  for (const n of ns) {
    const run = runs.get(n);
    const s = run?.stats;
    if (!run?.ok || !s) {
      rows.push([
        n,
        `throws: ${shorten(run?.error, 300)}`,
        '-',
        fixed((run?.wallMs ?? NaN) / 1000, 1),
        fixed((run?.cpuMs ?? NaN) / 1000, 1),
        '-',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
      ]);
      continue;
    }
    rows.push([
      n,
      s.resources > LIMITS.resources ? `**${s.resources}** ⚠` : s.resources,
      fixed((run.templateBytes ?? 0) / 1024, 1),
      fixed(run.wallMs / 1000, 1),
      fixed(run.cpuMs / 1000, 1),
      fixed(run.peakRssMiB),
      size(s, 'roleInlinePolicies'),
      size(s, 'managedPolicy'),
      size(s, 'managedPoliciesPerRole'),
      size(s, 'keyPolicy'),
      size(s, 'secretResourcePolicy'),
      s.dashboardBody.chars || '-',
      size(s, 'lambdaEnvironment'),
      s.dependsOn.chars,
    ]);
  }
  return table(rows);
}

if (isMain(module)) {
  const i = process.argv.indexOf('--ns');
  const ns = i >= 0 ? process.argv[i + 1].split(',').map(Number) : undefined;
  scaleBench({ ns, log: console.error })
    .then((report) => console.log(report))
    .catch((error) => {
      console.error(error);
      process.exitCode = 1;
    });
}
