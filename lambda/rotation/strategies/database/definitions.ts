import { databaseKind, type TargetSpec } from '../../../../lib/contract/rotation-contract';
import type { StrategyDefinition } from '../strategy';
import { AlternatingUsersStrategy } from './alternating-users';
import type { EngineSpec } from './engine';
import { parseDatabaseProfile, type DatabaseProfile, type UserScheme } from './profile';
import { SingleUserStrategy } from './single-user';

/** Why `target` cannot serve a `<engine>-<scheme>` profile, or undefined. */
export function targetProblem(
  spec: EngineSpec,
  scheme: UserScheme,
  target: TargetSpec | undefined,
): string | undefined {
  const kind = databaseKind(spec.name, scheme);
  if (target === undefined) return `profile kind "${kind}" needs a pinned database target`;
  if (target.engine !== spec.name) {
    return `profile kind "${kind}" cannot rotate a ${target.engine} target`;
  }
  if (scheme === 'alternating' && target.admin === undefined) {
    return `profile kind "${kind}" needs a target that names its admin secret`;
  }
  if (scheme === 'single' && target.admin !== undefined) {
    return `profile kind "${kind}" uses no admin secret, but its target names one`;
  }
  return undefined;
}

/** The StrategyDefinition of `<engine>-<scheme>`. */
export function databaseStrategy(spec: EngineSpec, scheme: UserScheme): StrategyDefinition<DatabaseProfile> {
  return {
    kind: databaseKind(spec.name, scheme),
    parseProfile: (id, raw, where) => parseDatabaseProfile(spec, scheme, id, raw, where),
    checkTarget: (_profile, target) => targetProblem(spec, scheme, target),
    create: (profile, target) => {
      const problem = targetProblem(spec, scheme, target);
      // checkTarget ran when the environment was read; this guards direct callers.
      if (problem !== undefined || target === undefined) throw new Error(problem);
      return scheme === 'single'
        ? new SingleUserStrategy(spec, profile, target)
        : new AlternatingUsersStrategy(spec, profile, target);
    },
  };
}
