"""Every response carries the security headers; every HTML page a Content-Security-Policy that allows no
inline script (the API docs: only their own init script, by hash) and no external script or style."""

import re

import pytest

from app.core.config import Settings, get_settings
from app.core.headers import inline_script_hashes, parse_sources
from tests.conftest import login
from tests.stats.test_exports import _overdue_ticket_with_photos


def _directives(csp: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (x.strip() for x in csp.split(";")) if d}


def _assert_strict(csp: str, allowed_hashes: list[str] = ()) -> dict[str, list[str]]:
    d = _directives(csp)
    assert d["script-src"] == ["'self'", *(f"'{h}'" for h in allowed_hashes)]
    assert d["object-src"] == ["'none'"] and d["frame-ancestors"] == ["'none'"] and d["base-uri"] == ["'self'"]
    assert d["connect-src"] == ["'self'"] and d["default-src"] == ["'self'"]
    assert d["style-src"] == ["'self'", "'unsafe-inline'"]
    assert {"'self'", "blob:", "data:", *get_settings().map_tile_hosts} <= set(d["img-src"])
    return d


def test_every_html_page_has_a_strict_csp(client, db):
    t, _unit, _staff, dispatcher = _overdue_ticket_with_photos(db, description="<img src=x onerror=alert(1)>")
    h = login(client, dispatcher)
    pages = {
        "/": {}, "/login": {}, "/tickets/whatever": {}, "/dashboard?period=month": {},
        "/api/stats/bulletin.html": h, f"/api/stats/notice/{t.id}.html": h,
    }
    for path, headers in pages.items():
        r = client.get(path, headers=headers)
        assert r.status_code == 200, (path, r.text[:200])
        assert r.headers["content-type"].startswith("text/html"), path
        _assert_strict(r.headers["content-security-policy"])
        assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"
        # No inline script and no inline event handler in our own pages (the CSP would block them).
        assert not inline_script_hashes(r.text), path
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", r.text), path
    # JSON, errors and photos carry the headers too.
    for path in ("/api/health", "/api/nothing-here"):
        assert "content-security-policy" in client.get(path).headers


def test_api_docs_are_self_hosted_and_their_only_inline_script_is_hashed(client):
    r = client.get("/api/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    hashes = inline_script_hashes(r.text)
    assert len(hashes) == 1
    _assert_strict(r.headers["content-security-policy"], hashes)
    urls = re.findall(r'(?:src|href)="([^"]+)"', r.text) + re.findall(r"url: '([^']+)'", r.text)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert '"validatorUrl": null' in r.text  # no badge from the online validator
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200, url
    assert client.get("/swagger-ui/swagger-ui-bundle.js").headers["content-type"].startswith(("text/javascript", "application/javascript"))


@pytest.mark.parametrize("value", ["https://x.example; script-src *", "'unsafe-inline'", "https://a.example 'none'",
                                   "javascript:alert(1)//x y'"])
def test_bad_img_sources_are_refused_at_start(value):
    with pytest.raises(ValueError):
        Settings(csp_img_sources=value)
    with pytest.raises(ValueError):
        parse_sources(value)


def test_img_sources_are_configurable(monkeypatch):
    monkeypatch.setenv("XUNCHA_CSP_IMG_SOURCES", "https://tiles.example.org, https://*.tianditu.gov.cn:443")
    assert parse_sources(Settings().csp_img_sources) == ["https://tiles.example.org", "https://*.tianditu.gov.cn:443"]


def test_a_unit_gets_the_headers_on_its_notice(client, db):
    t, _unit, staff, _dispatcher = _overdue_ticket_with_photos(db)
    r = client.get(f"/api/stats/notice/{t.id}.html", headers=login(client, staff))
    assert r.status_code == 200
    _assert_strict(r.headers["content-security-policy"])
