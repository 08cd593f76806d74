"""GET /metrics: the Prometheus metrics of this process, for a scraper that holds UNDERSIGN_METRICS_TOKEN.

Off unless the token is set (a 404 then): what the counters say (how many stored documents were
found corrupted, say) is the operator's business, not the internet's. With several processes
(`undersign serve --workers N`) set PROMETHEUS_MULTIPROC_DIR to an empty directory of their own,
and every process's counts are added up here (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import hmac
import os

from litestar import Request, Response, get
from litestar.datastructures import State
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from undersign.entrypoints.http.problems import problem

BY_METRICS_TOKEN = "a scraper's own bearer token (UNDERSIGN_METRICS_TOKEN) is the credential"


@get("/metrics", tags=["operations"], public=BY_METRICS_TOKEN, media_type=CONTENT_TYPE_LATEST)
async def metrics(request: Request, state: State) -> Response[bytes]:
    """Prometheus metrics (text exposition format), among them `undersign_blobs_corrupted_total`.
    `Authorization: Bearer <UNDERSIGN_METRICS_TOKEN>`; 404 when no token is set."""
    token = state.container.settings().metrics_token
    if token is None:
        return problem(404, "not_found", "metrics are not served here: set UNDERSIGN_METRICS_TOKEN to serve them")
    given = request.headers.get("authorization", "").encode("latin-1", "replace")
    if not hmac.compare_digest(given, f"Bearer {token}".encode()):
        return problem(401, "unauthenticated", "the metrics token is missing or wrong", {"WWW-Authenticate": "Bearer"})
    return Response(content=generate_latest(_registry()), media_type=CONTENT_TYPE_LATEST)


def _registry() -> CollectorRegistry:
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry
