"""Forensic methods, one module per family; each returns a typed result."""

from tallyscope.methods.integer_peaks import IntegerPeaksResult, integer_peaks

__all__ = ["IntegerPeaksResult", "integer_peaks"]
