"""Fixtures for the multi-process tests; they need the real services."""

from collections.abc import AsyncIterator

import pytest

from tests.distributed.cluster import Cluster, running_cluster


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    async with running_cluster() as running:
        yield running
