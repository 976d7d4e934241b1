import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type {
  IPolicyValidationContext,
  IPolicyValidationPlugin,
  PolicyValidationPluginReport,
  PolicyViolation,
} from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';

/** The name the plugin reports under; cfn-guard acknowledgements are `<this>::<guard rule name>`. */
export const GUARD_PLUGIN_NAME = 'cdk-validator-cfnguard';

const PACKAGE = dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json'));

/** The Control Tower rule files the package ships, one control per file (`ct-s3-pr-1.guard`). */
export const CONTROL_TOWER_RULES = join(PACKAGE, 'rules', 'control-tower', 'cfn-guard');

/** The cfn-guard binary the package ships for this machine. */
export const CFN_GUARD = join(
  PACKAGE,
  'bin',
  process.platform === 'darwin' ? 'macos' : 'ubuntu',
  process.arch === 'arm64' ? 'aarch64' : 'x86_64',
  'cfn-guard',
);

/**
 * Rules some of whose failures the package's result parser cannot read: on a key policy that nearly
 * meets CT.KMS.PR.3 (a CreateGrant deny with one of its two conditions, as VaultKey's had), 0.0.62
 * throws "Cannot read properties of undefined (reading 'to')" and the plugin reports nothing at all,
 * hiding every other finding. The harness disables these in the package's plugin and runs them with
 * `GuardRuleRunner`; test/compliance/suppression.test.ts proves the crash, and fails when a fixed
 * package no longer crashes.
 */
export const UNPARSABLE_RULES = ['ct-kms-pr-3'];

/** The path of one Control Tower rule file by its base name (`ct-kms-pr-3`). */
export function controlTowerRule(name: string): string {
  const found = readdirSync(CONTROL_TOWER_RULES, { recursive: true, encoding: 'utf8' }).find((file) =>
    file.endsWith(`/${name}.guard`),
  );
  if (!found) throw new Error(`No Control Tower rule ${name} under ${CONTROL_TOWER_RULES}`);
  return join(CONTROL_TOWER_RULES, found);
}

/** The Control Tower control id (`CT.LAMBDA.PR.2`) a rule's message starts with, if any. */
export function controlIdOf(text: string | undefined): string | undefined {
  return /\[(CT\.[A-Z0-9-]+\.PR\.\d+)\]/.exec(text ?? '')?.[1];
}

/**
 * The package's own plugin, as an auditor registers it, minus the rules it cannot parse; pair it
 * with `new GuardRuleRunner(UNPARSABLE_RULES)`.
 */
export function controlTowerValidator(): CfnGuardValidator {
  return new CfnGuardValidator({ disabledRules: UNPARSABLE_RULES, maxBuffer: 256 * 1024 * 1024 });
}

/** `runValidation`'s plugins for CT.LAMBDA.PR.2 alone: the package's plugin with only that rule. */
export function lambdaPr2Only(): CfnGuardValidator[] {
  return [
    new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: [controlTowerRule('ct-lambda-pr-2')] }),
  ];
}

interface GuardFileResult {
  readonly not_compliant?: Array<{ Rule?: { name?: string } }>;
}

/**
 * Runs the package's cfn-guard binary on the given Control Tower rules and reports every resource
 * under a failed rule, reading the raw output itself (every `/Resources/<id>/...` path a failed rule
 * names). It reports under the package plugin's name, so acknowledgements read the same.
 */
export class GuardRuleRunner implements IPolicyValidationPlugin {
  public readonly name = GUARD_PLUGIN_NAME;
  private readonly ruleFiles: string[];

  constructor(ruleNames: string[]) {
    this.ruleFiles = ruleNames.map(controlTowerRule);
  }

  public validate(context: Pick<IPolicyValidationContext, 'templatePaths'>): PolicyValidationPluginReport {
    const violations: PolicyViolation[] = [];
    for (const templatePath of context.templatePaths) {
      for (const result of runGuard(this.ruleFiles, templatePath)) {
        for (const failed of result.not_compliant ?? []) {
          const rule = failed.Rule ?? {};
          const resources = new Set<string>();
          const messages: string[] = [];
          collect(rule, resources, messages);
          violations.push({
            ruleName: rule.name ?? 'unnamed rule',
            description: messages.find((m) => controlIdOf(m)) ?? messages[0] ?? '',
            violatingResources: [...resources].map((resourceLogicalId) => ({
              resourceLogicalId,
              templatePath,
              locations: [],
            })),
          });
        }
      }
    }
    return { success: violations.length === 0, violations };
  }
}

function runGuard(ruleFiles: string[], templatePath: string): GuardFileResult[] {
  const args = ['validate', ...ruleFiles.flatMap((r) => ['--rules', r]), '--data', templatePath];
  const run = spawnSync(
    CFN_GUARD,
    [...args, '--output-format', 'json', '--show-summary', 'none', '--structured'],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  // cfn-guard exits 0 when compliant, 19 when not (5 on a parse problem of a rule).
  if (run.error || (run.status !== 0 && run.status !== 19)) {
    throw new Error(`cfn-guard ${args.join(' ')} exited ${run.status}: ${run.error ?? run.stderr}`);
  }
  return run.stdout.trim() ? JSON.parse(run.stdout) : [];
}

/** Every resource a failed rule's checks point at, and every message on the way. */
function collect(node: unknown, resources: Set<string>, messages: string[]): void {
  if (Array.isArray(node)) {
    for (const item of node) collect(item, resources, messages);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'path' && typeof value === 'string') {
      const id = /^\/Resources\/([^/]+)/.exec(value)?.[1];
      if (id) resources.add(id);
    } else if (key === 'custom_message' && typeof value === 'string' && value.trim()) {
      messages.push(value.trim());
    } else {
      collect(value, resources, messages);
    }
  }
}
