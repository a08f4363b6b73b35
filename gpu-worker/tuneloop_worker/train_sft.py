"""Supervised fine-tuning (methods lora, qlora, full) with TRL's SFTTrainer.

Loss is computed on assistant tokens only (`assistant_only_loss`), which TRL implements with the
chat template's `{% generation %}` markers; for templates without them TRL swaps in a training
variant it knows (Qwen, Llama, ...) or fails, and we pass that failure on with a hint.
https://huggingface.co/docs/trl/sft_trainer (assistant_only_loss, packing)
"""

from __future__ import annotations

from typing import Any

from .callbacks import EventsCallback
from .config import RunConfig
from .data import load_datasets
from .errors import WorkerError
from .events import Emitter
from .modeling import lora_config, load_model, load_tokenizer
from .runtime import Runtime
from .trainer_args import common_args
from .trainer_build import make_callbacks, started_fields


def build_trainer(cfg: RunConfig, out: str, rt: Runtime, emitter: Emitter) -> tuple[Any, EventsCallback]:
    from trl import SFTConfig, SFTTrainer

    train, valid = load_datasets(cfg.train_file, cfg.validation_file, dpo=False)
    tokenizer = load_tokenizer(cfg)
    model = load_model(cfg, rt)
    args = SFTConfig(
        **common_args(cfg, out, rt),
        max_length=cfg.max_seq_length,
        packing=cfg.packing,
        assistant_only_loss=cfg.assistant_only_loss,
        chat_template_path=cfg.chat_template_path if cfg.chat_template_path
        and not cfg.chat_template_path.endswith((".jinja", ".j2")) else None,
    )
    events, callbacks = make_callbacks(cfg, emitter)
    try:
        trainer = SFTTrainer(model=model, args=args, train_dataset=train, eval_dataset=valid,
                             processing_class=tokenizer, peft_config=lora_config(cfg), callbacks=callbacks)
    except (ValueError, RuntimeError) as err:
        text = str(err)
        if "generation" in text or "chat template" in text or "assistant" in text:
            raise WorkerError(
                f"the chat template of {cfg.base_model!r} cannot mark assistant tokens for the loss: {text} "
                "Set 'chat_template_path' to a template with {% generation %} markers, or set "
                "'assistant_only_loss' to false to train on whole conversations.", "model") from None
        raise
    events.started_fields = lambda: started_fields(cfg, rt, trainer.model, len(train), len(valid))
    return trainer, events
