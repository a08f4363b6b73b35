"""A local model's side of the evaluation: eval loss exactly as training computes it, and greedy
generations with their latency. Imports torch and transformers only when called.

The loss goes through TRL's SFTTrainer.evaluate() with the training settings (assistant-only loss
from the chat template's generation markers, truncation to max_seq_length), so a candidate's
number here is comparable with the eval_loss of its training run.
"""

from __future__ import annotations

import os
import tempfile
import time
from types import SimpleNamespace
from typing import Any, Callable

from ..errors import WorkerError
from ..modeling import load_tokenizer
from ..runtime import Runtime, torch_dtype
from .config import EvalConfig, ModelSpec


def load(spec: ModelSpec, rt: Runtime) -> tuple[Any, Any]:
    """(model, tokenizer): the base model in the compute dtype, with the adapter applied when given."""
    from transformers import AutoModelForCausalLM

    tokenizer = load_tokenizer(SimpleNamespace(base_model=spec.base_model, chat_template_path=spec.chat_template_path))
    try:
        model = AutoModelForCausalLM.from_pretrained(spec.base_model, dtype=torch_dtype(rt.precision), use_safetensors=True)
    except (OSError, ValueError) as err:
        raise WorkerError(f"cannot load base_model {spec.base_model!r} of {spec.name!r}: {err}", "model") from None
    if spec.adapter_path:
        from peft import PeftModel

        try:
            model = PeftModel.from_pretrained(model, spec.adapter_path, is_trainable=False)
        except (OSError, ValueError, RuntimeError) as err:
            raise WorkerError(f"cannot apply the adapter {spec.adapter_path!r} of {spec.name!r}: {err}", "model") from None
    device = "cuda" if rt.cuda else rt.device
    model.to(device)
    model.eval()
    return model, tokenizer


def eval_loss(model: Any, tokenizer: Any, rows: list[dict[str, Any]], cfg: EvalConfig, rt: Runtime) -> float | None:
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    dataset = Dataset.from_list([{"messages": r["messages"]} for r in rows])
    with tempfile.TemporaryDirectory(prefix="tuneloop-eval-") as scratch:
        args = SFTConfig(
            output_dir=scratch, per_device_eval_batch_size=cfg.batch_size, max_length=cfg.max_seq_length,
            assistant_only_loss=True, report_to="none", disable_tqdm=True, use_cpu=rt.device == "cpu",
            bf16=rt.precision == "bf16", fp16=rt.precision == "fp16", seed=cfg.seed, dataset_num_proc=None)
        # SFTTrainer insists on a train_dataset; evaluate() never reads it, so one row is enough.
        trainer = SFTTrainer(model=model, args=args, train_dataset=dataset.select([0]), eval_dataset=dataset,
                             processing_class=tokenizer)
        result = trainer.evaluate()
    loss = result.get("eval_loss")
    return float(loss) if loss is not None else None


def generate(model: Any, tokenizer: Any, rows: list[dict[str, Any]], cfg: EvalConfig,
             on_example: Callable[[int], None]) -> list[dict[str, Any]]:
    """One greedy answer per example, one at a time (batch 1), so each latency is one request's."""
    import torch

    device = next(model.parameters()).device
    out = []
    warmed = False
    for index, row in enumerate(rows):
        inputs = tokenizer.apply_chat_template(row["prompt"], add_generation_prompt=True, return_tensors="pt",
                                               return_dict=True)
        prompt_ids = inputs["input_ids"][:, -cfg.max_seq_length:].to(device)
        attention = inputs["attention_mask"][:, -cfg.max_seq_length:].to(device)
        options = {"input_ids": prompt_ids, "attention_mask": attention, "do_sample": False,
                   "pad_token_id": tokenizer.pad_token_id}
        if not warmed:
            # The first call pays one-off costs (kernels, caches) that no later request sees: not timed.
            with torch.inference_mode():
                model.generate(**options, max_new_tokens=1)
            warmed = True
        started = time.perf_counter()
        with torch.inference_mode():
            output = model.generate(**options, max_new_tokens=cfg.max_new_tokens)
        new_tokens = output[0, prompt_ids.shape[1]:].tolist()  # .tolist() waits for the device
        latency_ms = (time.perf_counter() - started) * 1000
        text = tokenizer.decode(new_tokens, skip_special_tokens=True).strip()
        out.append({"prediction": text, "latency_ms": latency_ms, "completion_tokens": len(new_tokens)})
        on_example(index + 1)
    return out


def release(model: Any) -> None:
    """Frees the model before the next one loads (one GPU holds one model at a time)."""
    import gc

    import torch

    del model
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def quiet_environment() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
