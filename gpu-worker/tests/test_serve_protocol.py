"""Request parsing and stop-string handling of the server (pure: no model, no HTTP)."""

from __future__ import annotations

import pytest

from tuneloop_worker.serve.protocol import ApiError, StopTrimmer, parse_chat_request


def test_parse_defaults_and_content_parts():
    req = parse_chat_request({"model": "m", "messages": [
        {"role": "developer", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": "hel"}, {"type": "text", "text": "lo"}]}]})
    assert req.messages == [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello"}]
    assert (req.max_tokens, req.temperature, req.stream, req.stop) == (256, 1.0, False, [])


def test_parse_max_completion_tokens_and_stop_string():
    req = parse_chat_request({"model": "m", "messages": [{"role": "user", "content": "x"}],
                              "max_completion_tokens": 7, "stop": "END", "stream": True,
                              "stream_options": {"include_usage": True}})
    assert (req.max_tokens, req.stop, req.stream, req.include_usage) == (7, ["END"], True, True)


@pytest.mark.parametrize("body, param", [
    ({"messages": [{"role": "user", "content": "x"}]}, "model"),
    ({"model": "m", "messages": []}, "messages"),
    ({"model": "m", "messages": [{"role": "user", "content": 3}]}, "messages"),
    ({"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": 3}, "temperature"),
    ({"model": "m", "messages": [{"role": "user", "content": "x"}], "n": 2}, "n"),
    ({"model": "m", "messages": [{"role": "user", "content": "x"}], "stop": ["a", "b", "c", "d", "e"]}, "stop"),
])
def test_parse_rejects_what_it_cannot_serve(body, param):
    with pytest.raises(ApiError) as info:
        parse_chat_request(body)
    assert info.value.status == 400 and info.value.param == param


def test_stop_trimmer_holds_back_a_possible_stop_and_cuts_at_it():
    t = StopTrimmer(["STOP"])
    assert t.feed("hello ST") == "hello"  # "ST" might begin "STOP"; with a 4-char stop, 3 chars wait
    assert t.feed("OP and more") == " "
    assert t.stopped and t.feed("ignored") == "" and t.finish() == ""
    assert t.result() == "hello "


def test_stop_trimmer_flushes_everything_when_no_stop_appears():
    t = StopTrimmer(["STOP"])
    pieces = [t.feed(p) for p in ("ab", "cd", "ST")] + [t.finish()]
    assert "".join(pieces) == "abcdST" and not t.stopped


def test_stop_trimmer_without_stops_streams_at_once():
    t = StopTrimmer([])
    assert t.feed("abc") == "abc" and t.finish() == ""
