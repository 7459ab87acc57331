"""The runtime steps of one hospital's load, independent of Dagster.

The asset functions call these and only add metadata.
"""
