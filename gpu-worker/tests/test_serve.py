"""`serve` over real HTTP on loopback: OpenAI chat completions (plain and streamed), models, runtime LoRA."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from typing import Any

import pytest
from conftest import WORKER_DIR

KEY = "test-key"


@pytest.fixture(scope="module")
def server(tiny_model, sft_run):
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuneloop_worker", "serve", "--model", tiny_model, "--served-model-name", "base",
         "--lora-modules", f"prod={sft_run['out'] / 'adapter'}", "--port", "0", "--api-key", KEY,
         "--adapter-root", str(sft_run["out"])],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=str(WORKER_DIR))
    serving = json.loads(proc.stdout.readline())  # blocks until the server listens (or failed)
    assert serving["type"] == "serving", serving
    yield {"port": serving["port"], "serving": serving, "adapter": str(sft_run["out"] / "adapter")}
    proc.send_signal(signal.SIGTERM)
    rest = proc.stdout.read()
    proc.wait(timeout=30)
    assert proc.returncode == 0 and '"type":"stopped"' in rest


def call(server, method: str, path: str, body: Any = None, key: str | None = KEY) -> tuple[int, Any, str]:
    conn = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=120)
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    resp = conn.getresponse()
    raw = resp.read().decode()
    conn.close()
    ctype = resp.getheader("Content-Type", "")
    return resp.status, json.loads(raw) if ctype.startswith("application/json") else None, raw


def chat(server, **body) -> dict:
    status, data, raw = call(server, "POST", "/v1/chat/completions",
                             {"messages": [{"role": "user", "content": "I want to cancel my order"}],
                              "temperature": 0, **body})
    assert status == 200, raw
    return data


def stream(server, **body) -> list[dict]:
    _status, _data, raw = call(server, "POST", "/v1/chat/completions",
                               {"messages": [{"role": "user", "content": "I want to cancel my order"}],
                                "temperature": 0, "stream": True, **body})
    lines = [line[len("data: "):] for line in raw.split("\n\n") if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    return [json.loads(line) for line in lines[:-1]]


def test_serving_event_and_models(server):
    assert server["serving"]["models"] == ["base", "prod"]
    status, data, _ = call(server, "GET", "/v1/models")
    assert status == 200 and data["object"] == "list"
    assert [(m["id"], m["parent"]) for m in data["data"]] == [("base", None), ("prod", "base")]


def test_api_key_is_required_but_not_for_health(server):
    status, data, _ = call(server, "GET", "/v1/models", key=None)
    assert status == 401 and data["error"]["type"] == "authentication_error"
    assert call(server, "GET", "/v1/models", key="wrong")[0] == 401
    assert call(server, "GET", "/health", key=None)[0] == 200


def test_chat_completion_shape_and_usage(server):
    data = chat(server, model="base", max_tokens=4)
    assert data["object"] == "chat.completion" and data["id"].startswith("chatcmpl-") and data["model"] == "base"
    (choice,) = data["choices"]
    assert choice["message"]["role"] == "assistant" and isinstance(choice["message"]["content"], str)
    assert choice["finish_reason"] == "length"
    usage = data["usage"]
    assert usage["completion_tokens"] == 4 and usage["prompt_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + 4


def test_adapter_answers_differently_from_base(server):
    base = chat(server, model="base", max_tokens=8)["choices"][0]["message"]["content"]
    tuned = chat(server, model="prod", max_tokens=8)["choices"][0]["message"]["content"]
    assert base != tuned


def test_streaming_matches_the_plain_answer(server):
    plain = chat(server, model="prod", max_tokens=10)
    chunks = stream(server, model="prod", max_tokens=10, stream_options={"include_usage": True})
    assert all(c["object"] == "chat.completion.chunk" and c["id"] == chunks[0]["id"] for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == plain["choices"][0]["message"]["content"]
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == plain["usage"]


def test_stop_strings_cut_the_answer(server):
    full = chat(server, model="prod", max_tokens=12)["choices"][0]["message"]["content"]
    stop = full[len(full) // 2:len(full) // 2 + 3]
    expected = full[:full.index(stop)]
    cut = chat(server, model="prod", max_tokens=12, stop=[stop])["choices"][0]
    assert cut["message"]["content"] == expected and cut["finish_reason"] == "stop"
    chunks = stream(server, model="prod", max_tokens=12, stop=stop)
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == expected


def test_adapters_load_and_unload_at_runtime(server):
    status, _, raw = call(server, "POST", "/v1/load_lora_adapter",
                          {"lora_name": "candidate", "lora_path": server["adapter"]})
    assert status == 200 and "Success" in raw
    assert "candidate" in [m["id"] for m in call(server, "GET", "/v1/models")[1]["data"]]
    same_weights = chat(server, model="candidate", max_tokens=8)["choices"][0]["message"]["content"]
    assert same_weights == chat(server, model="prod", max_tokens=8)["choices"][0]["message"]["content"]

    assert call(server, "POST", "/v1/load_lora_adapter",
                {"lora_name": "candidate", "lora_path": server["adapter"]})[0] == 400  # name taken
    assert call(server, "POST", "/v1/unload_lora_adapter", {"lora_name": "candidate"})[0] == 200
    assert "candidate" not in [m["id"] for m in call(server, "GET", "/v1/models")[1]["data"]]
    status, data, _ = call(server, "POST", "/v1/chat/completions",
                           {"model": "candidate", "messages": [{"role": "user", "content": "hi"}]})
    assert status == 404 and data["error"]["type"] == "not_found_error"
    assert call(server, "POST", "/v1/load_lora_adapter", {"lora_name": "x", "lora_path": "/nonexistent"})[0] == 403


def test_runtime_adapters_load_only_from_the_artifact_store(server, tmp_path):
    # Outside --adapter-root: refused before anything is read, a copy of a good adapter included.
    outside = tmp_path / "adapter"
    shutil.copytree(server["adapter"], outside)
    for path in [str(outside), "/etc", "relative/adapter", server["adapter"] + "/../../../../etc"]:
        status, data, _ = call(server, "POST", "/v1/load_lora_adapter", {"lora_name": "evil", "lora_path": path})
        assert status == 403 and data["error"]["param"] == "lora_path", path
    # A symlink inside the root that points out of it is judged by where it points.
    escape = os.path.join(os.path.dirname(server["adapter"]), "escape-link")
    os.symlink(str(tmp_path), escape)
    try:
        assert call(server, "POST", "/v1/load_lora_adapter", {"lora_name": "evil", "lora_path": escape})[0] == 403
    finally:
        os.unlink(escape)
    assert "evil" not in [m["id"] for m in call(server, "GET", "/v1/models")[1]["data"]]


def raw_request(server, head: bytes) -> str:
    with socket.create_connection(("127.0.0.1", server["port"]), timeout=30) as sock:
        sock.sendall(head)
        return sock.recv(65536).decode(errors="replace")


def test_refuses_a_negative_or_oversized_content_length(server):
    auth = f"Authorization: Bearer {KEY}\r\n".encode()
    answer = raw_request(server, b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + auth +
                         b"Content-Type: application/json\r\nContent-Length: -5\r\n\r\n{}")
    assert answer.startswith("HTTP/1.1 400"), answer
    answer = raw_request(server, b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + auth +
                         b"Content-Type: application/json\r\nContent-Length: 999999999\r\n\r\n{}")
    assert answer.startswith("HTTP/1.1 413"), answer
    assert call(server, "GET", "/health", key=None)[0] == 200  # still serving


def test_refuses_to_serve_off_loopback_without_an_api_key(tiny_model):
    env = {k: v for k, v in os.environ.items() if k != "TUNELOOP_SERVE_API_KEY"}
    proc = subprocess.run([sys.executable, "-m", "tuneloop_worker", "serve", "--model", tiny_model, "--host", "0.0.0.0",
                           "--port", "0"], capture_output=True, text=True, cwd=str(WORKER_DIR), env=env, timeout=120)
    assert proc.returncode == 2
    error = json.loads(proc.stdout.strip().splitlines()[-1])
    assert error["type"] == "error" and "--api-key" in error["message"]


@pytest.mark.parametrize("body, status, param", [
    ({"model": "nope", "messages": [{"role": "user", "content": "hi"}]}, 404, "model"),
    ({"model": "base"}, 400, "messages"),
    ({"model": "base", "messages": [{"role": "robot", "content": "hi"}]}, 400, "messages"),
    ({"model": "base", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}, 400, "max_tokens"),
    ({"model": "base", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function"}]}, 400,
     "tools"),
])
def test_bad_requests_get_openai_errors(server, body, status, param):
    got, data, _ = call(server, "POST", "/v1/chat/completions", body)
    assert got == status and data["error"]["param"] == param and data["error"]["message"]
