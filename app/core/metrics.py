"""Prometheus metrics (prometheus-client): requests per route template and status class, photo processing
time, and the depth of the queues kept in the database (gauges read at scrape time).

Several processes (app/serve.py) share one view through prometheus-client's multiprocess mode: app/serve.py
sets PROMETHEUS_MULTIPROC_DIR before any worker imports this module, each process writes its samples to
files there, and a scrape answered by any one process sums them all.
"""

import hmac
import ipaddress
import os
from collections.abc import Callable, Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from app.core.errors import Forbidden, Unauthorized

__all__ = ["CONTENT_TYPE_LATEST", "check_access", "observe_photo", "observe_request", "register_depth", "render"]

disable_created_metrics()  # no *_created series: Prometheus finds resets itself, and they double the output

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds: a cached list is ~5 ms, a report or an upload on a phone link up to seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
PHOTO_BUCKETS = (0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 2.0, 5.0, 10.0)

REQUESTS = Counter("xuncha_http_requests", "HTTP requests answered, by route template and status class",
                   ["method", "route", "status"])
LATENCY = Histogram("xuncha_http_request_duration_seconds",
                    "Time from a request's arrival to its last response byte, by route template and status class",
                    ["method", "route", "status"], buckets=LATENCY_BUCKETS)
PHOTO_PROCESSING = Histogram("xuncha_photo_processing_seconds",
                             "Time an upload spends in a photo worker, waiting for one included (decode, "
                             "resize, watermark, encodes)", buckets=PHOTO_BUCKETS)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in METHODS else "other"
    status_class = f"{status // 100}xx"
    REQUESTS.labels(method, route, status_class).inc()
    LATENCY.labels(method, route, status_class).observe(seconds)


def observe_photo(seconds: float) -> None:
    PHOTO_PROCESSING.observe(seconds)


# Gauges read from the database at scrape time: (name, help, label names, rows of (*label values, value)).
_depths: list[tuple[str, str, tuple[str, ...], Callable[[], Iterable[tuple]]]] = []


def register_depth(name: str, documentation: str, labels: tuple[str, ...],
                   rows: Callable[[], Iterable[tuple]]) -> None:
    """A gauge family computed at each scrape by `rows()` (label values then the value, one tuple a series)."""
    _depths[:] = [d for d in _depths if d[0] != name]
    _depths.append((name, documentation, labels, rows))


class _DepthCollector(Collector):
    def collect(self):
        for name, documentation, labels, rows in _depths:
            family = GaugeMetricFamily(name, documentation, labels=list(labels))
            for *values, value in rows():
                family.add_metric([str(v) for v in values], value)
            yield family


def _multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir"))


def render() -> bytes:
    """The exposition text: this process's samples (or every process's, in multiprocess mode), then the
    database-held depths."""
    if _multiprocess():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        samples = generate_latest(registry)
    else:
        samples = generate_latest(REGISTRY)
    depths = CollectorRegistry(auto_describe=False)
    depths.register(_DepthCollector())
    return samples + generate_latest(depths)


_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def may_scrape(client_host: str | None, authorization: str | None, token: str) -> bool:
    """Whether this client may read the machine's figures (as /metrics serves them)."""
    try:
        check_access(client_host, authorization, token)
    except (Unauthorized, Forbidden):
        return False
    return True


def check_access(client_host: str | None, authorization: str | None, token: str) -> None:
    """A set token must come as `Authorization: Bearer <token>`; without one, only loopback clients may scrape."""
    if token:
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise Unauthorized("需要监控令牌 A metrics token is required", code="metrics_token_required")
        return
    try:
        address = ipaddress.ip_address(client_host or "")
    except ValueError:
        address = None
    if address is None or not any(address in net for net in _LOOPBACK):
        raise Forbidden("监控指标仅限本机访问 Metrics are served to this machine only (or set XUNCHA_METRICS_TOKEN)",
                        code="metrics_forbidden")
