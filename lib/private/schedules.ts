import { IConstruct } from 'constructs';

/**
 * Marks the rotation schedules the library's own members made (RotationFunction.addSecret and
 * VaultSecret.addRotationSchedule): each comes with Secrets Manager's invoke permission limited to
 * its secret (aws:SourceAccount and aws:SourceArn) and with the function's role exempt from the
 * secret's guards. Any other schedule naming a vault secret was made around them
 * (`new secretsmanager.RotationSchedule`, an L1 schedule) and fails synth. A `Symbol.for` property
 * on the construct rather than a module-level set, as aws-cdk-lib marks its own types: an app that
 * loads two copies of this library (a function from one, a secret from the other) still agrees.
 */
const OWN_SCHEDULE = Symbol.for('cdk-secrets-vault.own-rotation-schedule');

/** Marks `schedule` (the CfnRotationSchedule) as made by one of the library's members. */
export function ownSchedule<T extends IConstruct>(schedule: T): T {
  Object.defineProperty(schedule, OWN_SCHEDULE, { value: true });
  return schedule;
}

/** Whether `schedule` was made by one of the library's members. */
export function isOwnSchedule(schedule: IConstruct): boolean {
  return (schedule as unknown as Record<symbol, unknown>)[OWN_SCHEDULE] === true;
}
