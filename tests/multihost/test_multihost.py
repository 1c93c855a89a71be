"""Roomvault over four hosts (network namespaces): two web hosts, two worker hosts."""

import pytest

from tests.multihost.cluster import cluster_of

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_smoke(broker, tmp_path, figures):
    with cluster_of(broker, tmp_path) as cluster:
        figures["ok"] = list(cluster.hosts)
