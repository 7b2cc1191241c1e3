"""A minimal HTTP/1.1 keep-alive client on a plain socket, for load generation.

Requests are prepared as bytes once and sent as they are, so the client spends a few
microseconds per request and the server, not the load generator, is what gets measured.
It reads ``Content-Length`` bodies (what waitress sends for Flask responses) and reconnects
when the server closes the connection. Only ever pointed at 127.0.0.1.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass

LOOPBACK = "127.0.0.1"
_RECV = 65536


class HttpError(Exception):
    """The server answered something this client does not read, or went away."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def build_request(
    method: str, port: int, path: str, headers: Mapping[str, str], body: bytes = b""
) -> bytes:
    """The exact bytes of one request to ``127.0.0.1:port``."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {LOOPBACK}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Connection:
    """One keep-alive connection to ``127.0.0.1:port``; not thread-safe (one per thread)."""

    def __init__(self, port: int, timeout: float = 10.0) -> None:
        self._port = port
        self._timeout = timeout
        self._sock: socket.socket | None = None
        self._buffer = b""

    def request(self, raw: bytes) -> Response:
        if self._sock is None:
            self._connect()
        assert self._sock is not None
        try:
            self._sock.sendall(raw)
            response = self._read_response()
        except OSError as exc:
            self.close()
            raise HttpError(f"connection failed: {exc}") from exc
        if response.headers.get("connection", "").lower() == "close":
            self.close()
        return response

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._buffer = b""

    def _connect(self) -> None:
        self._sock = socket.create_connection((LOOPBACK, self._port), timeout=self._timeout)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _read_until(self, marker: bytes) -> int:
        while (index := self._buffer.find(marker)) < 0:
            self._buffer += self._recv()
        return index

    def _recv(self) -> bytes:
        assert self._sock is not None
        chunk = self._sock.recv(_RECV)
        if not chunk:
            raise HttpError("server closed the connection")
        return chunk

    def _read_response(self) -> Response:
        end = self._read_until(b"\r\n\r\n")
        head, self._buffer = self._buffer[:end].decode("latin-1"), self._buffer[end + 4 :]
        status_line, *header_lines = head.split("\r\n")
        headers = {}
        for header in header_lines:
            name, _, value = header.partition(":")
            headers[name.strip().lower()] = value.strip()
        status = int(status_line.split(" ", 2)[1])
        length = _body_length(status, headers)
        while len(self._buffer) < length:
            self._buffer += self._recv()
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        return Response(status, headers, body)


def _body_length(status: int, headers: dict[str, str]) -> int:
    if "content-length" in headers:
        return int(headers["content-length"])
    if status in (204, 304) or 100 <= status < 200:
        return 0
    raise HttpError(f"response {status} without Content-Length ({headers})")
