export * from './vault-key';
export * from './secret-content';
export * from './vault-secret';
export * from './secret-reader-role';
export * from './secrets-vault';
export * from './rotation-schedule';
export * from './rotation-function';
