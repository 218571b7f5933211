"""Fixtures of the mailbox tests: the BCC receiver, the stub Entra ID of the identity tests, and a
fake Graph (Dovecot's are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.auth.conftest import entra_settings, idp, idp_server  # noqa: F401 - fixtures
from tests.graph_stub import FakeGraph
from tests.idp_stub import StubIdentityProvider
from tests.maillog.conftest import deliver  # noqa: F401 - fixture


@pytest.fixture(scope="session")
def graph_server() -> Iterator[FakeGraph]:
    """One fake Graph for the whole run."""
    fake = FakeGraph().start()
    yield fake
    fake.stop()


@pytest.fixture
def graph(graph_server: FakeGraph) -> FakeGraph:
    """The fake Graph, empty."""
    graph_server.reset()
    return graph_server


@pytest.fixture
def graph_pane(
    idp: StubIdentityProvider,  # noqa: F811 - the fixture imported above
    graph: FakeGraph,
    entra_settings: dict[str, Any],  # noqa: F811 - the fixture imported above
) -> tuple[StubIdentityProvider, FakeGraph, dict[str, Any]]:
    """The stub Entra ID, the fake Graph, and the settings pointing at both."""
    return idp, graph, {**entra_settings, "GRAPH_URL": graph.url}
