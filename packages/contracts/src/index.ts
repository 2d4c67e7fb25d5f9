export * from './errors.ts';
export * from './api/common.ts';
export * from './api/auth.ts';
export * from './api/health.ts';
export * from './api/rewards.ts';
export * from './events/index.ts';
