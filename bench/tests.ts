/**
 * Test suite cost: wall time of `npm test` (its pretest bundles the Lambdas, then jest) and the
 * slowest test files from jest's own per-file timings (`--json`, testResults[].perfStats). Takes
 * minutes: bench/index.ts runs it only with `--tests`.
 *
 * Run: `npx ts-node --transpile-only bench/tests.ts`
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fixed, isMain, RESULTS, ROOT, table } from './lib/run';

interface JestReport {
  numTotalTests: number;
  numFailedTests: number;
  numTotalTestSuites: number;
  numFailedTestSuites: number;
  /** `--json` gives startTime/endTime per file; perfStats is the reporter API's name for them. */
  testResults: {
    name: string;
    status: string;
    startTime?: number;
    endTime?: number;
    perfStats?: { start: number; end: number };
  }[];
}

const SLOWEST = 10;

export async function testsBench(options: { log?: (line: string) => void } = {}): Promise<string> {
  const log = options.log ?? (() => undefined);
  mkdirSync(RESULTS, { recursive: true });
  const output = join(RESULTS, 'jest.json');
  rmSync(output, { force: true });
  log('  npm test running (minutes)…');
  const start = performance.now();
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('npm', ['test', '--', '--json', `--outputFile=${output}`], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', resolve);
  });
  const wallS = (performance.now() - start) / 1000;
  if (!existsSync(output))
    return `### (c) Test suite\n\n\`npm test\` exited ${code} after ${fixed(wallS)} s without a jest report.`;

  const report = JSON.parse(readFileSync(output, 'utf8')) as JestReport;
  const files = report.testResults
    .map((r) => ({
      file: relative(ROOT, r.name),
      status: r.status,
      s: ((r.perfStats?.end ?? r.endTime ?? 0) - (r.perfStats?.start ?? r.startTime ?? 0)) / 1000,
    }))
    .sort((a, b) => b.s - a.s);
  const sum = files.reduce((total, f) => total + f.s, 0);
  const rows: (string | number)[][] = [['test file', 'seconds', 'status']];
  for (const f of files.slice(0, SLOWEST)) rows.push([f.file, fixed(f.s, 1), f.status]);
  return [
    '### (c) Test suite',
    `\`npm test\` (pretest bundle + jest, ${report.numTotalTestSuites} files, ${report.numTotalTests} tests, ` +
      `${report.numFailedTests} failed, exit ${code}): **${fixed(wallS)} s** wall. Per-file times add up to ${fixed(sum)} s ` +
      '(jest runs 2 workers). Slowest files:',
    table(rows),
  ].join('\n\n');
}

if (isMain(module)) {
  testsBench({ log: console.error })
    .then((report) => console.log(report))
    .catch((error) => {
      console.error(error);
      process.exitCode = 1;
    });
}
