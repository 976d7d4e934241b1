import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, IPolicyValidationPlugin, Validations } from 'aws-cdk-lib';
import {
  AwsSolutionsChecks,
  HIPAASecurityChecks,
  NagPack,
  NIST80053R5Checks,
  PCIDSS321Checks,
  ServerlessChecks,
} from 'cdk-nag';
import { IConstruct } from 'constructs';
import {
  controlIdOf,
  controlTowerValidator,
  GUARD_PLUGIN_NAME,
  GuardRuleRunner,
  UNPARSABLE_RULES,
} from './guard';

/** The name findings of the Control Tower rules are reported under. */
export const CONTROL_TOWER = 'ControlTower';

/** One finding: which pack (or Control Tower), which rule, on which construct. */
export interface Finding {
  /** The cdk-nag pack (`HIPAA.Security`, ...) or `ControlTower`. */
  readonly pack: string;
  /** The cdk-nag rule id, or the control id and its guard rule (`CT.S3.PR.9 s3_bucket_object_lock_enabled_check`). */
  readonly rule: string;
  /** The construct path of the resource. */
  readonly path: string;
  /** `error` or `warning`. */
  readonly severity: string;
}

/** A finding a library acknowledgement answered, with where and why (from the framework's report). */
export interface SuppressedFinding extends Finding {
  readonly acknowledgedAt: string;
  readonly reason: string;
}

/** An acknowledgement recorded on a construct (`Validations.of(x).acknowledge`). */
export interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
  readonly path: string;
}

export interface ComplianceRun {
  /** Findings that reached the report (not acknowledged). */
  readonly findings: Finding[];
  /** Findings of the Control Tower rules the framework suppressed by an acknowledgement. */
  readonly suppressed: SuppressedFinding[];
  /** Plugins that failed instead of reporting (their error message). */
  readonly pluginFailures: string[];
  /** Every acknowledgement in the app. */
  readonly acknowledgements: Acknowledgement[];
  /** cdk-nag's findings with every acknowledgement ignored, to tell live acknowledgements from stale ones. */
  readonly nagFindingsIgnoringAcknowledgements: Finding[];
  /** The synthesized templates. */
  readonly templatePaths: string[];
  /** Removes the output directory. */
  dispose(): void;
}

/** The five cdk-nag packs an auditor runs. */
export function nagPacks(app: App): NagPack[] {
  return [
    new AwsSolutionsChecks(app),
    new NIST80053R5Checks(app),
    new HIPAASecurityChecks(app),
    new PCIDSS321Checks(app),
    new ServerlessChecks(app),
  ];
}

/**
 * Builds an app, synthesizes it once under the five cdk-nag packs and the Control Tower rules, and
 * reads every finding from the framework's validation report instead of from a thrown synth.
 */
export function runCompliancePacks(build: (app: App) => void): ComplianceRun {
  return runValidation(build, (app) => [
    ...nagPacks(app),
    controlTowerValidator(),
    new GuardRuleRunner(UNPARSABLE_RULES),
  ]);
}

/** Like `runCompliancePacks`, with the given validation plugins only. */
export function runValidation(
  build: (app: App) => void,
  plugins: (app: App) => IPolicyValidationPlugin[],
): ComplianceRun {
  const outdir = mkdtempSync(join(tmpdir(), 'compliance-'));
  const app = new App({
    outdir,
    // The CloudFormation schema validator is not a compliance pack and costs seconds per synth;
    // test/example-app.test.ts runs it.
    builtinCloudFormationValidation: false,
    // Report instead of throwing, so one synth gives every finding.
    context: { '@aws-cdk/core:failSynthOnValidationErrors': false },
  });
  build(app);
  const registered = plugins(app);
  Validations.of(app).addPlugins(...registered);
  const assembly = app.synth();

  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
  const findings: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  const pluginFailures: string[] = [];
  for (const plugin of report.pluginReports ?? []) {
    if (plugin.metadata?.error) pluginFailures.push(plugin.metadata.error);
    for (const v of plugin.violations ?? []) findings.push(...toFindings(plugin.pluginName, v));
    for (const v of plugin.suppressedViolations ?? []) {
      for (const f of toFindings(plugin.pluginName, v)) {
        suppressed.push({ ...f, acknowledgedAt: v.acknowledgedAt, reason: v.reason });
      }
    }
  }

  return {
    findings: sortFindings(findings),
    suppressed,
    pluginFailures,
    acknowledgements: acknowledgementsOf(app),
    nagFindingsIgnoringAcknowledgements: nagFindingsIgnoringAcknowledgements(
      app,
      registered.filter((p): p is NagPack => p instanceof NagPack),
    ),
    templatePaths: assembly.stacks.map((s) => s.templateFullPath),
    dispose: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/** Runs `check` on `run`, then removes the run's output directory, whether `check` passed or threw. */
export function withRun(run: ComplianceRun, check: (run: ComplianceRun) => void): void {
  try {
    check(run);
  } finally {
    run.dispose();
  }
}

function toFindings(pluginName: string, violation: any): Finding[] {
  const guard = pluginName === GUARD_PLUGIN_NAME;
  const control = guard ? controlIdOf(violation.description) : undefined;
  return (violation.violatingConstructs ?? []).map((c: any) => ({
    pack: guard ? CONTROL_TOWER : pluginName,
    rule: guard ? `${control ?? '?'} ${violation.ruleName}` : violation.ruleName,
    path: c.constructPath || c.cloudFormationResource?.logicalId || '?',
    severity: violation.severity,
  }));
}

/** One line per finding, the form the tests compare: pack, rule, construct path. */
export function describeFinding(f: Finding): string {
  return `${f.pack} ${f.rule} at ${f.path}${f.severity === 'warning' ? ' (warning)' : ''}`;
}

function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort((a, b) => describeFinding(a).localeCompare(describeFinding(b)));
}

function acknowledgementsOf(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && m.data)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          id,
          reason,
          path: c.node.path,
        })),
      ),
  );
}

/**
 * cdk-nag's packs walk the finished construct tree: run them again with acknowledgements ignored,
 * without another synth, to see which finding each acknowledgement answers.
 */
function nagFindingsIgnoringAcknowledgements(app: App, packs: NagPack[]): Finding[] {
  const proto = NagPack.prototype as unknown as { isAcknowledged: (...args: unknown[]) => boolean };
  const original = proto.isAcknowledged;
  proto.isAcknowledged = () => false;
  try {
    return packs.flatMap((pack) =>
      pack.validateScope(app).violations.flatMap((v) =>
        v.violatingResources.map((r) => ({
          pack: pack.readPackName,
          rule: v.ruleName,
          path: r.constructPath ?? '?',
          severity: v.severity ?? 'error',
        })),
      ),
    );
  } finally {
    proto.isAcknowledged = original;
  }
}
