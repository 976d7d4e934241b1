/**
 * The rotation handler with the database kinds registered, for as long as strategies/index.ts does not
 * list them yet. Registering at module load is early enough: the handler reads ROTATION_PROFILES (and so
 * looks kinds up) on its first invocation.
 */
import { STRATEGIES } from '../../../lambda/rotation/strategies';
import { mysqlAlternatingStrategy, mysqlSingleStrategy } from '../../../lambda/rotation/strategies/mysql';
import {
  postgresAlternatingStrategy,
  postgresSingleStrategy,
} from '../../../lambda/rotation/strategies/postgres';

for (const definition of [
  postgresSingleStrategy,
  postgresAlternatingStrategy,
  mysqlSingleStrategy,
  mysqlAlternatingStrategy,
]) {
  (STRATEGIES as Record<string, unknown>)[definition.kind] ??= definition;
}

export { handler } from '../../../lambda/rotation/index';
