/** OpenAI as a fine-tuning provider: managed fine-tuning jobs, and the loopback sandbox of that API. */
import type { FineTuningProvider } from '../types.ts';
import { openaiFineTuning } from './fine-tuning.ts';

export { JOB_TAG, openaiFineTuning } from './fine-tuning.ts';
export { OpenAIRequestError } from './errors.ts';

export const openai: FineTuningProvider = {
  name: 'openai',
  fineTuning: openaiFineTuning,
  sandbox: () => import('./sandbox/launch.ts').then((module) => module.openaiSandbox),
};
