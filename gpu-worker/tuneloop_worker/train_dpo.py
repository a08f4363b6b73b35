"""Preference tuning (method dpo) with TRL's DPOTrainer, always through a LoRA adapter.

With `adapter_init` (e.g. the production adapter) the policy starts from that adapter and TRL
keeps a frozen copy of it as the reference ("ref" adapter); without it, a fresh LoRA adapter is
trained and the base model with adapters disabled is the reference.
https://huggingface.co/docs/trl/dpo_trainer
"""

from __future__ import annotations

from typing import Any

from .callbacks import EventsCallback
from .config import RunConfig
from .data import load_datasets
from .events import Emitter
from .modeling import load_model, load_tokenizer, lora_config
from .runtime import Runtime
from .trainer_args import common_args
from .trainer_build import make_callbacks, started_fields


def build_trainer(cfg: RunConfig, out: str, rt: Runtime, emitter: Emitter) -> tuple[Any, EventsCallback]:
    from trl import DPOConfig, DPOTrainer

    train, valid = load_datasets(cfg.train_file, cfg.validation_file, dpo=True)
    tokenizer = load_tokenizer(cfg)
    model = load_model(cfg, rt)
    args = DPOConfig(**common_args(cfg, out, rt), max_length=cfg.max_seq_length, beta=cfg.dpo_beta)
    events, callbacks = make_callbacks(cfg, emitter)
    trainer = DPOTrainer(model=model, args=args, train_dataset=train, eval_dataset=valid,
                         processing_class=tokenizer, peft_config=lora_config(cfg), callbacks=callbacks)
    events.started_fields = lambda: started_fields(cfg, rt, trainer.model, len(train), len(valid))
    return trainer, events
