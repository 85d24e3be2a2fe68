"""Replay recorded traffic with known per-model outcomes through a config, against
always-cheapest, always-strongest, random-at-equal-cost and the oracle."""

from __future__ import annotations

from .records import DATASETS, Outcome, OutcomeRecord, load_dataset, load_jsonl
from .report import format_report, plot
from .simulate import PolicyResult, Replay, replay

__all__ = [
    "DATASETS",
    "Outcome",
    "OutcomeRecord",
    "PolicyResult",
    "Replay",
    "format_report",
    "load_dataset",
    "load_jsonl",
    "plot",
    "replay",
]
