export * from './audit.ts';
export * from './connections.ts';
export * from './conversations.ts';
export * from './datasets.ts';
export * from './harvests.ts';
export * from './tokens.ts';
export * from './training.ts';
export * from './webhooks.ts';
