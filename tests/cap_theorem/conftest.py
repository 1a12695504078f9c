"""Shared settings for the CAP tests: short phases, so each scenario takes a couple of seconds."""

import pytest

from cap_theorem.settings import CapTheoremSettings


@pytest.fixture(scope="session")
def short_settings() -> CapTheoremSettings:
    """Every scenario test starts its own redis-server processes; none uses the shared Redis."""
    return CapTheoremSettings(clients=4, healthy_s=0.4, partition_s=0.8, healed_s=0.4, think_ms=10)
