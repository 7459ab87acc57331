"""Process mining: event logs, directly-follows graph, variants, durations, conformance.

Written from the published algorithms (docs/DECISIONS.md): pm4py (AGPL-3.0) is only the
independent implementation the tests and the benchmark compare with, never imported here.
"""
