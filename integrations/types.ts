/**
 * The contract between tuneloop and every vendor, one file per part in contract/. Nothing outside
 * `integrations/<vendor>/` imports a vendor SDK; `src/` only sees these types and the registry.
 */
export * from './contract/actions.ts';
export * from './contract/connector.ts';
export * from './contract/conversation.ts';
export * from './contract/errors.ts';
export * from './contract/fine-tuning.ts';
export * from './contract/sandbox.ts';
export * from './contract/vendor.ts';
export * from './contract/webhooks.ts';
export * from './contract/write-back.ts';
export * from './contract/slack-app.ts';
