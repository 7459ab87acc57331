"""Hospitalis, the demo hospital ERP: a fictional ~200-bed Brazilian hospital written in the
ERP's own shape (Portuguese tables, its own codes), with the UpFlux platform's usage log,
the true indicator values and a manifest of deliberately injected defects.

Usage::

    from upflux_etl.demo_erp import generate
    result = generate("sqlite:////tmp/demo/erp.sqlite", "sqlite:////tmp/demo/platform.sqlite",
                      Path("/tmp/demo"))

The simulation is deterministic for its parameters: the same inputs give the same rows.
"""

from upflux_etl.demo_erp.pipeline import GenerationResult, generate

__all__ = ["GenerationResult", "generate"]
