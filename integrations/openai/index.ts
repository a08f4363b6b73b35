/** What src/ may use of the OpenAI folder: the managed fine-tuning backend and its error types. */
export { OpenAIRequestError } from './errors.ts';
export { JOB_TAG, openaiFineTuning, type CreateManagedJob, type ManagedCheckpoint, type ManagedEvent, type ManagedFineTuning, type ManagedJob } from './fine-tuning.ts';
export type { OpenAISettings } from './client.ts';
