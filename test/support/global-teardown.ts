/** Jest's global teardown: stops the servers global-setup.ts started for the run. */
import { stopRunServers } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  await stopRunServers();
}
