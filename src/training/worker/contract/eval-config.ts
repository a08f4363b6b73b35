/**
 * The evaluation config (eval.json) the hub writes for `python -m tuneloop_worker evaluate`,
 * declared once; written as JSON Schema by `npm run schemas` like the run config (run-config.ts).
 */
import { z } from 'zod';
import { PRECISIONS } from './run-config.ts';

const positive = z.number().int().min(1);
const name = z.string().min(1).max(200);

const ModelSpec = z
  .object({
    name: name.describe('how the report names it ("candidate", "baseline", a model id)'),
    base_model: z.string().min(1).describe('Hugging Face id or local directory (a full fine-tune\'s model/ folder)'),
    adapter_path: z.string().min(1).nullable().default(null).describe('PEFT adapter directory applied on top of base_model'),
    chat_template_path: z.string().min(1).nullable().default(null).describe('.jinja file, for a base model without a usable template'),
  })
  .strict();

const PredictionSpec = z
  .object({
    name,
    file: z.string().min(1).describe('JSONL of {"prediction": str|null, "latency_ms"?, "completion_tokens"?}, aligned with test_file'),
  })
  .strict();

export const EvalConfig = z
  .object({
    task: z.enum(['reply', 'triage', 'compliance']),
    test_file: z.string().min(1).describe("the dataset version's test split (OpenAI chat format)"),
    models: z.array(ModelSpec).default([]).describe('models loaded by the worker: eval loss, greedy generations, latency'),
    predictions: z.array(PredictionSpec).default([]).describe('answers produced elsewhere (an OpenAI model), scored without eval loss'),
    max_examples: positive.nullable().default(200).describe('the first N lines of test_file; null: all of them'),
    max_new_tokens: positive.default(256).describe('greedy generation budget per example'),
    max_seq_length: positive.default(1024).describe('like training: longer examples are truncated for the loss'),
    batch_size: positive.default(4).describe('eval-loss batch size'),
    precision: z.enum(PRECISIONS).default('auto').describe('auto: bf16 (or fp16) on CUDA, fp32 on CPU'),
    device: z.enum(['auto', 'cpu']).default('auto').describe('auto: CUDA/MPS when present; cpu forces the CPU'),
    seed: z.number().int().default(42),
  })
  .strict();
export type EvalConfig = z.input<typeof EvalConfig>;
