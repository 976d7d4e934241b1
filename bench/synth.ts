/**
 * Synth wall time and peak memory: the example app, the baseline at the same shape and an empty app
 * (the floor), each synth a fresh node process, in paired rounds (A B C D A B C D ...), with
 * aws-cdk-lib's built-in CloudFormation validation on and off.
 *
 * Run: `npx ts-node --transpile-only bench/synth.ts [--reps 5] [--runner js|ts-node]`
 */
import type { SynthJob } from './apps/synth-one';
import {
  fixed,
  hasGnuTime,
  isMain,
  median,
  prepareJs,
  runSynth,
  table,
  type Runner,
  type SynthRun,
} from './lib/run';

interface Variant {
  readonly name: string;
  readonly job: SynthJob;
}

export interface SynthBenchOptions {
  readonly reps?: number;
  readonly runner?: Runner;
  readonly log?: (line: string) => void;
}

export async function synthBench(options: SynthBenchOptions = {}): Promise<string> {
  const reps = options.reps ?? 5;
  const runner = options.runner ?? 'js';
  const log = options.log ?? (() => undefined);
  if (runner === 'js') await prepareJs();

  // The baseline copies the example's shape: 2 secrets, plus the audit part only if the example has one.
  const probe = await runSynth({ app: 'example' }, { validation: false, runner });
  if (!probe.ok) throw new Error(`the example app does not synthesize: ${probe.error}`);
  const exampleHasAudit = (probe.stats?.byType['AWS::CloudTrail::Trail'] ?? 0) > 0;
  const variants: Variant[] = [
    { name: 'empty app (floor)', job: { app: 'empty' } },
    {
      name: `baseline (2 secrets${exampleHasAudit ? ', audit' : ', no audit'})`,
      job: { app: 'baseline', secrets: 2, audit: exampleHasAudit },
    },
    { name: 'example app, cdk-nag off', job: { app: 'example' } },
    { name: 'example app, cdk-nag on', job: { app: 'example', nag: true } },
  ];
  const [floor, baseline] = variants;

  const runs = new Map<string, SynthRun[]>();
  const key = (v: Variant, validation: boolean) => `${v.name}|${validation}`;
  for (const v of variants) await runSynth(v.job, { validation: false, runner }); // warm the file cache
  for (let rep = 1; rep <= reps; rep++) {
    for (const validation of [true, false]) {
      for (const v of variants) {
        const run = await runSynth(v.job, { validation, runner });
        if (!run.ok) throw new Error(`${v.name} failed to synthesize: ${run.error}`);
        runs.set(key(v, validation), [...(runs.get(key(v, validation)) ?? []), run]);
      }
    }
    log(`  synth round ${rep}/${reps} done`);
  }

  const sections: string[] = [];
  for (const validation of [true, false]) {
    const of = (v: Variant) => runs.get(key(v, validation)) ?? [];
    // Ratios are medians of the per-round ratios: each round's runs are neighbours in time.
    const pairedRatio = (v: Variant, f: (r: SynthRun) => number, minus?: Variant) =>
      median(
        of(v).map((r, i) => {
          const b = of(baseline)[i];
          const floorRun = minus ? of(minus)[i] : undefined;
          return floorRun ? (f(r) - f(floorRun)) / (f(b) - f(floorRun)) : f(r) / f(b);
        }),
      );
    const wall = (r: SynthRun) => r.wallMs;
    const rss = (r: SynthRun) => r.peakRssMiB;
    const cpu = (r: SynthRun) => r.cpuMs;
    const rows: (string | number)[][] = [
      [
        'app',
        'wall ms (median)',
        'min–max',
        'CPU ms',
        'load ms',
        'construct ms',
        'synth ms',
        'peak RSS MiB',
        'resources',
        'wall × baseline',
        'CPU × baseline',
        'CPU above floor × baseline',
        'RSS × baseline',
      ],
    ];
    for (const v of variants) {
      const rs = of(v);
      rows.push([
        v.name,
        fixed(median(rs.map(wall))),
        `${fixed(Math.min(...rs.map(wall)))}–${fixed(Math.max(...rs.map(wall)))}`,
        fixed(median(rs.map(cpu))),
        fixed(median(rs.map((r) => r.loadMs))),
        fixed(median(rs.map((r) => r.constructMs))),
        fixed(median(rs.map((r) => r.synthMs))),
        fixed(median(rs.map(rss))),
        rs[0].stats?.resources ?? '-',
        fixed(pairedRatio(v, wall), 2),
        fixed(pairedRatio(v, cpu), 2),
        v === floor ? '-' : fixed(pairedRatio(v, cpu, floor), 2),
        fixed(pairedRatio(v, rss), 2),
      ]);
    }
    sections.push(
      `#### Built-in CloudFormation validation ${validation ? 'ON (default)' : 'OFF (CDK_VALIDATION=false)'}\n\n${table(rows)}`,
    );
  }

  return [
    `### (a) Synth wall time and peak memory`,
    `Each synth is a fresh \`node\` process running ${
      runner === 'js'
        ? 'JavaScript transpiled once by esbuild from lib/, bin/ and bench/ (no bundling; aws-cdk-lib loads from node_modules)'
        : '`ts-node --transpile-only` on the TypeScript sources'
    }, writing to a temporary outdir. ${reps} paired rounds (every app once per round, validation on then off) ` +
      `after one warm-up round (validation off); medians shown. CPU = user + system time of the process and the children it waited for (esbuild): on a shared machine it is steadier than wall time. Peak RSS: ${hasGnuTime() ? '`/usr/bin/time -f %M` (max RSS of the node process)' : 'VmHWM polled from /proc'}. ` +
      '"load" = node start to the end of module loading; "construct" = building the construct tree; "synth" = `app.synth()` ' +
      '(built-in validation, cdk-nag, writing the assembly). Assets are staged while constructing, so the ' +
      "baseline's esbuild run for its NodejsFunction is in its construct time. " +
      '"above floor" subtracts the empty app of the same round (what the stack\'s own code costs). ' +
      'The example app runs with cdk-nag off in the compared row (the baseline has none) and on in the next.',
    ...sections,
  ].join('\n\n');
}

function parseArgs(argv: string[]): SynthBenchOptions {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    reps: value('--reps') ? Number(value('--reps')) : undefined,
    runner: (value('--runner') as Runner | undefined) ?? 'js',
  };
}

if (isMain(module)) {
  synthBench({ ...parseArgs(process.argv.slice(2)), log: console.error })
    .then((report) => console.log(report))
    .catch((error) => {
      console.error(error);
      process.exitCode = 1;
    });
}
