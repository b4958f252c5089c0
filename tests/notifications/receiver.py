"""A fake receiver for outbound messages: a real HTTP server on 127.0.0.1 that records what it is sent and
answers as told (企业微信 / 钉钉 robots answer {"errcode": 0}; a webhook or SMS gateway 200)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    fail_next: int = 0          # answer this many requests with 500 first
    errcode_next: int = 0       # answer this many with a robot's errcode 45009 (over its rate)
    delay_s: float = 0.0        # hang this long before answering
    # The n-th request (1-based, counted as they come in): "drop" holds it unread until `release`, then
    # closes (the message never arrived); "hold" records it and holds the answer until `release` (it arrived,
    # the sender never heard so). `holding` is set when either starts: the moment to kill the sender.
    plan: dict[int, str] = field(default_factory=dict)
    seen: int = 0
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start(host: str = "127.0.0.1", port: int = 0) -> Receiver:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            with receiver.lock:
                receiver.seen += 1
                step = receiver.plan.get(receiver.seen)
            if step == "drop":
                receiver.holding.set()
                receiver.release.wait(60)
                self.close_connection = True
                return
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            parts = urlsplit(self.path)
            receiver.received.append(Received(parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()},
                                              dict(self.headers.items()), body))
            if step == "hold":
                receiver.holding.set()
                receiver.release.wait(60)
                self.close_connection = True
                return
            if receiver.delay_s:
                time.sleep(receiver.delay_s)
            if receiver.fail_next > 0:
                receiver.fail_next -= 1
                return self._answer(500, {"error": "busy"})
            if receiver.errcode_next > 0:
                receiver.errcode_next -= 1
                return self._answer(200, {"errcode": 45009, "errmsg": "api freq out of limit"})
            self._answer(200, {"errcode": 0, "errmsg": "ok"})

        def _answer(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the sender timed out and left
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    receiver = Receiver(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver
