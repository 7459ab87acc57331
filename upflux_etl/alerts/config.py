"""Where alerts go: read from the deployment's environment (secrets only from there)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_UI_URL = "http://127.0.0.1:3000"


@dataclass(frozen=True)
class AlertConfig:
    """An SMTP destination, a webhook, both or none (then alerts are only logged).

    Attributes:
        smtp_host: the SMTP server (`UPFLUX_ALERT_SMTP_HOST`); None: no e-mail.
        smtp_port: its port (`UPFLUX_ALERT_SMTP_PORT`, default 25).
        smtp_from: the sender (`UPFLUX_ALERT_SMTP_FROM`).
        smtp_to: the recipients (`UPFLUX_ALERT_SMTP_TO`, comma-separated).
        smtp_user: login (`UPFLUX_ALERT_SMTP_USER`), with `UPFLUX_ALERT_SMTP_PASSWORD`.
        smtp_password: read from the environment only, never from a file.
        smtp_starttls: upgrade to TLS (`UPFLUX_ALERT_SMTP_STARTTLS=true`).
        webhook_url: a URL that receives the alert as JSON (`UPFLUX_ALERT_WEBHOOK_URL`).
        ui_url: the Dagster UI's address, for the link to the run (`UPFLUX_UI_URL`).
    """

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "upflux@localhost"
    smtp_to: tuple[str, ...] = ()
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    webhook_url: str | None = None
    ui_url: str = DEFAULT_UI_URL

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AlertConfig:
        """The configuration in `env` (default: the process environment)."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            return env.get(f"UPFLUX_ALERT_{name}") or None

        return cls(
            smtp_host=get("SMTP_HOST"),
            smtp_port=int(get("SMTP_PORT") or 25),
            smtp_from=get("SMTP_FROM") or cls.smtp_from,
            smtp_to=tuple(a.strip() for a in (get("SMTP_TO") or "").split(",") if a.strip()),
            smtp_user=get("SMTP_USER"),
            smtp_password=get("SMTP_PASSWORD"),
            smtp_starttls=(get("SMTP_STARTTLS") or "").lower() == "true",
            webhook_url=get("WEBHOOK_URL"),
            ui_url=(env.get("UPFLUX_UI_URL") or DEFAULT_UI_URL).rstrip("/"),
        )

    @property
    def email(self) -> bool:
        """E-mail is configured (a server and at least one recipient)."""
        return bool(self.smtp_host and self.smtp_to)
