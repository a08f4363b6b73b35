"""Loading the tokenizer and base model, and the LoRA config, the way every method needs them."""

from __future__ import annotations

import os
from typing import Any

from .config import RunConfig
from .errors import WorkerError
from .runtime import Runtime, torch_dtype


def load_tokenizer(cfg: RunConfig) -> Any:
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(cfg.base_model)
    except (OSError, ValueError) as err:
        raise WorkerError(f"cannot load the tokenizer of base_model {cfg.base_model!r}: {err}", "model") from None
    if cfg.chat_template_path and cfg.chat_template_path.endswith((".jinja", ".j2")):
        with open(cfg.chat_template_path, encoding="utf-8") as fh:
            tokenizer.chat_template = fh.read()
    elif not tokenizer.chat_template and not cfg.chat_template_path:
        raise WorkerError(
            f"the tokenizer of {cfg.base_model!r} has no chat template, so chat examples cannot be rendered. Use an "
            "instruct/chat model, or set 'chat_template_path' to a .jinja file.", "model")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(cfg: RunConfig, rt: Runtime) -> Any:
    """The base model; for qlora quantized to 4 bits; with `adapter_init` wrapped as a trainable PeftModel."""
    from transformers import AutoModelForCausalLM

    # Safetensors only: a pickled checkpoint (pytorch_model.bin) can run code when it is loaded.
    kwargs: dict[str, Any] = {"use_safetensors": True}
    if cfg.method == "full":
        # Full fine-tuning keeps fp32 master weights; bf16/fp16 then run as mixed precision (autocast).
        kwargs["dtype"] = torch_dtype("fp32")
    else:
        # The base stays frozen under LoRA, so it can live in the compute dtype (half the memory);
        # PEFT keeps the adapter weights in fp32 (autocast_adapter_dtype).
        kwargs["dtype"] = torch_dtype(rt.precision)
    if cfg.method == "qlora":
        from transformers import BitsAndBytesConfig

        # https://huggingface.co/docs/transformers/main/en/quantization/bitsandbytes (NF4 + double quant, QLoRA paper)
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch_dtype(rt.precision))
        # A quantized model cannot be moved after loading; each process gets its own GPU.
        kwargs["device_map"] = {"": rt.local_rank}
    try:
        model = AutoModelForCausalLM.from_pretrained(cfg.base_model, **kwargs)
    except (OSError, ValueError) as err:
        raise WorkerError(f"cannot load base_model {cfg.base_model!r}: {err}", "model") from None
    if cfg.adapter_init:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, cfg.adapter_init, is_trainable=True)
    return model


def lora_config(cfg: RunConfig) -> Any:
    """None when the model already carries an adapter (adapter_init) or for full fine-tuning."""
    if cfg.method == "full" or cfg.adapter_init:
        return None
    from peft import LoraConfig

    return LoraConfig(r=cfg.lora.r, lora_alpha=cfg.lora.alpha, lora_dropout=cfg.lora.dropout,
                      target_modules=cfg.lora.target_modules, bias="none", task_type="CAUSAL_LM")


def parameter_counts(model: Any) -> dict[str, int]:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return {"trainable_params": trainable, "total_params": total}


def final_dir(out: str, cfg: RunConfig) -> str:
    return os.path.join(out, "model" if cfg.method == "full" else "adapter")
