"""A tiny randomly initialised chat model, built locally: for tests, benchmarks and the hub's e2e runs.

    python -m tuneloop_worker tiny-model --data train.jsonl --out /tmp/tiny [--hidden-size 32 --layers 2]

The tokenizer is a byte-level BPE (`tokenizers`) trained on the given chat examples, wrapped in
PreTrainedTokenizerFast with a ChatML template whose assistant turns sit inside
`{% generation %}` markers (what TRL's assistant_only_loss needs). The model is a Qwen2 of the
requested size (like TRL's scripts/generate_tiny_models). Nothing is downloaded.
"""

from __future__ import annotations

import json
from typing import Iterable

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

# ChatML; the assistant's content and its <|im_end|> are inside the generation block, so the model
# is trained to stop.
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\n' }}"
    "{%- if message['role'] == 'assistant' %}"
    "{% generation %}{{- message['content'] + '<|im_end|>' }}{% endgeneration %}{{- '\n' }}"
    "{%- else %}"
    "{{- message['content'] + '<|im_end|>' + '\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\n' }}{%- endif %}"
)


def texts_from_jsonl(path: str) -> list[str]:
    """Every message content of an SFT or DPO JSONL file."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            for key in ("messages", "prompt", "chosen", "rejected"):
                out += [m["content"] for m in row.get(key, [])]
    return out


def build_tokenizer(texts: Iterable[str], vocab_size: int = 2000):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    # Byte-level BPE, like Qwen's: any text round-trips, and transformers' Qwen2 tokenizer class
    # (which AutoTokenizer picks for a qwen2 config) reads it back unchanged.
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token=None, pad_token="<|endoftext|>",
                                   eos_token="<|im_end|>", bos_token=None)
    fast.chat_template = CHAT_TEMPLATE
    return fast


def build_tiny_model(out: str, texts: Iterable[str], hidden_size: int = 32, layers: int = 2,
                     vocab_size: int = 2000, seed: int = 0, initializer_range: float = 0.2) -> str:
    """Saves tokenizer + random Qwen2 model to `out` and returns `out`."""
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    tokenizer = build_tokenizer(texts, vocab_size)
    heads = max(2, hidden_size // 16)
    config = Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=hidden_size, intermediate_size=hidden_size * 2,
        num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=max(1, heads // 2),
        max_position_embeddings=2048, tie_word_embeddings=True,
        # Wider than real models' 0.02: with a 32-wide frozen embedding, LoRA could barely move the
        # logits otherwise, and tests want a loss that visibly falls within a few steps.
        initializer_range=initializer_range,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, bos_token_id=None)
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(eos_token_id=tokenizer.eos_token_id,
                                               pad_token_id=tokenizer.pad_token_id)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
