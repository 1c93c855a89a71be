"""Fixtures of the import tests: a seeded source Roomvault, and a faulty proxy in front of it."""

from collections.abc import Iterator

import pytest

from tests.imports.source import FaultyProxy, SourceServer


@pytest.fixture(scope="session")
def source_server(tmp_path_factory) -> Iterator[SourceServer]:
    """A second Roomvault, started and seeded once for the whole run (see ``SourceServer``).

    Shared by every test: a test that changes it must start a source of its own.
    """
    with SourceServer(tmp_path_factory.mktemp("source")) as server:
        server.seed_account()
        yield server


@pytest.fixture
def faulty_proxy(source_server) -> Iterator[FaultyProxy]:
    """A proxy in front of ``source_server`` with no faults planned yet, for this test alone."""
    with FaultyProxy(source_server.base_url) as proxy:
        yield proxy
