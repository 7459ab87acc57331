"""Hospitalis, the demo hospital ERP: a fictional ~200-bed Brazilian hospital.

Written in the ERP's own shape (Portuguese tables, its own codes), with the UpFlux platform's
usage log, the true indicator values and a manifest of deliberately injected defects.

Usage::

    from hospitalis_demo import generate
    result = generate("sqlite:////tmp/demo/erp.sqlite", "sqlite:////tmp/demo/platform.sqlite",
                      Path("/tmp/demo"))

The simulation is deterministic for its parameters: the same inputs give the same rows.

This package imports nothing from ``upflux_etl``: the truth the tests compare the pipeline
with is computed without the product's code (docs/DECISIONS.md, "The demo ERP is its own
package"). The product reaches it only through ``upflux_etl/demo.py``.
"""

from hospitalis_demo.pipeline import GenerationResult, generate

__all__ = ["GenerationResult", "generate"]
