import { generatedStrategy } from './generated';
import { mysqlAlternatingStrategy, mysqlSingleStrategy } from './mysql';
import { postgresAlternatingStrategy, postgresSingleStrategy } from './postgres';
import type { StrategyDefinition } from './strategy';

/**
 * Every kind a profile may name. Adding a target kind (a database, single or alternating users) is a
 * new file beside this one and one line here; the protocol in steps.ts does not change.
 */
export const STRATEGIES: Readonly<Record<string, StrategyDefinition>> = {
  [generatedStrategy.kind]: generatedStrategy,
  [postgresSingleStrategy.kind]: postgresSingleStrategy,
  [postgresAlternatingStrategy.kind]: postgresAlternatingStrategy,
  [mysqlSingleStrategy.kind]: mysqlSingleStrategy,
  [mysqlAlternatingStrategy.kind]: mysqlAlternatingStrategy,
};

export type { ProfileBase, RotationStrategy, StrategyContext, StrategyDefinition } from './strategy';
