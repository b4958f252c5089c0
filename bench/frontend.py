"""Frontend numbers (a script, not a test): bundle weight, Lighthouse scores, bytes per photo.

    .venv/bin/python bench/frontend.py [--no-lighthouse] [--only-workbench] [--build]

1. Gzipped JS+CSS that the first screen (login) actually loads — recorded from Chromium — and of the
   whole app (every JS/CSS file in frontend/dist/assets).
2. Lighthouse (frontend/node_modules/.bin/lighthouse, mobile preset, simulated throttling) performance
   and accessibility for /login and, logged in, /capture; with the desktop preset, the dispatcher's
   /workbench (issue 14: ≥ 90 performance, 100 accessibility). Chromium is started by this script with a
   profile that holds a login token, and Lighthouse attaches to it (--port, --disable-storage-reset).
   `--only-workbench` runs that one alone.
3. Bytes sent per photo: a 12 MP (4000×3000) JPEG goes through the real capture screen (phone-side
   downscale) and the outbox uploads it; the multipart request body is measured.

It starts the real backend on a free loopback port with a fresh temp database (migrate + demo seed).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FRONTEND = ROOT / "frontend"
DIST = FRONTEND / "dist"
CHROMIUM = os.environ.get("XUNCHA_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), 9))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_backend(tmp: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
    env.update(XUNCHA_DATABASE_URL=f"sqlite:///{tmp / 'bench.db'}", XUNCHA_MEDIA_DIR=str(tmp / "media"),
               XUNCHA_FRONTEND_DIST=str(DIST), XUNCHA_LOGIN_MAX_FAILURES="1000")
    bindir = Path(sys.executable).parent
    subprocess.run([str(bindir / "alembic"), "upgrade", "head"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "app.demo.seed"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port),
                             "--log-level", "warning"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("backend did not start")


def bundle_numbers(base: str) -> dict:
    from playwright.sync_api import sync_playwright

    loaded: set[str] = set()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        ctx = b.new_context(service_workers="block")
        page = ctx.new_page()
        page.on("response", lambda r: loaded.add(r.url))
        page.goto(f"{base}/login", wait_until="networkidle")
        b.close()
    first = [u.split(base, 1)[1] for u in loaded if re.search(r"\.(js|css)$", u)]
    first_files = [DIST / u.lstrip("/") for u in first if (DIST / u.lstrip("/")).exists()]
    all_files = [f for f in (DIST / "assets").iterdir() if f.suffix in (".js", ".css")]
    return {
        "first_screen_gzip_kb": round(sum(gz(f) for f in first_files) / 1024, 1),
        "first_screen_files": len(first_files),
        "whole_app_gzip_kb": round(sum(gz(f) for f in all_files) / 1024, 1),
        "whole_app_files": len(all_files),
        **precache(),
    }


def precache() -> dict:
    """What the service worker downloads at install: the files its precache manifest lists (not every file of
    dist/, which also holds the .gz/.br copies nginx serves and the lazy desktop chunks)."""
    urls = set(re.findall(r'url:"([^"]+)"', (DIST / "sw.js").read_text()))
    files = [DIST / u for u in urls if (DIST / u).is_file()]
    return {"service_worker_precache_files": len(files),
            "service_worker_precache_kb_raw": round(sum(f.stat().st_size for f in files) / 1024, 1)}


def logged_in_profile(base: str, profile: Path, username: str = "inspector"):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = ctx.new_page()
        page.goto(f"{base}/login")
        page.fill("[data-testid=username] input", username)
        page.fill("[data-testid=password] input", "demo1234")
        page.click("[data-testid=login-submit]")
        page.wait_for_url(lambda u: "/login" not in u)
        ctx.close()


def lighthouse(url: str, profile: Path | None, out: Path, desktop: bool = False) -> dict:
    lh = FRONTEND / "node_modules" / ".bin" / "lighthouse"
    if not lh.exists():
        return {"error": "lighthouse not installed (make frontend)"}
    port = free_port()
    udd = profile or Path(tempfile.mkdtemp(prefix="lh-profile-"))
    chrome = subprocess.Popen([CHROMIUM, *FLAGS, "--headless=new", f"--remote-debugging-port={port}",
                               f"--user-data-dir={udd}", "about:blank"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/json/version", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        cmd = [str(lh), url, f"--port={port}", "--only-categories=performance,accessibility", "--output=json",
               f"--output-path={out}", "--quiet", "--disable-storage-reset", "--max-wait-for-load=30000"]
        if desktop:
            cmd.append("--preset=desktop")
        env = {**os.environ, "CHROME_PATH": CHROMIUM}
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
        if r.returncode != 0 or not out.exists():
            return {"error": (r.stderr or r.stdout)[-500:]}
        rep = json.loads(out.read_text())
        cats = rep["categories"]
        audits = rep["audits"]
        res = {
            "performance": round(cats["performance"]["score"] * 100),
            "accessibility": round(cats["accessibility"]["score"] * 100),
            "final_url": rep.get("finalDisplayedUrl") or rep.get("finalUrl"),
        }
        for k in ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift"):
            if k in audits:
                res[k] = audits[k].get("displayValue")
        failing = [a for a, v in audits.items() if v.get("score") == 0 and v.get("scoreDisplayMode") == "binary"]
        # what costs accessibility points, with the elements Lighthouse names
        res["accessibility_failures"] = {
            a["id"]: [i.get("node", {}).get("snippet", "")[:160] for i in (a.get("details") or {}).get("items", [])][:5]
            for a in (audits[ref["id"]] for ref in cats["accessibility"]["auditRefs"] if ref.get("weight"))
            if a.get("score") is not None and a["score"] < 1}
        if failing:
            res["failing_binary_audits"] = failing[:10]
        return res
    finally:
        chrome.terminate()
        chrome.wait(10)


def photo_bytes(base: str, tmp: Path) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.fixtures.images import make_jpeg

    src = tmp / "12mp.jpg"
    src.write_bytes(make_jpeg(4000, 3000, lat=30.2741, lng=120.1551, taken_at="2026-11-21T09:00:00",
                              pattern="noise", seed=7, quality=92))
    sent: list[int] = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        ctx = b.new_context(geolocation={"latitude": 30.2741, "longitude": 120.1551, "accuracy": 8},
                            permissions=["geolocation"], service_workers="block", viewport={"width": 390, "height": 844})
        page = ctx.new_page()
        def on_done(r):
            if r.method == "POST" and r.url.endswith("/api/photos"):
                h = r.all_headers()
                sent.append(int(h.get("content-length") or r.sizes()["requestBodySize"] or 0))

        page.on("requestfinished", on_done)
        page.goto(f"{base}/login")
        page.fill("[data-testid=username] input", "inspector")
        page.fill("[data-testid=password] input", "demo1234")
        page.click("[data-testid=login-submit]")
        page.wait_for_url(lambda u: "/capture" in u)
        page.set_input_files("[data-testid=photo-input]", str(src))
        t0 = time.time()
        page.wait_for_selector("[data-testid=picked-photo]", timeout=60_000)
        process_s = time.time() - t0
        stored = page.evaluate("""() => new Promise((res) => {
            const r = indexedDB.open('xuncha'); r.onsuccess = () => {
              const tx = r.result.transaction('blobs'); const q = tx.objectStore('blobs').getAll();
              q.onsuccess = () => res(q.result.map(b => ({size: b.bytes.byteLength, w: b.width, h: b.height})));
            };
        })""")
        page.click("[data-testid=category-field]")
        page.fill("[data-testid=category-search] input", "06005")
        page.click(".cat-option[data-code='06005']")
        page.fill("[data-testid=description] textarea", "bench photo")
        page.click("[data-testid=capture-submit]")
        for _ in range(200):
            if sent:
                break
            page.wait_for_timeout(100)
        page.wait_for_timeout(500)
        b.close()
    return {
        "original_bytes": src.stat().st_size,
        "original_px": "4000x3000",
        "stored_on_phone_bytes": stored[0]["size"] if stored else None,
        "stored_px": f"{stored[0]['w']}x{stored[0]['h']}" if stored else None,
        "upload_request_bytes": sent[0] if sent else None,
        "reduction": round(src.stat().st_size / sent[0], 1) if sent and sent[0] else None,
        "phone_side_processing_s": round(process_s, 2),
    }


def workbench(base: str, tmp: Path, out_dir: Path, results: dict) -> None:
    """Lighthouse desktop preset on the dispatcher's workbench (the office's desk, 1350×940)."""
    profile = tmp / "profile-dispatcher"
    logged_in_profile(base, profile, "dispatcher")
    results["lighthouse_workbench_desktop"] = lighthouse(f"{base}/workbench", profile,
                                                         out_dir / "lighthouse-workbench.json", desktop=True)
    print("lighthouse /workbench (desktop):", json.dumps(results["lighthouse_workbench_desktop"], ensure_ascii=False),
          flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-lighthouse", action="store_true")
    ap.add_argument("--build", action="store_true", help="run npm run build first")
    ap.add_argument("--only-workbench", action="store_true", help="only Lighthouse desktop on /workbench")
    args = ap.parse_args()
    if args.build or not (DIST / "index.html").exists():
        subprocess.run(["npm", "run", "build"], cwd=FRONTEND, check=True)
    tmp = Path(tempfile.mkdtemp(prefix="xuncha-bench-"))
    out_dir = ROOT / "bench" / "output"
    out_dir.mkdir(exist_ok=True)
    proc, base = start_backend(tmp)
    results: dict = {}
    try:
        if args.only_workbench:
            workbench(base, tmp, out_dir, results)
            return
        results["bundle"] = bundle_numbers(base)
        print("bundle:", json.dumps(results["bundle"], ensure_ascii=False), flush=True)
        results["photo"] = photo_bytes(base, tmp)
        print("photo:", json.dumps(results["photo"], ensure_ascii=False), flush=True)
        if not args.no_lighthouse:
            results["lighthouse_login"] = lighthouse(f"{base}/login", None, out_dir / "lighthouse-login.json")
            print("lighthouse /login:", json.dumps(results["lighthouse_login"], ensure_ascii=False), flush=True)
            profile = tmp / "profile"
            logged_in_profile(base, profile)
            results["lighthouse_capture"] = lighthouse(f"{base}/capture", profile, out_dir / "lighthouse-capture.json")
            print("lighthouse /capture:", json.dumps(results["lighthouse_capture"], ensure_ascii=False), flush=True)
            workbench(base, tmp, out_dir, results)
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    (out_dir / "frontend.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
