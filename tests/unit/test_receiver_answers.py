"""The receivers' answers (``ingest.receiver.delivery.Answer``) are byte for byte what Flask
sent for them before the fast path: ``schemas.web.error_response`` for a refusal, ``jsonify``
for an acceptance or a ping; the same status line and headers as those ``Response`` objects
give a WSGI server, whether Flask or the fast path hands them over."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, Response, jsonify
from hypothesis import given
from hypothesis import strategies as st

from ingest.receiver.delivery import Answer, Rejected, json_answer
from schemas.web import error_response


def served(response: Response) -> tuple[str, list[tuple[str, str]], bytes]:
    """What a WSGI server is handed for ``response`` (status line, headers, body)."""
    started: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started.update(status=status, headers=headers)

    environ = {"REQUEST_METHOD": "POST", "SERVER_NAME": "x", "SERVER_PORT": "80"}
    body = b"".join(response(environ | {"wsgi.url_scheme": "http"}, start_response))  # type: ignore[arg-type]
    return started["status"], started["headers"], body


def handed_over(answer: Answer) -> tuple[str, list[tuple[str, str]], bytes]:
    """What the fast path hands a WSGI server for ``answer``."""
    return answer.status_line, answer.headers(), answer.body


REFUSALS = [
    (413, "payload_too_large", "body is larger than 2097152 bytes"),
    (404, "unknown_shop", "no shop with this id"),
    (503, "unavailable", "the event could not be stored right now; nothing was accepted"),
    (401, "missing_signature", "X-WC-Webhook-Signature header is missing"),
    (401, "invalid_signature", "signature does not match the body"),
    (400, "invalid_json", "body holds a lone UTF-16 surrogate escape"),
    (400, "missing_topic", "X-WC-Webhook-Topic header is missing"),
    (400, "invalid_ticket", "created_at: not ISO 8601 with an offset \u00e9"),
]


@pytest.mark.parametrize(("status", "code", "message"), REFUSALS)
def test_a_refusal_is_what_error_response_sent(status: int, code: str, message: str) -> None:
    answer = Rejected(status, code, message).answer()
    expected = served(error_response(status, code, message))
    assert handed_over(answer) == expected
    assert served(answer.response()) == expected


@given(envelope_id=st.text(alphabet="0123456789abcdef", min_size=32, max_size=32))
def test_an_acceptance_is_what_jsonify_sent(envelope_id: str) -> None:
    payload = {"status": "accepted", "envelope_id": envelope_id}
    with Flask("test").app_context():
        expected = jsonify(payload)
    expected.status_code = 202
    answer = json_answer(202, payload)
    assert handed_over(answer) == served(expected)
    assert served(answer.response()) == served(expected)


def test_a_ping_answer_is_what_jsonify_sent() -> None:
    with Flask("test").app_context():
        expected = jsonify({"status": "ok"})
    assert handed_over(json_answer(200, {"status": "ok"})) == served(expected)
