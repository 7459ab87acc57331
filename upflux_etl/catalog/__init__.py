"""Typed models of the declarative files, and the one loader that reads them."""
