import { describe, expect, it } from 'vitest';
import { parseWorkerLine, describeEvent } from '../../src/training/worker/events.ts';
import { workerArgv, workerEnv } from '../../src/training/worker/process.ts';
import { resolveMethod, workerSettings } from '../../src/training/hyperparameters.ts';

/** The edges between the hub and the Python worker: its stdout lines, its argv, its environment. */
describe('gpu-worker contract', () => {
  it('parses every event type of the contract and keeps extra fields; other lines are reported, not thrown', () => {
    const done = {
      type: 'done',
      time: '2026-11-25T15:08:04.167Z',
      best_checkpoint: '/runs/1/checkpoints/checkpoint-8',
      best_step: 8,
      best_fraction_of_training: 1,
      total_steps: 8,
      steps_trained: 8,
      resumed_from_step: 4,
      stopped_early: false,
      metrics: { final_train_loss: 1.2, mean_train_loss: 1.5, best_eval_loss: null, last_eval_loss: 1.3 },
      adapter_path: '/runs/1/adapter',
      model_path: null,
      cost: { wall_seconds: 9.5, train_seconds: 5, cpu_seconds: 7, train_cpu_seconds: 4, gpu_seconds: null, gpu_count: 0, tokens_seen: 2048, peak_memory_bytes: 1, peak_memory_device: 'cpu_rss' },
      best_trial: 2,
    };
    const parsed = parseWorkerLine(JSON.stringify(done));
    expect(parsed).toMatchObject({ ok: true, event: { type: 'done', best_trial: 2, resumed_from_step: 4 } });
    if (parsed.ok) expect(describeEvent(parsed.event).message).toBe('Training finished after 8 of 8 steps: best validation loss n/a at step 8');
    const progress = parseWorkerLine('{"type":"progress","time":"t","step":3,"total_steps":8,"epoch":null,"loss":NaN}');
    expect(progress.ok).toBe(false);
    expect(parseWorkerLine('Loading checkpoint shards: 100%')).toEqual({ ok: false, reason: 'not JSON' });
    expect(parseWorkerLine('{"type":"telemetry"}')).toMatchObject({ ok: false });
    expect(parseWorkerLine('{"type":"checkpoint","step":"4","path":"/x","is_best":true}')).toMatchObject({ ok: false, reason: expect.stringMatching(/^step/) });
    const error = parseWorkerLine('{"type":"error","time":"t","message":"qlora needs CUDA","kind":"environment","trial":2}');
    expect(error.ok && describeEvent(error.event)).toEqual({ level: 'error', message: 'trial 2: qlora needs CUDA' });
  });

  it('gives the worker no hub secret, and runs it under accelerate only when asked', () => {
    const env = workerEnv({ PATH: '/usr/bin', HF_TOKEN: 'hf_keep', DATABASE_URL: 'postgres://u:pw@h/db', TUNELOOP_ENCRYPTION_KEY: 'k', TUNELOOP_ENCRYPTION_KEYS_PREVIOUS: 'k2', OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: 'http://x' });
    expect(env).toMatchObject({ PATH: '/usr/bin', HF_TOKEN: 'hf_keep', PYTHONUNBUFFERED: '1' });
    for (const secret of ['DATABASE_URL', 'TUNELOOP_ENCRYPTION_KEY', 'TUNELOOP_ENCRYPTION_KEYS_PREVIOUS', 'OPENAI_API_KEY', 'OPENAI_BASE_URL']) expect(env).not.toHaveProperty(secret);
    expect(workerArgv(['train', '--config', 'c', '--out', 'o'], undefined)).toEqual(['-m', 'tuneloop_worker', 'train', '--config', 'c', '--out', 'o']);
    expect(workerArgv(['train'], ' --multi_gpu  --num_processes 4 ')).toEqual(['-m', 'accelerate.commands.launch', '--multi_gpu', '--num_processes', '4', '-m', 'tuneloop_worker', 'train']);
  });

  it("maps OpenAI's hyperparameters onto the worker's run config", () => {
    const { method, hyperparameters } = resolveMethod('local', { type: 'supervised', supervised: { hyperparameters: { n_epochs: 2, batch_size: 12, learning_rate_multiplier: 2 } } }, undefined);
    expect(workerSettings(method, hyperparameters)).toEqual({ method: 'lora', epochs: 2, per_device_batch_size: 6, gradient_accumulation: 2, learning_rate: 2e-4 });
    const dpo = resolveMethod('local', { type: 'dpo', hyperparameters: { beta: 0.2, lora: { r: 8 } } }, undefined);
    expect(workerSettings(dpo.method, dpo.hyperparameters)).toEqual({ method: 'dpo', learning_rate: 5e-6, dpo_beta: 0.2, lora: { r: 8 } });
    expect(() => resolveMethod('openai', { type: 'qlora' }, undefined)).toThrow(/only on the local backend/);
  });
});
