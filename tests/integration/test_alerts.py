"""Alerts on a failed load and on health turning red, to a local SMTP server and a local
webhook that the test starts; the failure's reason recorded in the state store."""

from __future__ import annotations

import email
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
import pytest
from aiosmtpd.controller import Controller

from tests.support.demo import make_demo
from upflux_etl.definitions.downstream import alert_health_red
from upflux_etl.definitions.sensors import failed_load_sensor
from upflux_etl.runner import run_client
from upflux_etl.state.store import StateStore

SECRET = "s3cr3t-smtp-password"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's handler hook
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def webhook() -> Iterator[tuple[list[dict], str]]:
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def alert_env(monkeypatch, inbox, webhook):
    _, port = inbox
    _, url = webhook
    monkeypatch.setenv("UPFLUX_ALERT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("UPFLUX_ALERT_SMTP_PORT", str(port))
    monkeypatch.setenv("UPFLUX_ALERT_SMTP_TO", "ops@upflux.test")
    monkeypatch.setenv("UPFLUX_ALERT_SMTP_FROM", "etl@upflux.test")
    monkeypatch.setenv("UPFLUX_ALERT_SMTP_PASSWORD_UNUSED", SECRET)
    monkeypatch.setenv("UPFLUX_ALERT_WEBHOOK_URL", url)
    monkeypatch.setenv("UPFLUX_UI_URL", "http://dagster.upflux.test/")


def test_a_failed_load_is_recorded_with_its_reason_and_alerted_by_email_and_webhook(
    settings, pseudonym_key, alert_env, inbox, webhook
):
    make_demo(settings, "h1", beds=20, months=1, scale=0.1)
    (settings.data_dir / "h1" / "erp.sqlite").unlink()  # the ERP is gone: a dataset fails
    instance = dg.DagsterInstance.ephemeral()
    result = run_client(settings, "h1", full=True, instance=instance)
    assert not result.success

    store = StateStore(settings.state_url)
    last = store.last_run("h1")
    store.dispose()
    assert last is not None and last.status == "failed"
    assert last.error and last.error.startswith("h1__datasets__")
    assert "\n" not in last.error

    failure = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[0]
    context = dg.build_run_status_sensor_context(
        sensor_name="upflux_failed_loads",
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id),
        dagster_event=failure.dagster_event,
    ).for_run_failure()
    failed_load_sensor(settings)(context)

    messages = inbox[0].messages
    received, _ = webhook
    assert len(messages) == 1 and len(received) == 1
    mail, hook = messages[0], received[0]
    assert mail["Subject"] == "[UpFlux] h1: load failed"
    body = mail.get_payload()
    link = f"http://dagster.upflux.test/runs/{result.run_id}"
    for text in (body, json.dumps(hook)):
        assert result.run_id in text and link in text
        assert pseudonym_key not in text and SECRET not in text
    assert hook["client"] == "h1" and hook["kind"] == "run_failure"
    assert hook["step"].startswith("h1__datasets__")
    assert hook["reason"] and "\n" not in hook["reason"]


def test_health_turning_red_is_alerted(settings, alert_env, inbox, webhook):
    alert_health_red("h2", "run-123", 31.4)
    messages = inbox[0].messages
    received, _ = webhook
    assert messages[0]["Subject"] == "[UpFlux] h2: health is red"
    assert received[0]["reason"] == "health score 31: red"
    assert received[0]["link"] == "http://dagster.upflux.test/runs/run-123"


def test_an_unreachable_destination_does_not_raise(settings, monkeypatch):
    monkeypatch.setenv("UPFLUX_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{free_port()}/none")
    alert_health_red("h3", "run-1", 10.0)
