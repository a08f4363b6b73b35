"""LoRA SFT end to end through the CLI (the shared `sft_run`), plus in-process checks of what trains."""

from __future__ import annotations

import io
import json
import os

import pytest
from conftest import make_config, of_type
from event_schema import check_event

from tuneloop_worker.config import load_config
from tuneloop_worker.events import Emitter
from tuneloop_worker.runtime import detect


def test_every_stdout_line_is_a_valid_event(sft_run):
    events = sft_run["events"]
    for event in events:
        check_event(event)
    types = [e["type"] for e in events]
    assert types.index("started") < types.index("progress") < types.index("eval") < types.index("checkpoint")
    assert types[-1] == "done" and "error" not in types


def test_started_describes_the_run(sft_run):
    (started,) = of_type(sft_run["events"], "started")
    assert started["total_steps"] == 16 and started["resumed_from_step"] == 0
    assert started["device"] == "cpu" and started["precision"] == "fp32"
    assert 0 < started["trainable_params"] < started["total_params"]
    assert started["config"]["lora"]["r"] == 8


def test_loss_goes_down(sft_run):
    losses = [e["loss"] for e in of_type(sft_run["events"], "progress")]
    evals = [e["eval_loss"] for e in of_type(sft_run["events"], "eval")]
    assert len(losses) == 8 and len(evals) == 4
    assert losses[-1] < losses[0]
    assert evals[-1] < evals[0]
    done = of_type(sft_run["events"], "done")[0]
    assert done["metrics"]["best_eval_loss"] == min(evals)


def test_progress_reports_throughput_and_eta(sft_run):
    progress = of_type(sft_run["events"], "progress")
    assert [p["step"] for p in progress] == list(range(2, 17, 2))
    assert all(p["tokens_per_second"] > 0 and p["eta_seconds"] >= 0 for p in progress)
    assert progress[-1]["eta_seconds"] == 0


def test_best_checkpoint_and_result_files(sft_run):
    out = sft_run["out"]
    done = of_type(sft_run["events"], "done")[0]
    evals = of_type(sft_run["events"], "eval")
    best = min(evals, key=lambda e: e["eval_loss"])
    assert done["best_step"] == best["step"]
    assert done["best_checkpoint"] == str(out / "checkpoints" / f"checkpoint-{best['step']}")
    assert os.path.isdir(done["best_checkpoint"])
    assert done["best_fraction_of_training"] == pytest.approx(best["step"] / 16)
    assert done["steps_trained"] == 16 and done["stopped_early"] is False
    assert done["adapter_path"] == str(out / "adapter") and done["model_path"] is None
    assert done["cost"]["tokens_seen"] > 0 and done["cost"]["gpu_seconds"] is None
    assert json.loads((out / "result.json").read_text())["best_step"] == done["best_step"]
    for event in of_type(sft_run["events"], "checkpoint"):
        assert event["path"].startswith(str(out / "checkpoints"))


def test_tokenizer_with_chat_template_is_saved_next_to_adapter(sft_run, tiny_model):
    from transformers import AutoTokenizer

    adapter = sft_run["out"] / "adapter"
    assert (adapter / "adapter_config.json").is_file()
    saved = AutoTokenizer.from_pretrained(str(adapter))
    base = AutoTokenizer.from_pretrained(tiny_model)
    assert saved.chat_template == base.chat_template and "{% generation %}" in saved.chat_template


def test_adapter_changes_the_models_outputs(sft_run, tiny_model):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    ids = tok.apply_chat_template([{"role": "user", "content": "how do I cancel my order?"}],
                                  add_generation_prompt=True, return_tensors="pt", return_dict=True)["input_ids"]
    base = AutoModelForCausalLM.from_pretrained(tiny_model).eval()
    with torch.no_grad():
        before = base(ids).logits
        tuned = PeftModel.from_pretrained(base, str(sft_run["out"] / "adapter")).eval()
        after = tuned(ids).logits
    assert not torch.allclose(before, after, atol=1e-4)


def test_lora_trains_only_adapter_weights_and_masks_non_assistant_tokens(tiny_model, data, tmp_path):
    from tuneloop_worker.train_sft import build_trainer

    cfg = load_config(make_config(tmp_path, tiny_model, data, max_steps=3, eval_every_steps=3))
    trainer, _events = build_trainer(cfg, str(tmp_path / "out"), detect(cfg), Emitter(io.StringIO()))

    # Loss only on the assistant's reply: labels of system/user tokens are -100.
    row = trainer.train_dataset[0]
    trained = [i for i, label in zip(row["input_ids"], row["labels"]) if label != -100]
    text = trainer.processing_class.decode(trained)
    assert 0 < len(trained) < len(row["input_ids"])
    assert "<|im_start|>" not in text and "customer support agent" not in text

    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    trainer.train()
    changed = {n for n, p in trainer.model.named_parameters() if not bool((p.detach() == before[n]).all())}
    assert changed and all("lora_" in n for n in changed)
    assert any("lora_B" in n for n in changed)


def test_early_stopping_fires(tiny_model, data, tmp_path):
    from tuneloop_worker.runner import train_once

    # A learning rate this small leaves eval loss flat, so no eval beats the first by the threshold.
    cfg = load_config(make_config(tmp_path, tiny_model, data, learning_rate=1e-9, max_steps=40, eval_every_steps=2,
                                  early_stopping_patience=2, early_stopping_threshold=0.5))
    stream = io.StringIO()
    result = train_once(cfg, str(tmp_path / "out"), detect(cfg), Emitter(stream, enabled=True))
    evals = [json.loads(line) for line in stream.getvalue().splitlines() if '"type":"eval"' in line]
    assert [e["step"] for e in evals] == [2, 4, 6]
    assert result["stopped_early"] is True and result["steps_trained"] == 6 and result["total_steps"] == 40
    # Changes far below the threshold may still count as "lower" for the best checkpoint.
    assert result["best_step"] in (2, 4, 6)
    assert result["best_fraction_of_training"] == pytest.approx(result["best_step"] / 6)
