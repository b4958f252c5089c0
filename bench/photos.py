"""Photo pipeline benchmark: naive full-size pipeline vs app.photos.processing, single-threaded.

    .venv/bin/python bench/photos.py [--runs 20] [--size 4000x3000] [--quality 90]
    .venv/bin/python bench/photos.py --real [--runs 20]     # a real camera photo, as uploaded and as a phone sends it

--real: Lukas Baubkus's "Kleiber" (6028x3391, Debian's lomiri-wallpapers-20.04, CC BY-SA), cropped to 4000x3000
with EXIF (time, GPS) and, as the PWA sends it, shrunk to a 2048 px long edge at JPEG quality 80 (the "phone
path"). The file is looked for in /usr/share/backgrounds and ~/.cache/xuncha-bench, else fetched there with
`apt-get download` + `dpkg -x`; without either the part is skipped with a message. Each photo is measured as the
photo workers run it (their malloc thresholds, libvips on one thread), with the colour JPEG's decode and display
resize as it was (Pillow's draft decode and resize; then libvips' streamed decode for the phone's photo too) and
as it is (a phone's photo decoded whole by simplejpeg and resized by OpenCV, a camera's streamed through libvips'
decode and resize), against its codec floor: the decode the pipeline does plus the two encodes. The phone's floor
decodes with simplejpeg as the pipeline does (faster than Pillow's decode, so a lower floor; the floor with
Pillow's decode is printed beside it); the camera's with Pillow's draft (faster than libvips' own).

Both pipelines do the same work (sha256, EXIF, orient, 1600 px display with the same watermark, 320 px
thumb, two JPEG encodes); the naive one decodes at full size and resizes twice from it with LANCZOS.
"""

import argparse
import contextlib
import ctypes
import ctypes.util
import hashlib
import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.fixtures when run as a script

from app.photos import processing
from app.photos.watermark import burn_watermark, find_cjk_font
from tests.fixtures.images import make_jpeg

TZ = ZoneInfo("Asia/Shanghai")
LIMITS = {"max_bytes": 25 * 1024 * 1024, "max_pixels": 64_000_000, "camera_tz": TZ}
LINES = ["拍摄 2026-03-01 09:30  坐标 30.274100, 120.155100", "上传 督查员 张三  巡查 Xuncha"]


def naive(data: bytes) -> tuple[bytes, bytes]:
    """The obvious pipeline: full decode, orient at full size, LANCZOS from full size twice."""
    hashlib.sha256(data).hexdigest()
    im = Image.open(io.BytesIO(data))
    im.load()
    im = ImageOps.exif_transpose(im)
    display = im.resize(processing._fit(im.size, 1600), Image.Resampling.LANCZOS)
    thumb = im.resize(processing._fit(im.size, 320), Image.Resampling.LANCZOS)
    burn_watermark(display, LINES, font_path=find_cjk_font())
    out = []
    for image, quality in ((display, 82), (thumb, 75)):
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=quality, optimize=False)
        out.append(buf.getvalue())
    return out[0], out[1]


def ours(data: bytes) -> tuple[bytes, bytes]:
    """app.photos.processing.process_photo."""
    p = processing.process_photo(data, watermark=LINES, **LIMITS)
    return p.display, p.thumb


def measure(fn: Callable[[bytes], tuple[bytes, bytes]], data: bytes,
            runs: int) -> tuple[list[float], list[float], tuple]:
    """Wall-clock and CPU (the process's, libvips' threads included) ms per run; CPU time stays honest on a
    busy machine."""
    result = fn(data)  # warm-up: font load, codec init
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn(data)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return wall, cpu, result


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def stages(data: bytes, runs: int) -> dict[str, float]:
    """Median ms of each step of our pipeline, run step by step with the module's own settings."""
    timings: dict[str, list[float]] = {}

    def step(name: str, fn: Callable[[], object]) -> object:
        started = time.process_time()
        value = fn()
        timings.setdefault(name, []).append((time.process_time() - started) * 1000)
        return value

    font = find_cjk_font()
    for _ in range(runs):
        step("sha256", lambda: hashlib.sha256(data).hexdigest())
        im = step("open + header checks", lambda: processing._open(data, max_bytes=LIMITS["max_bytes"],
                                                                   max_pixels=LIMITS["max_pixels"])[0])
        size = processing._fit(im.size, processing.DISPLAY_MAX)
        step("EXIF", lambda im=im: processing._meta(im, im.size, b"", "image/jpeg", TZ))
        rgb = step("decode + resize to display",
                   lambda im=im, size=size: processing._colour_jpeg_to_display(data, im.size, size))
        thumb = step("thumb from display", lambda rgb=rgb: rgb.resize(
            processing._fit(rgb.size, processing.THUMB_MAX), processing.THUMB_RESAMPLE,
            reducing_gap=processing.THUMB_REDUCING_GAP))
        step("watermark", lambda rgb=rgb: burn_watermark(rgb, LINES, font_path=font))
        step("encode display", lambda rgb=rgb: processing._jpeg(rgb, processing.DISPLAY_QUALITY))
        step("encode thumb", lambda thumb=thumb: processing._jpeg(thumb, processing.THUMB_QUALITY))
    return {name: statistics.median(values) for name, values in timings.items()}


KLEIBER = "Kleiber_by_Lukas_Baubkus.jpg"
KLEIBER_PACKAGE = "lomiri-wallpapers-20.04"
CACHE = Path.home() / ".cache" / "xuncha-bench"


def kleiber() -> Path | None:
    """The camera photo: installed, cached, or fetched from Debian into the cache; None when it cannot be had."""
    for path in (Path("/usr/share/backgrounds") / KLEIBER, CACHE / KLEIBER):
        if path.is_file():
            return path
    if not (shutil.which("apt-get") and shutil.which("dpkg")):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        got = subprocess.run(["apt-get", "download", KLEIBER_PACKAGE], cwd=tmp, capture_output=True)
        debs = list(Path(tmp).glob("*.deb"))
        if got.returncode or not debs:
            return None
        subprocess.run(["dpkg", "-x", str(debs[0]), str(Path(tmp) / "x")], check=True)
        found = list((Path(tmp) / "x").rglob(KLEIBER))
        if not found:
            return None
        CACHE.mkdir(parents=True, exist_ok=True)
        shutil.copy(found[0], CACHE / KLEIBER)
    return CACHE / KLEIBER


def camera_photos(path: Path) -> dict[str, bytes]:
    """A 4000x3000 crop with EXIF (as a camera writes it, quality 92) and the PWA's 2048 px, quality 80 copy."""
    from tests.fixtures.images import exif_bytes
    src = Image.open(path)
    src.load()
    left, top = (src.width - 4000) // 2, (src.height - 3000) // 2
    if top < 0:  # 6028x3391: scale up to 3000 px high first, as a 12 MP sensor would have it
        src = src.resize((round(src.width * 3000 / src.height), 3000), Image.Resampling.LANCZOS)
        left, top = (src.width - 4000) // 2, 0
    crop = src.crop((left, top, left + 4000, top + 3000))
    exif = exif_bytes(lat=30.2741, lng=120.1551, taken_at="2026:03:01 09:30:00", offset=None, orientation=1)
    camera = io.BytesIO()
    crop.save(camera, "JPEG", quality=92, exif=exif)
    phone = io.BytesIO()
    crop.resize((2048, 1536), Image.Resampling.BILINEAR).save(phone, "JPEG", quality=80, exif=exif)
    return {"camera 4000x3000": camera.getvalue(), "phone 2048x1536": phone.getvalue()}


_libc = ctypes.CDLL(ctypes.util.find_library("c"))


def as_in_worker(fn: Callable[[], object]) -> Callable[[], object]:
    """As a photo worker runs it: a heap trim only past workers.TRIM_ABOVE_BYTES (real() sets the workers'
    malloc thresholds and libvips settings first)."""
    from app.photos import workers

    def run():
        try:
            return fn()
        finally:
            if workers._heap_free_bytes() > workers.TRIM_ABOVE_BYTES:
                _libc.malloc_trim(0)
    return run


def codec_floor(data: bytes, decoder: str = "pipeline") -> Callable[[], object]:
    """Decode as the pipeline does and encode a display and a thumb sized JPEG. The pipeline's decode: a phone's
    photo whole by simplejpeg, a camera's by Pillow's draft to the display size (not slower than libvips' scaled
    decode that the pipeline does); decoder="pillow": Pillow's draft for both, the floor before simplejpeg."""
    import simplejpeg

    size = Image.open(io.BytesIO(data)).size
    display = processing._fit(size, processing.DISPLAY_MAX)
    decoded = Image.open(io.BytesIO(data))
    decoded.draft("RGB", display)
    decoded = decoded.convert("RGB").resize(display)
    thumb = decoded.resize(processing._fit(display, processing.THUMB_MAX))
    whole = decoder == "pipeline" and processing._decodes_whole(size, display)

    def floor():
        if whole:
            simplejpeg.decode_jpeg(data, colorspace="RGB", strict=True)
        else:
            im = Image.open(io.BytesIO(data))
            im.draft("RGB", display)
            im.load()
        processing._jpeg(decoded, processing.DISPLAY_QUALITY)
        processing._jpeg(thumb, processing.THUMB_QUALITY)
    return floor


@contextlib.contextmanager
def pillow_decode():
    """The pipeline as it was before a colour JPEG streamed through libvips: Pillow's draft decode and resize."""
    ours_route = processing._streams_through_vips
    processing._streams_through_vips = lambda *args: False
    try:
        yield
    finally:
        processing._streams_through_vips = ours_route


@contextlib.contextmanager
def vips_decode():
    """The pipeline as it was before simplejpeg: a phone's photo streamed through libvips' decode too."""
    whole = processing.WHOLE_DECODE_MAX_PIXELS
    processing.WHOLE_DECODE_MAX_PIXELS = 0
    try:
        yield
    finally:
        processing.WHOLE_DECODE_MAX_PIXELS = whole


@contextlib.contextmanager
def libvips_resize():
    """The pipeline as it was before OpenCV: a phone's decoded photo resized by libvips too."""
    ratio = processing.OPENCV_RESIZE_MAX_RATIO
    processing.OPENCV_RESIZE_MAX_RATIO = 0
    try:
        yield
    finally:
        processing.OPENCV_RESIZE_MAX_RATIO = ratio


def cpu_and_faults(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median CPU ms (the process's) and mean minor page faults per run."""
    fn()
    cpu = []
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(runs):
        started = time.process_time()
        fn()
        cpu.append((time.process_time() - started) * 1000)
    return statistics.median(cpu), (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / runs


def real(runs: int) -> None:
    path = kleiber()
    if path is None:
        print(f"--real skipped: {KLEIBER} not found and `apt-get download {KLEIBER_PACKAGE}` failed")
        return
    print(f"{path.name}: {Image.open(path).size[0]}x{Image.open(path).size[1]}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; {runs} runs, one thread, CPU medians; a row's "
          f"floors measured just before it\n")
    print(f"{'photo':<18}{'bytes':>11}{'pipeline':>10}{'faults':>8}{'codec floor':>13}{'ratio':>7}"
          f"{'display':>10}{'thumb':>8}{'floor, Pillow decode':>22}{'ratio':>7}")
    photos = camera_photos(path)
    from app.photos import workers
    workers._init_worker()  # malloc thresholds, libvips on one thread without its cache (and nice 10)
    for label, route in (("before: Pillow's decode and display resize", pillow_decode),
                         ("before: libvips' streamed decode (the phone's too), libvips' resize", vips_decode),
                         ("before: simplejpeg's decode (phone) or libvips' streamed (camera), libvips' resize",
                          libvips_resize),
                         ("now: the phone's decoded by simplejpeg, resized by OpenCV; the camera's as before",
                          contextlib.nullcontext)):
        print(label)
        with route():
            for name, data in photos.items():
                # the floors just before the row, so that a drift in the machine's speed shifts both alike
                floor = cpu_and_faults(codec_floor(data), runs)[0]
                pillow_floor = cpu_and_faults(codec_floor(data, "pillow"), runs)[0]
                ms, faults = cpu_and_faults(as_in_worker(lambda data=data: ours(data)), runs)
                display, thumb = ours(data)
                print(f"{name:<18}{len(data):>11,}{ms:>8.1f}ms{faults:>8.0f}{floor:>11.1f}ms"
                      f"{ms / floor:>6.1f}x{len(display):>10,}{len(thumb):>8,}"
                      f"{pillow_floor:>20.1f}ms{ms / pillow_floor:>6.1f}x")
    for name, data in photos.items():
        print(f"{name} step by step (median CPU ms): "
              + ", ".join(f"{k} {v:.1f}" for k, v in stages(data, runs).items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--size", default="4000x3000")
    parser.add_argument("--quality", type=int, default=90, help="JPEG quality of the generated source photo")
    parser.add_argument("--real", action="store_true", help="only the real camera photo (see above)")
    args = parser.parse_args()
    if args.real:
        return real(args.runs)
    width, height = (int(v) for v in args.size.split("x"))

    print(f"generating a {width}x{height} photo-like JPEG (gradients, texture, grain, edges, EXIF+GPS) ...")
    data = make_jpeg(width, height, lat=30.2741, lng=120.1551, taken_at="2026:03:01 09:30:00",
                     pattern="noise", quality=args.quality)
    portrait = make_jpeg(width, height, lat=30.2741, lng=120.1551, taken_at="2026:03:01 09:30:00",
                         pattern="noise", quality=args.quality, orientation=6)
    print(f"source: {len(data) / 1e6:.2f} MB, {width * height / 1e6:.1f} MP, runs={args.runs}, one thread, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")

    rows = [("naive", naive, data), ("ours", ours, data), ("ours, Orientation=6", ours, portrait)]
    medians = {}
    print(f"{'pipeline':<21}{'wall median':>12}{'p95':>7}{'CPU median':>11}{'p95':>7}{'display':>11}{'thumb':>9}")
    for name, fn, src in rows:
        wall, cpu, (display, thumb) = measure(fn, src, args.runs)
        medians[name] = statistics.median(cpu)
        print(f"{name:<21}{statistics.median(wall):>10.1f}ms{p95(wall):>7.1f}{medians[name]:>9.1f}ms"
              f"{p95(cpu):>7.1f}{len(display):>10,}B{len(thumb):>8,}B")
    print(f"\nspeed-up (naive / ours, CPU medians): {medians['naive'] / medians['ours']:.1f}x")

    with pillow_decode():
        _, cpu, _ = measure(ours, data, max(5, args.runs // 2))
    print(f"ours with Pillow's decode and resize (before libvips'): {statistics.median(cpu):.1f} ms CPU")

    print("\nour pipeline step by step (median CPU ms):")
    for name, ms in stages(data, args.runs).items():
        print(f"  {name:<22}{ms:>7.1f}")


if __name__ == "__main__":
    main()
