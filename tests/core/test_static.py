"""The built PWA is sent precompressed (brotli, else gzip) from the copies the build wrote, hashed assets
cached for a year, the HTML and service worker revalidated."""

import gzip

from app.core.config import get_settings

DIST = get_settings().frontend_dist


def _largest_script():
    scripts = sorted((DIST / "assets").glob("*.js"), key=lambda p: p.stat().st_size)
    assert scripts, "frontend/dist is built by `make test` before the suite"
    return scripts[-1]


def test_a_hashed_script_is_sent_as_brotli_or_gzip_as_the_browser_accepts(client):
    script = _largest_script()
    raw = script.read_bytes()
    url = f"/assets/{script.name}"
    r = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "br" and r.headers["vary"] == "Accept-Encoding"
    assert r.headers["content-type"].startswith("text/javascript") or \
        r.headers["content-type"].startswith("application/javascript")
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    # httpx decodes brotli only with a brotli package; the bytes on the wire are the build's .br copy.
    wire = script.with_name(script.name + ".br").read_bytes()
    assert int(r.headers["content-length"]) == len(wire) < len(raw) * 0.4
    g = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert g.headers["content-encoding"] == "gzip" and g.content == raw  # httpx un-gzips: the same script
    assert int(g.headers["content-length"]) < len(raw) * 0.45
    assert len(gzip.decompress(script.with_name(script.name + ".gz").read_bytes())) == len(raw)
    # No coding accepted, or brotli refused with q=0: the plain file, or gzip.
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == raw
    refused = client.get(url, headers={"Accept-Encoding": "br;q=0, gzip;q=0.5"})
    assert refused.headers["content-encoding"] == "gzip"


def test_the_page_and_the_service_worker_are_revalidated(client):
    sw = client.get("/sw.js", headers={"Accept-Encoding": "br"})
    assert sw.status_code == 200 and sw.headers["cache-control"] == "no-cache"
    assert sw.headers["content-encoding"] == "br"  # a service worker may be sent compressed like any script
    page = client.get("/tickets/whatever", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200 and page.headers["cache-control"] == "no-cache"
    assert page.headers["content-type"].startswith("text/html") and "<div id=\"app\"" in page.text


def test_a_path_no_file_can_have_is_the_app_not_a_500(client):
    """NUL, or a name longer than the file system allows, cannot name a built file: the SPA's index.html."""
    index = (DIST / "index.html").read_bytes()
    for path in ("/a%00b", "/" + "x" * 5000, "/x/" + "a/" * 3000):
        r = client.get(path)
        assert (r.status_code, r.content) == (200, index), path[:20]


def test_a_script_of_another_build_is_404_not_the_page(client):
    """A phone still running the previous build asks for its hashed scripts: 404, so the app can say so and
    reload, rather than index.html served as JavaScript."""
    for path in ("/assets/refdata-BxITQiqt.js", "/assets/" + "a/" * 3000):
        r = client.get(path)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", path[:20]


def test_a_file_removed_by_a_new_build_while_it_is_served_is_404_not_500(client, monkeypatch):
    """`make frontend` empties dist/ and writes the new build while the server runs: a file found a moment ago
    can be gone when it is sent."""
    import pathlib

    gone = "/assets/gone-Zz9.js"
    monkeypatch.setattr(pathlib.Path, "is_file", lambda self: True)  # found, then removed before it is sent
    r = client.get(gone, headers={"Accept-Encoding": "gzip, br"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
