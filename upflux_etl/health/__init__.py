"""The health score of each hospital (PRODUCT.md, "Customer Success")."""

from upflux_etl.catalog.health import HealthConfig
from upflux_etl.health.actions import NextAction
from upflux_etl.health.factors import Factor
from upflux_etl.health.gather import gather_inputs
from upflux_etl.health.inputs import DatasetFlow, HealthInputs, UsageInputs
from upflux_etl.health.score import HealthScore, compute_health
from upflux_etl.health.service import backfill, fill_history, recompute_day, score_client

__all__ = [
    "DatasetFlow",
    "Factor",
    "HealthConfig",
    "HealthInputs",
    "HealthScore",
    "NextAction",
    "UsageInputs",
    "backfill",
    "compute_health",
    "fill_history",
    "gather_inputs",
    "recompute_day",
    "score_client",
]
