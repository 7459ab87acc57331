"""Extraction: read-only source sessions, query translation, and the in-memory stream
where clear identifiers are checked and pseudonymised before anything reaches disk."""
