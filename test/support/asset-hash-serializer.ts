/**
 * Jest snapshot serializer: replaces asset hashes (64 hex characters, alone or inside S3 keys and
 * asset paths) so that a snapshot changes only when the template does, not when a bundle does.
 */
module.exports = {
  test: (value: unknown) => typeof value === 'string' && /[0-9a-f]{64}/.test(value),
  print: (value: unknown) => JSON.stringify((value as string).replace(/[0-9a-f]{64}/g, '<asset hash>')),
};
