"""The HTTP SMS gateway against a real HTTP receiver on loopback, and the file sender of the embedded default."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from undersign.adapters.notify.file_sms import FileSmsSender, sms_name
from undersign.adapters.notify.sms_gateway import HttpSmsGateway
from undersign.application.shared.errors import ServiceUnavailable, SmsUnavailable
from undersign.application.shared.messages import SmsMessage

TOKEN = "tok_4f1c9e2b7d0a5e8f"
CODE = "482913"
TEXT = f'{CODE} is your code to sign "Lease" from Acme. It expires in 10 minutes. Never share it.'


@dataclass(frozen=True, slots=True, kw_only=True)
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes


class SmsReceiver:
    """A gateway on loopback (a stdlib server on a thread of its own): records each POST, answers `status`.

    With `delay_seconds`, it takes that long before answering (or until stopped), like a gateway that hangs.
    """

    def __init__(self, status: int, delay_seconds: float) -> None:
        self.status, self.delay_seconds = status, delay_seconds
        self._requests: list[Received] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1/send?route=otp"

    @property
    def requests(self) -> list[Received]:
        with self._lock:
            return list(self._requests)

    def record(self, received: Received) -> None:
        with self._lock:
            self._requests.append(received)


def _handler(receiver: SmsReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            headers = {name.lower(): value for name, value in self.headers.items()}
            receiver.record(Received(path=self.path, headers=headers, body=body))
            if receiver.delay_seconds and receiver._stopping.wait(receiver.delay_seconds):
                return
            answer = json.dumps({"id": "gw-1"}).encode()
            try:
                self.send_response(receiver.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up waiting

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def sms_receiver(status: int = 202, *, delay_seconds: float = 0) -> Iterator[SmsReceiver]:
    receiver = SmsReceiver(status, delay_seconds)
    receiver._thread.start()
    try:
        yield receiver
    finally:
        receiver._stopping.set()
        receiver._server.shutdown()
        receiver._server.server_close()
        receiver._thread.join(timeout=5)


def message(**overrides: str) -> SmsMessage:
    fields = {"to": "+41791234567", "text": TEXT, "message_id": "<code.env-1.signer-1.77@mail.undersign.example>"}
    return SmsMessage(**(fields | overrides))


def assert_nothing_secret_in(logs: list[dict[str, object]], *more: str) -> None:
    logged = repr(logs)
    for secret in (TOKEN, CODE, TEXT, *more):
        assert secret not in logged


async def test_the_gateway_receives_the_json_and_the_bearer_token() -> None:
    with sms_receiver(202) as receiver, capture_logs() as logs:
        await HttpSmsGateway(receiver.url, TOKEN, timeout_seconds=5).send(message())

    [received] = receiver.requests
    assert received.path == "/v1/send?route=otp"
    assert received.headers["authorization"] == f"Bearer {TOKEN}"
    assert received.headers["content-type"] == "application/json"
    assert json.loads(received.body) == {
        "to": "+41791234567", "text": TEXT, "message_id": "<code.env-1.signer-1.77@mail.undersign.example>"
    }  # fmt: skip
    [entry] = logs
    assert entry["log_level"] == "info" and entry["status"] == 202
    assert entry["message_id"] == "<code.env-1.signer-1.77@mail.undersign.example>"
    assert_nothing_secret_in(logs)


async def test_without_a_token_there_is_no_authorization_header_and_arabic_text_arrives_whole() -> None:
    arabic = f"{CODE} هو رمزك لتوقيع «عقد إيجار» من شركة أكمي. تنتهي صلاحيته خلال 10 دقائق. لا تشاركه مع أحد."
    with sms_receiver(200) as receiver:
        await HttpSmsGateway(receiver.url, None, timeout_seconds=5).send(message(text=arabic))

    [received] = receiver.requests
    assert "authorization" not in received.headers
    assert json.loads(received.body)["text"] == arabic


@pytest.mark.parametrize("status", [500, 400, 401, 429, 302])
async def test_an_answer_other_than_2xx_is_sms_unavailable_naming_the_status_not_the_secrets(status: int) -> None:
    with sms_receiver(status) as receiver, capture_logs() as logs:
        with pytest.raises(SmsUnavailable) as raised:
            await HttpSmsGateway(receiver.url, TOKEN, timeout_seconds=5).send(message())

    assert len(receiver.requests) == 1  # a redirect is not followed
    assert str(status) in str(raised.value) and raised.value.code == "sms_unavailable"
    assert isinstance(raised.value, ServiceUnavailable)
    [entry] = logs
    assert entry["log_level"] == "warning" and entry["status"] == status
    assert_nothing_secret_in(logs)
    for secret in (TOKEN, CODE, "route=otp"):
        assert secret not in str(raised.value)


async def test_a_gateway_that_does_not_answer_in_time_is_sms_unavailable() -> None:
    with sms_receiver(200, delay_seconds=30) as receiver, capture_logs() as logs:
        started = time.monotonic()
        with pytest.raises(SmsUnavailable, match="did not answer within 0.5 s"):
            await HttpSmsGateway(receiver.url, TOKEN, timeout_seconds=0.5).send(message())
        assert time.monotonic() - started < 5

    assert len(receiver.requests) == 1
    [entry] = logs
    assert entry["log_level"] == "warning" and entry["status"] is None and entry["reason"] == "timeout"
    assert_nothing_secret_in(logs)


async def test_a_gateway_that_is_not_there_is_sms_unavailable() -> None:
    with socket.socket() as placeholder:  # a port nobody listens on
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    with capture_logs() as logs, pytest.raises(SmsUnavailable, match=f"127.0.0.1:{port}"):
        await HttpSmsGateway(f"http://127.0.0.1:{port}/send", TOKEN, timeout_seconds=5).send(message())
    assert_nothing_secret_in(logs)


def test_the_gateway_shows_no_token_in_its_repr() -> None:
    gateway = HttpSmsGateway("https://sms.example/send?key=k3y", TOKEN, timeout_seconds=5)
    assert TOKEN not in repr(gateway) and "k3y" not in repr(gateway)


@pytest.mark.parametrize(
    ("url", "token", "says"),
    [
        ("smtp://sms.example", None, "http:// or https://"),
        ("sms.example/send", None, "http:// or https://"),
        ("https:///send", None, "no host"),
        ("https://user:s3cr3t@sms.example/send", None, "UNDERSIGN_SMS_TOKEN"),
        ("http://sms.example/send", TOKEN, "unencrypted"),
        ("https://sms.example/send", "two words", "printable ASCII"),
    ],
)
def test_a_gateway_that_cannot_be_used_safely_is_refused_when_built(url: str, token: str | None, says: str) -> None:
    with pytest.raises(ValueError, match=says) as raised:
        HttpSmsGateway(url, token, timeout_seconds=5)
    assert "s3cr3t" not in str(raised.value) and "two words" not in str(raised.value)


async def test_the_file_sender_writes_each_text_as_readable_json(tmp_path: Path) -> None:
    sender = FileSmsSender(tmp_path / "sms")
    arabic = f"{CODE} هو رمزك لتوقيع «عقد إيجار». لا تشاركه مع أحد."
    sent = message(text=arabic)

    await sender.send(sent)
    await sender.send(sent)  # sent again (an at-least-once job): the same file, replaced

    [written] = list((tmp_path / "sms").iterdir())
    assert written.name == sms_name(sent.message_id) == "code.env-1.signer-1.77@mail.undersign.example.json"
    assert arabic in written.read_text(encoding="utf-8")  # readable as it is, not \u escapes
    assert json.loads(written.read_text(encoding="utf-8")) == {
        "to": sent.to, "text": arabic, "message_id": sent.message_id
    }  # fmt: skip


async def test_the_file_sender_names_an_odd_message_id_safely(tmp_path: Path) -> None:
    sender = FileSmsSender(tmp_path)
    await sender.send(message(message_id="../../etc/passwd"))
    await sender.send(message(message_id=".hidden"))

    names = sorted(path.name for path in tmp_path.iterdir())
    assert len(names) == 2 and all(name.endswith(".json") and not name.startswith(".") for name in names)
    assert all("/" not in name for name in names)


async def test_a_file_sender_that_cannot_write_is_sms_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "sms"
    blocker.write_text("a file where the directory should be")
    with pytest.raises(SmsUnavailable, match="could not write"):
        await FileSmsSender(blocker).send(message())
