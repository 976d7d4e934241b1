#!/usr/bin/env node
// The two-pass mutation run (README, "Mutation testing"): pass one runs the fast unit suites against
// every mutant; pass two runs every suite (emulator and real databases included) against what pass one
// left alive. This script reads Stryker JSON reports and either
//
//   node scripts/mutation-survivors.mjs ranges report.json[=files]... prints the `mutate` ranges of the
//                                                                  survivors, uncovered and static
//                                                                  (ignored) mutants, one per line
//                                                                  (file:line:col-line:col)
//   node scripts/mutation-survivors.mjs combine first.json... -- second.json...
//                                                                  prints per-file scores: a mutant is
//                                                                  killed if either pass killed it
//
// Stryker's JSON report gives 1-based lines and 1-based columns (its toSchemaLocation adds one to the
// column); a `mutate` range takes 1-based lines and 0-based columns. A range printed here starts one
// column earlier and ends one later than the report's location, so that it surely holds the mutant
// (a range that cuts a mutant's first or last character leaves it out).
import { readFileSync } from 'node:fs';

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);
const INVALID = new Set(['CompileError', 'RuntimeError', 'Ignored']);
// Pass one ignores static mutants (`ignoreStatic`: code run only while a test file loads, such as a
// fixture synthesized at the top of a file, which per-test coverage cannot place): pass two, which
// runs every test for each mutant, takes them too.
const forPassTwo = (m) =>
  UNDETECTED.has(m.status) || (m.status === 'Ignored' && /^Static mutant/.test(m.statusReason ?? ''));

// A report may be given as `report.json=file1,file2`: only those files are taken from it (an
// incremental run's report also carries the files it reused but did not mutate).
function mutantsOf(paths) {
  const out = [];
  for (const spec of paths) {
    const [path, only] = spec.split('=');
    const files = only ? new Set(only.split(',')) : undefined;
    const report = JSON.parse(readFileSync(path, 'utf8'));
    for (const [file, { mutants }] of Object.entries(report.files)) {
      if (files && !files.has(file)) continue;
      for (const m of mutants) out.push({ file, ...m });
    }
  }
  return out;
}

const key = (m) =>
  `${m.file}@${m.location.start.line}:${m.location.start.column}-${m.location.end.line}:${m.location.end.column} ${m.mutatorName} ${m.replacement ?? ''}`;

function ranges(paths) {
  const seen = new Set();
  for (const m of mutantsOf(paths)) {
    if (!forPassTwo(m)) continue;
    const { start, end } = m.location;
    const range = `${m.file}:${start.line}:${Math.max(0, start.column - 1)}-${end.line}:${end.column + 1}`;
    if (!seen.has(range)) {
      seen.add(range);
      console.log(range);
    }
  }
}

function combine(first, second) {
  const byKey = new Map();
  for (const m of mutantsOf(first)) byKey.set(key(m), { file: m.file, status: m.status, mutant: m });
  for (const m of mutantsOf(second)) {
    const entry = byKey.get(key(m));
    if (entry && forPassTwo(entry.mutant)) entry.status = m.status;
  }
  const files = new Map();
  for (const { file, status, mutant } of byKey.values()) {
    const f = files.get(file) ?? { detected: 0, undetected: 0, invalid: 0, left: [] };
    if (DETECTED.has(status)) f.detected++;
    else if (UNDETECTED.has(status)) {
      f.undetected++;
      f.left.push(
        `${mutant.location.start.line}:${mutant.location.start.column} ${mutant.mutatorName} -> ${JSON.stringify(mutant.replacement ?? '').slice(0, 60)} (${status})`,
      );
    } else if (INVALID.has(status)) f.invalid++;
    files.set(file, f);
  }
  let detected = 0;
  let valid = 0;
  for (const [file, f] of [...files].sort()) {
    const total = f.detected + f.undetected;
    detected += f.detected;
    valid += total;
    const score = total === 0 ? 'n/a' : `${((100 * f.detected) / total).toFixed(1)}%`;
    console.log(`${file}: ${f.detected}/${total} (${score})`);
    for (const line of f.left) console.log(`    left: ${line}`);
  }
  console.log(`all files: ${detected}/${valid} (${((100 * detected) / valid).toFixed(1)}%)`);
}

const [command, ...args] = process.argv.slice(2);
if (command === 'ranges' && args.length > 0) ranges(args);
else if (command === 'combine' && args.includes('--')) {
  const at = args.indexOf('--');
  combine(args.slice(0, at), args.slice(at + 1));
} else {
  console.error(
    'usage: mutation-survivors.mjs ranges report.json... | combine first.json... -- second.json...',
  );
  process.exit(2);
}
