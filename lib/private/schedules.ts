import { IConstruct } from 'constructs';

/**
 * The rotation schedules the library's own members made (RotationFunction.addSecret and
 * VaultSecret.addRotationSchedule): each comes with Secrets Manager's invoke permission limited to
 * its secret (aws:SourceAccount and aws:SourceArn) and with the function's role exempt from the
 * secret's guards. Any other schedule naming a vault secret was made around them
 * (`new secretsmanager.RotationSchedule`, an L1 schedule) and fails synth.
 */
const madeByTheLibrary = new WeakSet<IConstruct>();

/** Records `schedule` (the CfnRotationSchedule) as made by one of the library's members. */
export function ownSchedule<T extends IConstruct>(schedule: T): T {
  madeByTheLibrary.add(schedule);
  return schedule;
}

/** Whether `schedule` was made by one of the library's members. */
export function isOwnSchedule(schedule: IConstruct): boolean {
  return madeByTheLibrary.has(schedule);
}
