export * from './audit-scope';
export * from './audit-trail';
export * from './audit-key';
export * from './audit-cloud-trail';
export * from './audit-topic';
export * from './audit-rules';
export * from './audit-queries';
export * from './audit-dashboard';
