"""The runtime steps of one hospital's load, independent of Dagster: the asset functions
call these and only add metadata."""
