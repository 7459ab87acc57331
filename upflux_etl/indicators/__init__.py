"""Indicators: the SQL of `assets/indicators/` run on the load's warehouse build."""
