"""One base model plus any number of LoRA adapters, generating with transformers (CPU or one GPU).

Adapters are PEFT adapters on the same base (what `train` writes to OUT/adapter). They are loaded
and unloaded at runtime; a request picks the base model or an adapter by name. One lock
serialises generation and adapter changes, because PEFT's active adapter is model-wide state.
This is the development/test server; production serving is vLLM with the same HTTP API.
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Any, Callable, Iterator

from .protocol import ApiError, ChatRequest, StopTrimmer


class Engine:
    def __init__(self, model_path: str, served_name: str | None = None) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.tokenizer = AutoTokenizer.from_pretrained(model_path)
        if not self.tokenizer.chat_template:
            raise ValueError(f"the tokenizer of {model_path!r} has no chat template")
        dtype = torch.bfloat16 if self.device == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
        self.model = AutoModelForCausalLM.from_pretrained(model_path, dtype=dtype).to(self.device).eval()
        self.base_name = served_name or model_path
        self.model_path = model_path
        self.peft: Any = None                 # PeftModel once the first adapter is loaded
        self.adapters: dict[str, str] = {}    # name -> path
        self.lock = threading.Lock()

    # ---- adapters -------------------------------------------------------------------------------
    def load_adapter(self, name: str, path: str) -> None:
        from peft import PeftModel

        if name == self.base_name or name in self.adapters:
            raise ApiError(400, f"a model named '{name}' is already loaded", param="lora_name")
        if not os.path.isfile(os.path.join(path, "adapter_config.json")):
            raise ApiError(400, f"no PEFT adapter (adapter_config.json) at {path}", param="lora_path")
        with self.lock:
            try:
                if self.peft is None:
                    self.peft = PeftModel.from_pretrained(self.model, path, adapter_name=name).eval()
                else:
                    self.peft.load_adapter(path, adapter_name=name)
            except (RuntimeError, ValueError, KeyError) as err:  # e.g. shapes of another base model
                raise ApiError(400, f"cannot load adapter '{name}': {err}", param="lora_path") from None
            self.adapters[name] = path

    def unload_adapter(self, name: str) -> None:
        with self.lock:
            if name not in self.adapters:
                raise ApiError(404, f"no adapter named '{name}' is loaded", "not_found_error", param="lora_name")
            del self.adapters[name]
            if not self.adapters:
                # Last one: take the LoRA layers out so the base runs as it did before any adapter.
                self.model = self.peft.unload()
                self.peft = None
            else:
                self.peft.set_adapter(next(iter(self.adapters)))
                self.peft.delete_adapter(name)

    def models(self) -> list[dict[str, Any]]:
        out = [{"id": self.base_name, "root": self.model_path, "parent": None}]
        out += [{"id": n, "root": p, "parent": self.base_name} for n, p in self.adapters.items()]
        return out

    @contextlib.contextmanager
    def _selected(self, name: str) -> Iterator[Any]:
        if name == self.base_name:
            if self.peft is None:
                yield self.model
            else:
                with self.peft.disable_adapter():
                    yield self.peft
        elif name in self.adapters:
            self.peft.set_adapter(name)
            yield self.peft
        else:
            raise ApiError(404, f"the model '{name}' does not exist", "not_found_error", param="model")

    # ---- generation -----------------------------------------------------------------------------
    def generate(self, req: ChatRequest, on_text: Callable[[str], bool] | None = None) -> dict[str, Any]:
        """Runs one completion. With `on_text`, streams text pieces; it returns False to cancel."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        cancelled = threading.Event()

        class Cancel(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):
                return torch.full((input_ids.shape[0],), cancelled.is_set(), dtype=torch.bool,
                                  device=input_ids.device)

        with self.lock, self._selected(req.model) as model:
            enc = self.tokenizer.apply_chat_template(req.messages, add_generation_prompt=True,
                                                     return_tensors="pt", return_dict=True)
            enc = {k: v.to(self.device) for k, v in enc.items()}
            kwargs: dict[str, Any] = {
                "max_new_tokens": req.max_tokens, "do_sample": req.temperature > 0,
                "pad_token_id": self.tokenizer.pad_token_id, "eos_token_id": self.tokenizer.eos_token_id,
                "stopping_criteria": StoppingCriteriaList([Cancel()]),
            }
            if req.temperature > 0:
                kwargs.update(temperature=req.temperature, top_p=req.top_p)
            if req.stop:
                kwargs.update(stop_strings=req.stop, tokenizer=self.tokenizer)
            if req.seed is not None:
                torch.manual_seed(req.seed)
            trimmer = StopTrimmer(req.stop)
            if on_text is None:
                with torch.no_grad():
                    output = model.generate(**enc, **kwargs)
            else:
                streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
                result: dict[str, Any] = {}

                def run() -> None:
                    with torch.no_grad():
                        try:
                            result["output"] = model.generate(**enc, **kwargs, streamer=streamer)
                        except BaseException as err:  # noqa: BLE001 - re-raised in the request thread
                            result["error"] = err
                            streamer.end()

                worker = threading.Thread(target=run, daemon=True)
                worker.start()
                for piece in streamer:
                    text = trimmer.feed(piece)
                    if text and not on_text(text):
                        cancelled.set()
                worker.join()
                if "error" in result:
                    raise result["error"]
                rest = trimmer.finish()
                if rest and not cancelled.is_set():
                    on_text(rest)
                output = result["output"]
        prompt_tokens = int(enc["input_ids"].shape[1])
        generated = output[0, prompt_tokens:].tolist()
        text = self.tokenizer.decode(generated, skip_special_tokens=True)
        if on_text is None:
            trimmer.feed(text)
            trimmer.finish()
        ended = bool(generated) and generated[-1] == self.tokenizer.eos_token_id
        # "length" only when the token budget ran out, not when EOS or a stop string ended the reply.
        finish = "length" if len(generated) >= req.max_tokens and not ended and not trimmer.stopped else "stop"
        return {"text": trimmer.result(), "prompt_tokens": prompt_tokens, "completion_tokens": len(generated),
                "finish_reason": finish}
