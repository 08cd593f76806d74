"""A real webhook receiver on loopback, for tests: verifies each delivery's signature and records it.

It runs a stdlib ThreadingHTTPServer in a background thread, so it answers while the test's
event loop waits on the sender. Like a receiver with a flaky backend, it answers 500 to the
first `fail_first` deliveries of each webhook-id and 200 after that; it can also answer with
a redirect, or take its time.

    with webhook_receiver(secret, fail_first=0) as receiver:
        await sender.send(url=receiver.url, ...)
        assert receiver.requests[0].verified
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceivedRequest:
    webhook_id: str | None
    verified: bool
    body: bytes
    headers: dict[str, str]  # names in lower case
    status: int  # what the receiver answered


class WebhookReceiver:
    def __init__(self, secret: str, *, fail_first: int, redirect_to: str | None, delay_seconds: float) -> None:
        self.fail_first = fail_first
        self.redirect_to = redirect_to  # answer every delivery with a 302 to this address
        self.delay_seconds = delay_seconds  # wait this long before answering
        self._secret = secret
        self._requests: list[ReceivedRequest] = []
        self._attempts: Counter[str | None] = Counter()
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        # A short poll interval: shutdown() waits for the next poll.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="webhook-receiver", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks"

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._changed:
            return list(self._requests)

    def set_secret(self, secret: str) -> None:
        """The secret deliveries are verified with from now on (the receiver's side of a rotation)."""
        with self._changed:
            self._secret = secret

    def wait_for(
        self, predicate: Callable[[list[ReceivedRequest]], bool], timeout: float = 5
    ) -> list[ReceivedRequest]:
        """The requests once `predicate` holds for them; AssertionError if it does not within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(list(self._requests)):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"the receiver did not get what was expected in {timeout} s: {self._requests}")
                self._changed.wait(remaining)
            return list(self._requests)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers that are taking their time
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _receive(self, body: bytes, headers: dict[str, str]) -> int:
        """Verify and record one request; the status to answer with."""
        webhook_id = headers.get("webhook-id")
        with self._changed:
            try:
                Webhook(self._secret).verify(body, headers, json_parse=False)
                verified = True
            except (WebhookVerificationError, ValueError):  # a malformed signature header is a ValueError
                verified = False
            self._attempts[webhook_id] += 1
            if self.redirect_to is not None:
                status = 302
            elif self._attempts[webhook_id] <= self.fail_first:
                status = 500
            else:
                status = 200
            self._requests.append(
                ReceivedRequest(webhook_id=webhook_id, verified=verified, body=body, headers=headers, status=status)
            )
            self._changed.notify_all()
        return status


def _handler(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the sender's connection pool expects
        timeout = 30  # an idle kept-alive connection does not hold its thread forever

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            body = self.rfile.read(length)
            if len(body) < length:
                return  # the sender went away mid-body (a worker killed mid-delivery): nothing was delivered
            status = receiver._receive(body, {name.lower(): value for name, value in self.headers.items()})
            if receiver.delay_seconds and receiver._stopping.wait(receiver.delay_seconds):
                return
            answer = b"ok" if status == 200 else b"not now"
            try:
                self.send_response(status)
                if status == 302:
                    self.send_header("location", receiver.redirect_to or "/")
                self.send_header("content-type", "text/plain")
                self.send_header("set-cookie", "affinity=node-1; Path=/")  # as load balancers do
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up waiting: that is what a slow-receiver test wants

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def webhook_receiver(
    secret: str, fail_first: int = 2, *, redirect_to: str | None = None, delay_seconds: float = 0
) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(secret, fail_first=fail_first, redirect_to=redirect_to, delay_seconds=delay_seconds)
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()
