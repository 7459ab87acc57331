"""Alerts to the operations team: a failed run, a hospital whose health turned red."""

from upflux_etl.alerts.config import AlertConfig
from upflux_etl.alerts.message import Alert, scrub
from upflux_etl.alerts.send import deliver

__all__ = ["Alert", "AlertConfig", "deliver", "scrub"]
