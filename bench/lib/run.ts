/** Running synths in child processes, and the small helpers every benchmark script shares. */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import type { SynthJob, SynthOutcome } from '../apps/synth-one';

export const ROOT = join(__dirname, '..', '..');
export const RESULTS = join(ROOT, 'bench', 'results');
const JS_ROOT = join(RESULTS, 'js');
const TIME = '/usr/bin/time';

/**
 * How a synth process runs our TypeScript: `js` transpiles lib/, bin/ and bench/ once with esbuild
 * (no bundling, so aws-cdk-lib loads from node_modules as in any app) and runs plain node; `ts-node`
 * runs the sources through `ts-node --transpile-only`, as cdk.json's app command does.
 */
export type Runner = 'js' | 'ts-node';

export interface SynthRun extends SynthOutcome {
  /** Wall time of the whole process, spawn to exit. */
  readonly wallMs: number;
  /** Peak resident set size of the process, in MiB. */
  readonly peakRssMiB: number;
  /**
   * User + system CPU time of the process and the children it waited for (esbuild for the
   * baseline): steadier than wall time on a busy machine. NaN without GNU time.
   */
  readonly cpuMs: number;
}

/** Transpiles every .ts of lib/, bin/ and bench/ into bench/results/js (same layout). */
export async function prepareJs(): Promise<void> {
  rmSync(JS_ROOT, { recursive: true, force: true });
  const entryPoints = ['lib', 'bin', 'bench']
    .flatMap((dir) => listTs(join(ROOT, dir)))
    .filter((file) => !relative(ROOT, file).startsWith(join('bench', 'results')));
  await build({
    entryPoints,
    outdir: JS_ROOT,
    outbase: ROOT,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    bundle: false,
    logLevel: 'warning',
  });
  // lib/private/assets.ts looks for the bundled Lambdas two levels above itself. A copy, not a link:
  // `npm run bundle` elsewhere on the machine deletes and rewrites assets/ while we synthesize.
  for (let attempt = 0; !BUNDLES.every((b) => existsSync(join(ROOT, 'assets', b, 'index.js'))); attempt++) {
    if (attempt === 30) throw new Error('assets/*/index.js missing: run `npm run bundle` first');
    await new Promise((r) => setTimeout(r, 1000));
  }
  mkdirSync(JS_ROOT, { recursive: true });
  cpSync(join(ROOT, 'assets'), join(JS_ROOT, 'assets'), { recursive: true });
}

const BUNDLES = ['rotation', 'example-reader'];

function listTs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
}

export function hasGnuTime(): boolean {
  return existsSync(TIME);
}

/** Synthesizes one app in a fresh node process; resolves even when the synth throws. */
export function runSynth(
  job: SynthJob,
  options: { validation: boolean; runner?: Runner; timeoutMs?: number },
): Promise<SynthRun> {
  const runner = options.runner ?? 'js';
  const nodeArgs =
    runner === 'js'
      ? [join(JS_ROOT, 'bench', 'apps', 'synth-one.js'), JSON.stringify(job)]
      : [
          '-r',
          'ts-node/register/transpile-only',
          join(ROOT, 'bench', 'apps', 'synth-one.ts'),
          JSON.stringify(job),
        ];
  const gnuTime = hasGnuTime();
  const [command, args] = gnuTime
    ? [TIME, ['-f', 'BENCH_TIME %e %M %U %S', process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
  const env = {
    ...process.env,
    // NodejsFunction (the baseline) runs the local esbuild from node_modules/.bin.
    PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
    CDK_VALIDATION: options.validation ? 'true' : 'false',
    // Keep the child's numbers about synth: no CLI, no notices, no update checks.
    CDK_DISABLE_VERSION_CHECK: '1',
  };
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let polledKiB = 0;
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    // Without GNU time, VmHWM (the kernel's own peak RSS) polled until the process exits.
    const poll = gnuTime
      ? undefined
      : setInterval(() => (polledKiB = Math.max(polledKiB, vmHwm(child.pid))), 20);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - start;
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      const line = stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      if (!line) {
        reject(
          new Error(`synth ${JSON.stringify(job)} exited ${code} without a result:\n${stderr.slice(-3000)}`),
        );
        return;
      }
      const outcome = JSON.parse(line.slice('BENCH_RESULT '.length)) as SynthOutcome;
      const time = /BENCH_TIME ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(stderr);
      const peakKiB = time ? Number(time[2]) : polledKiB;
      const cpuMs = time ? (Number(time[3]) + Number(time[4])) * 1000 : Number.NaN;
      resolve({ ...outcome, wallMs, peakRssMiB: peakKiB / 1024, cpuMs });
    });
  });
}

function vmHwm(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A markdown table; the first row is the header. */
export function table(rows: (string | number)[][]): string {
  const [head, ...body] = rows.map((r) => r.map(String));
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export function fixed(value: number, digits = 0): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

/** True when the module was started directly (`ts-node bench/x.ts`), not imported by bench/index.ts. */
export function isMain(module: NodeJS.Module): boolean {
  return require.main === module;
}
