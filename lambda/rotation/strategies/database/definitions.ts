import type { StrategyDefinition } from '../strategy';
import { AlternatingUsersStrategy } from './alternating-users';
import type { EngineSpec } from './engine';
import { parseDatabaseProfile, type DatabaseProfile, type UserScheme } from './profile';
import { SingleUserStrategy } from './single-user';

/** The StrategyDefinition of `<engine>-<scheme>`. */
export function databaseStrategy(spec: EngineSpec, scheme: UserScheme): StrategyDefinition<DatabaseProfile> {
  return {
    kind: `${spec.name}-${scheme}`,
    parseProfile: (id, raw, where) => parseDatabaseProfile(spec, scheme, id, raw, where),
    create: (profile) =>
      scheme === 'single'
        ? new SingleUserStrategy(spec, profile)
        : new AlternatingUsersStrategy(spec, profile),
  };
}
