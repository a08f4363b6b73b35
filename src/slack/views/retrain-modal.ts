/**
 * The retrain modal (`/tuneloop retrain` without arguments): task, the dataset's connections to
 * harvest, base model and the main hyperparameters, each within the ranges the API validates
 * (src/training/worker/contract/run-config.ts). A pure function of what it offers.
 * https://docs.slack.dev/surfaces/modals
 */
export const RETRAIN_CALLBACK = 'retrain';

export interface RetrainModalInput {
  tasks: string[];
  defaultTask: string | null;
  baseModel: string | null;
  /** Where the run's live message goes (the channel the command came from). */
  channel: string;
}

const option = (value: string) => ({ text: { type: 'plain_text', text: value.slice(0, 75) }, value });

function input(blockId: string, label: string, element: Record<string, unknown>, hint?: string, optional = false) {
  return { type: 'input', block_id: blockId, optional, label: { type: 'plain_text', text: label }, element: { action_id: blockId, ...element }, ...(hint ? { hint: { type: 'plain_text', text: hint } } : {}) };
}

export function retrainModal(view: RetrainModalInput): Record<string, unknown> {
  const tasks = view.tasks.length ? view.tasks : ['reply'];
  const task = view.defaultTask && tasks.includes(view.defaultTask) ? view.defaultTask : tasks[0];
  return {
    type: 'modal',
    callback_id: RETRAIN_CALLBACK,
    private_metadata: JSON.stringify({ channel: view.channel }),
    title: { type: 'plain_text', text: 'Retrain a model' },
    submit: { type: 'plain_text', text: 'Retrain' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: 'Harvests the dataset\'s connections, builds a fresh dataset version, then fine-tunes. The run reports here as it moves.' } },
      input('task', 'Task', { type: 'static_select', options: tasks.map(option), ...(task ? { initial_option: option(task) } : {}) }),
      input('base_model', 'Base model', { type: 'plain_text_input', max_length: 500, ...(view.baseModel ? { initial_value: view.baseModel } : {}) }, 'A Hugging Face id or a path on the GPU worker'),
      input('epochs', 'Epochs', { type: 'number_input', is_decimal_allowed: true, min_value: '0.1', max_value: '50', initial_value: '3' }, '0.1 to 50', true),
      input('learning_rate', 'Learning rate', { type: 'plain_text_input', initial_value: '0.0001', max_length: 20 }, 'greater than 0, at most 1', true),
      input('lora_r', 'LoRA rank', { type: 'number_input', is_decimal_allowed: false, min_value: '1', max_value: '1024', initial_value: '16' }, '1 to 1024', true),
      input('dataset_version', 'Dataset version', { type: 'plain_text_input', max_length: 200 }, 'Optional: train on this version (name@3, name@latest) instead of harvesting and building', true),
    ],
  };
}
