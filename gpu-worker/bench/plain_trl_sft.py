"""Baseline for bench_train.py: the plainest TRL SFT + LoRA script on the same config and data.

    python bench/plain_trl_sft.py --config run.json --out DIR

Reads the same run config as the worker (only the fields it needs), trains with SFTTrainer and
prints one JSON line: {"tokens_seen", "train_seconds", "train_cpu_seconds", "tokens_per_second"}. No events, no
callbacks, no early stopping, no best-checkpoint reload: what a person would write by hand
following https://huggingface.co/docs/trl/sft_trainer.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    real_stdout, sys.stdout = sys.stdout, sys.stderr  # keep library prints off our one result line

    import torch
    from datasets import load_dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    with open(args.config, encoding="utf-8") as fh:
        cfg = json.load(fh)
    cuda = torch.cuda.is_available()
    bf16 = cuda and torch.cuda.is_bf16_supported()
    dtype = torch.bfloat16 if bf16 else torch.float32
    files = {"train": cfg["train_file"], "validation": cfg["validation_file"]}
    ds = load_dataset("json", data_files=files)
    lora = cfg.get("lora", {})
    steps = cfg["max_steps"]
    trainer = SFTTrainer(
        model=AutoModelForCausalLM.from_pretrained(cfg["base_model"], dtype=dtype),
        processing_class=AutoTokenizer.from_pretrained(cfg["base_model"]),
        train_dataset=ds["train"], eval_dataset=ds["validation"],
        peft_config=LoraConfig(r=lora.get("r", 16), lora_alpha=lora.get("alpha", 32),
                               lora_dropout=lora.get("dropout", 0.05), target_modules="all-linear",
                               task_type="CAUSAL_LM"),
        args=SFTConfig(
            output_dir=os.path.join(args.out, "checkpoints"), max_steps=steps,
            per_device_train_batch_size=cfg["per_device_batch_size"],
            per_device_eval_batch_size=cfg["per_device_batch_size"],
            gradient_accumulation_steps=cfg["gradient_accumulation"], learning_rate=cfg["learning_rate"],
            warmup_steps=cfg["warmup_steps"], max_length=cfg["max_seq_length"], assistant_only_loss=True,
            gradient_checkpointing=cfg["gradient_checkpointing"], logging_steps=cfg["log_every_steps"],
            eval_strategy="steps", eval_steps=steps, save_strategy="steps", save_steps=steps,
            bf16=bf16, report_to="none", disable_tqdm=True, seed=cfg.get("seed", 42),
            use_cpu=not cuda),
    )
    import resource

    def cpu() -> float:
        return sum(getattr(resource.getrusage(w), f) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                   for f in ("ru_utime", "ru_stime"))

    cpu0 = cpu()
    output = trainer.train()
    train_cpu = cpu() - cpu0
    trainer.save_model(os.path.join(args.out, "adapter"))
    # TRL logs `num_tokens` (non-padding tokens seen so far) with every training log.
    tokens = max(int(e["num_tokens"]) for e in trainer.state.log_history if "num_tokens" in e)
    seconds = output.metrics["train_runtime"]
    real_stdout.write(json.dumps({"tokens_seen": tokens, "train_seconds": seconds, "train_cpu_seconds": train_cpu,
                                  "tokens_per_second": tokens / seconds}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
