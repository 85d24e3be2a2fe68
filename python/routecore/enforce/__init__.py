"""Guard and verification policies in the request path (issue #6): `[guards]` acts on the input
scan before or beside the provider call, `[verification]` checks answers, re-asks or escalates,
and rolls a failing model's route back to a safer choice. `events.subscribe` observes it all."""

from __future__ import annotations

from . import events
from .events import GuardVerdict, RollbackTransition, VerificationResult, subscribe
from .runtime import Enforcement, enforcement

__all__ = ["Enforcement", "GuardVerdict", "RollbackTransition", "VerificationResult", "enforcement",
           "events", "subscribe"]
