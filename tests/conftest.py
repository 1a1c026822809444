"""Fixtures and markers for every test; the helpers themselves are in tests/support/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from hold_agent.config import Settings
from tests.support.harness import Harness, make_settings, open_harness


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "corpus: measures detection on the whole corpus or retrains the model (slow)")
    config.addinivalue_line("markers", "e2e: drives real processes, servers or the whole API surface (slow)")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def hermetic_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """No developer's exported TELNYX_* variables or .env file leak into a test."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    h, _ = await open_harness(make_settings())
    async with h.client:
        yield h
    await h.service.aclose()
