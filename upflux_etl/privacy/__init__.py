"""LGPD beyond pseudonymisation: retention of a hospital's files and its purge at contract end."""
