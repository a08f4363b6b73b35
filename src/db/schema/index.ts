export * from './audit.ts';
export * from './tokens.ts';
