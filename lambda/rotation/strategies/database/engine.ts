import type { EngineFacts } from '../../../../lib/contract/rotation-contract';
import type { DatabaseDriver } from './driver';

/** A database engine: the contract's facts about it, and its driver. */
export interface EngineSpec extends EngineFacts {
  /** Loads the driver on first use, so that other strategies never pay for it at cold start. */
  loadDriver(): Promise<DatabaseDriver>;
}
