"""Shared fixtures: a small client per test, so every test runs under a known budget."""

import pytest

from spillway.distributed import Client


@pytest.fixture
def client():
    """A client with 2 workers of 1 thread and 256 MB each, closed after the test."""
    c = Client(n_workers=2, threads_per_worker=1, memory_limit="256MB")
    yield c
    c.close()
