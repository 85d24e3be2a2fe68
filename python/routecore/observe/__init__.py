"""Observability: decision records (JSON Lines, redacted) and their explanation."""

from __future__ import annotations

from .explain import explain
from .records import DecisionRecord, JsonlSink, RecordSink, find_record, iter_records

__all__ = ["DecisionRecord", "JsonlSink", "RecordSink", "explain", "find_record", "iter_records"]
