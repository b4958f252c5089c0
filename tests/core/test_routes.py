"""The app's routes: FastAPI tries them one by one in the order app/main.py includes them, so that order is
chosen for speed (the health check first, then the routers phones call most); it may only be, if no request
could match routes of two routers: every API path and method matches routes of one router only (inside a router
its own order decides, e.g. /api/tickets/bulk/dispatch before /api/tickets/{ticket_id}/dispatch)."""

import re

from fastapi.routing import APIRoute
from starlette.routing import compile_path

from app.main import app

SAMPLE_ID = "00000000-0000-4000-8000-000000000001"


def _api_routes() -> list[tuple[int, str, str, re.Pattern]]:
    """(router's place, method, path, path regex) of every API route: the app's own and each included router's."""
    out = []
    for place, top in enumerate(app.router.routes):
        router = getattr(top, "original_router", None)
        for route in router.routes if router is not None else [top]:
            if isinstance(route, APIRoute) and route.path.startswith("/api/"):
                out += [(place, method, route.path, compile_path(route.path)[0]) for method in route.methods]
    return out


def _sample(path: str) -> str:
    """A concrete URL of a path template (an id for every parameter; no route here types its parameters)."""
    return re.sub(r"\{[^}]+\}", SAMPLE_ID, path)


def _routers_matching(routes, method: str, url: str) -> set[int]:
    return {place for place, m, _, regex in routes if m == method and regex.match(url)}


def test_no_api_request_matches_routes_of_two_routers_so_their_order_is_free():
    routes = _api_routes()
    assert len(routes) > 100 and len({place for place, *_ in routes}) > 14
    for place, method, path, _ in routes:
        url = _sample(path)
        assert _routers_matching(routes, method, url) == {place}, f"{method} {url}"


def test_a_route_shadowing_another_routers_would_be_caught():
    """The check above can fail: a made-up route of another router that a ticket's URL also matches."""
    routes = _api_routes() + [(999, "GET", "/api/tickets/{x}", compile_path("/api/tickets/{x}")[0])]
    assert len(_routers_matching(routes, "GET", _sample("/api/tickets/{ticket_id}"))) == 2


def test_the_health_check_is_tried_before_every_router(client):
    paths = [getattr(r, "path", None) for r in app.router.routes]
    first_router = next(i for i, r in enumerate(app.router.routes) if hasattr(r, "original_router"))
    assert paths.index("/api/health") < first_router
    assert client.get("/api/health").json() == {"ok": True}
