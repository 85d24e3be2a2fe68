from __future__ import annotations

import pytest

import routecore
from route_support import unbudgeted_toml


@pytest.fixture(scope="session")
def router() -> routecore.Router:
    return routecore.Router.from_toml(unbudgeted_toml())


@pytest.fixture()
def fresh_router() -> routecore.Router:
    """A router with the default budgets and fresh state (budgets, breakers)."""
    return routecore.Router()
