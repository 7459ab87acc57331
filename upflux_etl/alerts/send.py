"""Deliver an alert by e-mail and to a webhook; a failed delivery never fails the run."""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.request
from email.message import EmailMessage

from upflux_etl.alerts.config import AlertConfig
from upflux_etl.alerts.message import Alert

log = logging.getLogger("upflux")
TIMEOUT_S = 10


def send_email(config: AlertConfig, alert: Alert) -> None:
    """One e-mail to the configured recipients."""
    message = EmailMessage()
    message["Subject"] = alert.subject
    message["From"] = config.smtp_from
    message["To"] = ", ".join(config.smtp_to)
    message.set_content(alert.text())
    with smtplib.SMTP(config.smtp_host or "", config.smtp_port, timeout=TIMEOUT_S) as smtp:
        if config.smtp_starttls:
            smtp.starttls()
        if config.smtp_user:
            smtp.login(config.smtp_user, config.smtp_password or "")
        smtp.send_message(message)


def post_webhook(config: AlertConfig, alert: Alert) -> None:
    """POST the alert as JSON to the webhook."""
    request = urllib.request.Request(
        config.webhook_url or "",
        data=json.dumps(alert.payload()).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
        response.read()


def deliver(config: AlertConfig, alert: Alert) -> list[str]:
    """Send the alert everywhere configured; the destinations that failed, and why."""
    problems = []
    destinations = []
    if config.email:
        destinations.append(("e-mail", send_email))
    if config.webhook_url:
        destinations.append(("webhook", post_webhook))
    for name, send in destinations:
        try:
            send(config, alert)
        except (OSError, smtplib.SMTPException) as exc:
            problems.append(f"{name}: {type(exc).__name__}: {exc}")
    if not destinations:
        log.warning("alert not sent (no destination configured): %s", alert.subject)
    for problem in problems:
        log.warning("alert not delivered by %s", problem)
    return problems
