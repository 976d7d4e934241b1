import { CLONE_SUFFIX, usernameLength } from '../../../../lib/contract/rotation-contract';
import { RotationError } from '../../errors';
import type { EngineSpec } from './engine';

export { CLONE_SUFFIX };

/**
 * The other user of an alternating pair: `app` <-> `app_clone` (AWS's naming, so a secret rotated by
 * AWS's template can move to this function and back). Fails when the clone's name would not fit the
 * engine's limit, before anything is generated or written.
 */
export function alternateUsername(username: string, spec: EngineSpec): string {
  if (username.endsWith(CLONE_SUFFIX) && username.length > CLONE_SUFFIX.length) {
    return username.slice(0, -CLONE_SUFFIX.length);
  }
  const clone = `${username}${CLONE_SUFFIX}`;
  const length = usernameLength(spec, clone);
  if (length > spec.maxUsernameLength) {
    throw new RotationError(
      `cannot alternate user "${username}": its clone "${clone}" would be ${length} ${spec.usernameUnit} long, over ${spec.name}'s limit of ${spec.maxUsernameLength}; use a username of at most ${spec.maxUsernameLength - CLONE_SUFFIX.length} for alternating users`,
    );
  }
  return clone;
}
