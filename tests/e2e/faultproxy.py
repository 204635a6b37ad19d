"""A fault-injecting HTTP proxy on 127.0.0.1 in front of a moto server.

The installed CLI talks to the proxy (``AWS_ENDPOINT_URL``); the proxy reads the form-encoded
``Action=`` of each IAM/STS query request and, for the Nth call of an action, can answer with an
error, drop the connection, send a reply botocore cannot parse, run a side-channel edit, or hold
the request until the test releases it, each either before forwarding the request to moto or after
moto has applied it. Tests wait on ``Fault.seen`` (set when the proxy reaches the fault), never on
a sleep.
"""

from __future__ import annotations

import http.client
import socket
import threading
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape

#: what the query API answers for an error, as IAM documents it ("Query API errors")
_ERROR_XML = (
    '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>{type}</Type>'
    "<Code>{code}</Code><Message>{message}</Message></Error>"
    "<RequestId>00000000-fault-proxy</RequestId></ErrorResponse>"
)
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class Fault:
    """What to do to calls ``nth`` .. ``nth + times - 1`` of ``action`` (counted from 1).

    ``kind``: ``"error"`` (reply ``status`` with ``code``), ``"drop"`` (close the connection
    without a reply), ``"garbage"`` (HTTP 200 with a body that is not XML), ``"hold"`` (wait for
    ``release``), ``"hook"`` (call ``hook`` with the request's parameters, then go on).
    ``when``: ``"before"`` forwarding to moto (the call never reaches IAM) or ``"after"`` (IAM
    applied it; only the reply is affected). ``armed_by``: count calls only once the proxy has
    seen that action.
    """

    action: str
    kind: str
    when: str = "before"
    nth: int = 1
    times: int = 1
    status: int = 500
    code: str = "ServiceFailure"
    message: str = "injected by the test proxy"
    hook: Callable[[dict[str, str]], None] | None = None
    armed_by: str | None = None
    seen: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    hits: int = 0
    _count: int = 0


class FaultProxy:
    """The proxy server; ``endpoint`` is its URL, ``calls`` every action it saw, in order."""

    def __init__(self, upstream: str) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        assert parsed.hostname == "127.0.0.1", "the proxy only ever forwards to loopback"
        self.upstream = (parsed.hostname, parsed.port or 80)
        self.faults: list[Fault] = []
        self.calls: list[str] = []
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, action: str, kind: str, **options: Any) -> Fault:
        fault = Fault(action, kind, **options)
        with self._lock:
            self.faults.append(fault)
        return fault

    def writes(self) -> list[str]:
        """The write calls seen (each retry counts)."""
        return [
            c
            for c in self.calls
            if c in ("PutRolePolicy", "UpdateAssumeRolePolicy", "DeleteRolePolicy")
        ]

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        for fault in self.faults:
            fault.release.set()
        self._server.shutdown()
        self._server.server_close()

    def _match(self, action: str) -> Fault | None:
        with self._lock:
            self.calls.append(action)
            self.counts[action] += 1
            chosen = None
            for fault in self.faults:
                if fault.armed_by and not self.counts[fault.armed_by]:
                    continue
                if fault.action != action:
                    continue
                fault._count += 1
                if chosen is None and fault.nth <= fault._count < fault.nth + fault.times:
                    fault.hits += 1
                    chosen = fault
            return chosen


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: FaultProxy

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests assert on what the CLI prints, not on the proxy's log."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        params = {
            k: v[0]
            for k, v in urllib.parse.parse_qs(
                body.decode("utf-8", "replace"), keep_blank_values=True
            ).items()
        }
        fault = self.owner._match(params.get("Action", ""))
        if fault is not None and fault.when == "before" and self._inject(fault, params):
            return
        status, headers, data = self._forward(body)
        if fault is not None and fault.when == "after" and self._inject(fault, params):
            return
        self._reply(status, headers, data)

    def _inject(self, fault: Fault, params: dict[str, str]) -> bool:
        """Apply ``fault``; True when it answered (or dropped) the request itself."""
        fault.seen.set()
        if fault.kind == "hook":
            assert fault.hook is not None
            fault.hook(params)
            return False
        if fault.kind == "hold":
            fault.release.wait(timeout=60)
            return False
        if fault.kind == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if fault.kind == "garbage":
            self._reply(200, [("Content-Type", "text/xml")], b"<<this is not the reply>")
            return True
        assert fault.kind == "error", fault.kind
        xml = _ERROR_XML.format(
            type="Receiver" if fault.status >= 500 else "Sender",
            code=escape(fault.code),
            message=escape(fault.message),
        )
        self._reply(fault.status, [("Content-Type", "text/xml")], xml.encode())
        return True

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        host, port = self.owner.upstream
        connection = http.client.HTTPConnection(host, port, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            headers["Host"] = self.headers.get("Host", f"{host}:{port}")
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
            return response.status, kept, data
        finally:
            connection.close()

    def _reply(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()
