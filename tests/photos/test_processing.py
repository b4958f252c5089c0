"""The photo pipeline on real generated images: types, limits, EXIF, orientation, outputs, watermark."""

import hashlib
import io
import random
import resource
import struct
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import pytest
import pyvips
import simplejpeg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageChops, ImageCms, ImageFile, ImageStat, JpegImagePlugin, PngImagePlugin
from PIL.TiffImagePlugin import IFDRational

from app.photos import processing, watermark
from app.photos.processing import MAX_SIDE, EvidenceWatermark, PhotoError, process_photo, read_header
from tests.fixtures.images import (
    PDF_BYTES,
    TEXT_BYTES,
    display_p3_icc,
    exif_bytes,
    make_big_webp,
    make_bomb_png,
    make_heic,
    make_image,
    make_jpeg,
    make_other,
    make_png,
    make_webp,
    truncated_jpeg,
)
from tests.fixtures.make_fixtures import write_fixture_set

SHANGHAI = ZoneInfo("Asia/Shanghai")
LIMITS = {"max_bytes": 25 * 1024 * 1024, "max_pixels": 64_000_000, "camera_tz": SHANGHAI}
WM = ["拍摄 2026-03-01 09:30  坐标 30.274100, 120.155100", "上传 张三  巡查 Xuncha"]


def process(data: bytes, **kw) -> processing.ProcessedPhoto:
    return process_photo(data, **(LIMITS | kw))


def opened(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def is_marker(px: tuple[int, ...]) -> bool:
    return px[0] > 200 and px[1] < 60 and px[2] < 60


def quadrant_pixels(im: Image.Image) -> dict[str, tuple[int, ...]]:
    # sample well inside each corner, above where a watermark band would be
    w, h = im.size
    x0, x1, y0, y1 = w // 16, w - 1 - w // 16, h // 16, h - 1 - h // 16
    return {"TL": im.getpixel((x0, y0)), "TR": im.getpixel((x1, y0)),
            "BL": im.getpixel((x0, y1)), "BR": im.getpixel((x1, y1))}


# ---- accepted types and metadata -------------------------------------------------------------------

def test_jpeg_metadata_comes_from_exif_and_original_is_hashed():
    data = make_jpeg(1200, 900, lat=30.2741, lng=120.1551, taken_at=datetime(2026, 3, 1, 9, 30, 15))
    before = bytes(data)
    p = process(data)
    assert p.content_type == "image/jpeg"
    assert (p.width, p.height) == (1200, 900)
    assert p.sha256 == hashlib.sha256(before).hexdigest()
    assert data == before
    # naive camera wall clock read in Asia/Shanghai (UTC+8), returned as aware UTC
    assert p.taken_at == datetime(2026, 3, 1, 1, 30, 15, tzinfo=UTC)
    assert p.exif_lat == pytest.approx(30.2741, abs=1e-6)
    assert p.exif_lng == pytest.approx(120.1551, abs=1e-6)


def test_gps_sign_comes_from_the_ref_tags():
    p = process(make_jpeg(lat=-33.4489, lng=-70.6693))
    assert p.exif_lat == pytest.approx(-33.4489, abs=1e-6)
    assert p.exif_lng == pytest.approx(-70.6693, abs=1e-6)


def test_offset_time_original_wins_over_camera_tz():
    p = process(make_jpeg(taken_at=datetime(2026, 3, 1, 9, 30), offset="+02:00"))
    assert p.taken_at == datetime(2026, 3, 1, 7, 30, tzinfo=UTC)


def test_camera_tz_is_applied_to_naive_exif_time():
    data = make_jpeg(taken_at=datetime(2026, 7, 1, 12, 0))
    assert process(data, camera_tz=ZoneInfo("Europe/Berlin")).taken_at == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


def test_sloppy_iso_exif_time_is_still_read():
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2026-03-01T09:30:00\x00"
    assert process(make_jpeg(exif=exif.tobytes())).taken_at == datetime(2026, 3, 1, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize("exif", [
    pytest.param(b"", id="no-exif"),
    pytest.param(exif_bytes(taken_at="0000:00:00 00:00:00", lat=0.0, lng=0.0), id="no-clock-no-fix"),
    pytest.param(exif_bytes(taken_at="garbage"), id="bad-date"),
    pytest.param(exif_bytes(gps_raw={1: "N", 2: (IFDRational(30, 0), IFDRational(0), IFDRational(0)),
                                     3: "E", 4: (IFDRational(120), IFDRational(0), IFDRational(0))}),
                 id="zero-denominator"),
    pytest.param(exif_bytes(lat=30.27, lng=120.15, gps_raw={9: "V"}), id="gps-void"),
    pytest.param(exif_bytes(gps_raw={2: (IFDRational(30), IFDRational(0), IFDRational(0)),
                                     4: (IFDRational(120), IFDRational(0), IFDRational(0))}),
                 id="missing-ref"),
    pytest.param(exif_bytes(gps_raw={1: "N", 2: (IFDRational(95), IFDRational(0), IFDRational(0)),
                                     3: "E", 4: (IFDRational(120), IFDRational(0), IFDRational(0))}),
                 id="latitude-out-of-range"),
])
def test_missing_or_bogus_exif_gives_none_not_an_error(exif):
    p = process(make_jpeg(exif=exif))
    assert (p.taken_at, p.exif_lat, p.exif_lng) == (None, None, None)
    assert (p.width, p.height) == (1200, 900)


def test_png_is_accepted():
    p = process(make_png(640, 480))
    assert p.content_type == "image/png"
    assert opened(p.display).size == (640, 480)


def test_png_exif_is_read():
    p = process(make_png(640, 480, exif=exif_bytes(lat=30.5, lng=114.3, taken_at="2026:01:02 03:04:05")))
    assert p.exif_lat == pytest.approx(30.5)
    assert p.taken_at == datetime(2026, 1, 1, 19, 4, 5, tzinfo=UTC)


def test_webp_is_accepted_with_its_exif():
    p = process(make_webp(800, 600, lat=39.9042, lng=116.4074, taken_at="2026:05:04 08:00:00"))
    assert p.content_type == "image/webp"
    assert p.exif_lat == pytest.approx(39.9042, abs=1e-6)
    assert p.taken_at == datetime(2026, 5, 4, 0, 0, tzinfo=UTC)
    assert opened(p.display).size == (800, 600)


def test_heic_is_accepted_with_its_exif():
    p = process(make_heic(640, 480, lat=31.2304, lng=121.4737, taken_at="2026:02:03 10:00:00"))
    assert p.content_type == "image/heic"
    assert (p.width, p.height) == (640, 480)
    assert p.exif_lng == pytest.approx(121.4737, abs=1e-6)
    assert p.taken_at == datetime(2026, 2, 3, 2, 0, tzinfo=UTC)
    assert is_marker(quadrant_pixels(opened(p.display))["TL"])


def test_heic_rotation_is_applied_exactly_once():
    # libheif applies the irot box and pillow_heif resets EXIF Orientation: no double rotation
    p = process(make_heic(640, 480, orientation=6))
    display = opened(p.display)
    assert (p.width, p.height) == display.size == (480, 640)
    corners = quadrant_pixels(display)
    assert is_marker(corners["TR"]) and not is_marker(corners["TL"])


@pytest.mark.parametrize("size, display_size", [((640, 480), (640, 480)), ((2400, 1800), (1600, 1200))],
                         ids=["display-sized", "resized"])
@pytest.mark.parametrize("mode", ["L", "CMYK"])
def test_grey_and_cmyk_jpegs_become_rgb(mode, size, display_size):
    """They take Pillow's decode (libvips streams colour JPEGs only), resized or not."""
    display = opened(process(make_jpeg(*size, mode=mode)).display)
    assert display.mode == "RGB"
    assert display.size == display_size
    assert is_marker(quadrant_pixels(display.convert("RGB"))["TL"]) == (mode == "CMYK")  # grey: no red corner


@pytest.mark.parametrize("mode", ["P", "LA", "1"])
def test_png_modes_become_rgb(mode):
    assert opened(process(make_png(320, 240, mode=mode)).display).mode == "RGB"


def test_sixteen_bit_png_keeps_its_grey_level():
    im = Image.frombytes("I;16", (64, 48), struct.pack("<H", 32768) * (64 * 48))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    px = opened(process(buf.getvalue()).display).getpixel((32, 24))
    assert all(120 <= v <= 136 for v in px)  # not clipped to white


def test_transparency_is_flattened_on_white():
    display = opened(process(make_png(400, 300, transparent_box=True)).display)
    assert all(v >= 250 for v in display.getpixel((350, 150)))
    assert display.getpixel((150, 150))[2] < 200  # the opaque half keeps its colour


# ---- rejected input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [
    pytest.param(make_other("GIF"), id="gif"),
    pytest.param(make_other("BMP"), id="bmp"),
    pytest.param(make_other("TIFF"), id="tiff"),
    pytest.param(make_other("ICO"), id="ico"),
    pytest.param(PDF_BYTES, id="pdf"),
    pytest.param(TEXT_BYTES, id="text"),
    pytest.param(b"", id="empty"),
    pytest.param(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 64, id="avif"),
    pytest.param(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64, id="mp4"),
])
def test_other_types_are_unsupported(data):
    with pytest.raises(PhotoError) as err:
        process(data)
    assert (err.value.code, err.value.status) == ("unsupported_type", 415)


@pytest.mark.parametrize("progressive", [False, True], ids=["baseline", "progressive"])
def test_truncated_jpeg_is_corrupt(progressive):
    data = truncated_jpeg(progressive=progressive)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    # The header is intact, so this exercises the full pixel decode, not the header parser.
    assert Image.open(io.BytesIO(data)).size == (1200, 900)
    with pytest.raises(PhotoError) as err:
        process(data)
    assert (err.value.code, err.value.status) == ("corrupt_image", 422)


@pytest.mark.parametrize("size", [(4000, 3000), (2048, 1536), (1601, 1200)], ids=["half-scale", "phone", "1px"])
@pytest.mark.parametrize("progressive", [False, True], ids=["baseline", "progressive"])
@pytest.mark.parametrize("keep", [0.8, 0.3])
def test_truncated_jpeg_is_caught_even_when_streamed_into_its_resize(size, progressive, keep):
    data = make_jpeg(*size, lat=30.0, lng=120.0, pattern="noise", progressive=progressive)
    with pytest.raises(PhotoError) as err:
        process(data[: int(len(data) * keep)])
    assert (err.value.code, err.value.status) == ("corrupt_image", 422)


def _outcome(data: bytes) -> str:
    try:
        process(data)
    except PhotoError as err:
        return err.code
    return "stored"


@pytest.mark.parametrize("marker, expected", [
    (b"\xff\xc4", "corrupt_image"), (b"\xff\xdb", "corrupt_image"),  # a stray table marker cuts a scan short
    (b"\xff\xd9", "stored"), (b"\xff\xe1", "stored"),  # libjpeg reads on, and so does Pillow
], ids=["DHT", "DQT", "EOI", "APP1"])
@pytest.mark.parametrize("where", [0.3, 0.7])
def test_a_marker_inside_the_scan_is_judged_as_pillow_judges_it(marker, expected, where, monkeypatch):
    """libvips calls fewer files broken than Pillow does: a phone photo it streams must get Pillow's verdict."""
    data = make_jpeg(2048, 1536, pattern="noise")
    scan = data.index(b"\xff\xda")
    at = scan + int((len(data) - scan) * where)
    damaged = data[:at] + marker + data[at + 2:]
    assert _outcome(damaged) == expected
    monkeypatch.setattr(processing, "_streams_through_vips", lambda *args: False)
    assert _outcome(damaged) == expected  # Pillow's own verdict, the one the streamed path must keep


@pytest.mark.parametrize("data", [
    pytest.param(b"\xff\xd8\xff\xe0" + b"\x13\x37" * 500, id="jpeg-magic-then-garbage"),
    pytest.param(make_png(400, 300, pattern="noise")[:-200], id="truncated-png"),
    pytest.param(make_webp(400, 300, pattern="noise")[:16000], id="truncated-webp"),
    pytest.param(make_heic(320, 240, pattern="noise")[:20000], id="truncated-heic"),
])
def test_broken_files_are_corrupt(data):
    with pytest.raises(PhotoError) as err:
        process(data)
    assert err.value.code == "corrupt_image"


def test_too_large_is_checked_before_anything_else():
    with pytest.raises(PhotoError) as err:
        process(b"not an image at all" * 10, max_bytes=100)
    assert (err.value.code, err.value.status) == ("too_large", 413)
    process(make_jpeg(64, 48), max_bytes=len(make_jpeg(64, 48)))  # exactly at the limit is fine


def test_decompression_bomb_is_rejected_fast_from_the_header():
    bomb = make_bomb_png(20000, 20000)
    assert len(bomb) < 200_000  # small on disk, 400 MP when decoded
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with pytest.raises(PhotoError) as err:
        process(bomb)
    elapsed = time.perf_counter() - started
    assert (err.value.code, err.value.status) == ("too_many_pixels", 413)
    assert elapsed < 0.1
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before < 100_000  # KiB: no 400 MB buffer


def test_an_image_longer_than_any_panorama_is_refused_from_the_header():
    """1 px wide and 60 million tall passed the pixel limit and cost a photo worker 16-30 s to decode (a 116 KB PNG):
    the longest side is bounded, checked before any pixel is read."""
    started = time.perf_counter()
    for size in ((1, MAX_SIDE + 1), (MAX_SIDE + 1, 1)):
        with pytest.raises(PhotoError) as err:
            process(make_bomb_png(*size))
        assert (err.value.code, err.value.status) == ("too_many_pixels", 413)
        assert f"{MAX_SIDE} px" in err.value.message
    assert time.perf_counter() - started < 0.5
    assert process(make_bomb_png(1, MAX_SIDE)).display  # a panorama's length is still taken


def test_bomb_is_rejected_even_with_a_huge_limit():
    with pytest.raises(PhotoError) as err:  # Pillow's own DecompressionBombError path
        process(make_bomb_png(20000, 20000), max_pixels=10**12)
    assert err.value.code == "too_many_pixels"


_PEAK = """
import resource, sys
from zoneinfo import ZoneInfo
from app.photos.processing import process_photo
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
p = process_photo(data, watermark=["巡查"], max_bytes=25 << 20, max_pixels=64_000_000,
                  camera_tz=ZoneInfo("Asia/Shanghai"))
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024, p.width, p.height)
"""


@pytest.mark.parametrize("make", [
    pytest.param(lambda: make_bomb_png(7999, 7999), id="1-bit-png-7999x7999"),
    pytest.param(make_big_webp, id="webp-8000x8000"),
    pytest.param(lambda: make_jpeg(8000, 8000), id="jpeg-8000x8000"),  # streamed from a 1/4 decode: ~26 MB
])
def test_images_at_the_pixel_limit_decode_in_bounded_memory(make, tmp_path: Path):
    # Files that decode to 64 MP: a full-size decode costs 0.2-1 GB; a reduced-size one a fraction.
    source = tmp_path / "big"
    source.write_bytes(make())
    out = subprocess.run([sys.executable, "-c", _PEAK, str(source)], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[2], check=True).stdout.split()
    grown_mb, width, height = (int(v) for v in out)
    assert (width, height) in ((7999, 7999), (8000, 8000))
    assert grown_mb < 150


def test_heic_has_its_own_pixel_limit():
    # libheif can only decode at full size, so HEIC gets a lower limit than the formats decoded reduced.
    heic = make_heic(640, 480)
    with pytest.raises(PhotoError) as err:
        process(heic, max_heic_pixels=640 * 480 - 1)
    assert (err.value.code, err.value.status) == ("too_many_pixels", 413)
    assert process(heic, max_heic_pixels=640 * 480).width == 640
    assert process(make_jpeg(1200, 900), max_heic_pixels=640 * 480).width == 1200  # not for other types


def test_display_p3_png_is_converted_to_srgb_once():
    im = make_image(64, 48, pattern="solid", color=(200, 100, 50))
    plain, tagged = io.BytesIO(), io.BytesIO()
    im.save(plain, "PNG")
    im.save(tagged, "PNG", icc_profile=display_p3_icc())
    r0, _, b0 = opened(process(plain.getvalue()).display).getpixel((32, 24))
    r1, _, b1 = opened(process(tagged.getvalue()).display).getpixel((32, 24))
    assert abs(r0 - 200) < 4 and abs(b0 - 50) < 4
    assert r1 >= r0 + 10 and b1 <= b0 - 15


def test_pixel_limit_is_ours_not_only_pillows():
    with pytest.raises(PhotoError) as err:
        process(make_jpeg(1200, 900), max_pixels=1200 * 900 - 1)
    assert err.value.code == "too_many_pixels"
    assert process(make_jpeg(1200, 900), max_pixels=1200 * 900).width == 1200


def test_load_truncated_images_flag_is_refused(monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        process(make_jpeg(64, 48))


# ---- orientation, sizes, outputs ---------------------------------------------------------------------

# Where the stored top-left corner must appear, straight from the EXIF 2.3 Orientation table.
ORIENTATIONS = {1: "TL", 2: "TR", 3: "BR", 4: "BL", 5: "TL", 6: "TR", 7: "BR", 8: "BL"}


@pytest.mark.parametrize(("orientation", "corner"), ORIENTATIONS.items())
def test_exif_orientation_is_applied_to_display_and_thumb(orientation, corner):
    p = process(make_jpeg(1200, 900, orientation=orientation))
    expected = (900, 1200) if orientation >= 5 else (1200, 900)
    assert (p.width, p.height) == expected
    display, thumb = opened(p.display), opened(p.thumb)
    assert display.size == expected
    assert thumb.size == (expected[0] * 320 // 1200, expected[1] * 320 // 1200)
    for im in (display, thumb):
        corners = quadrant_pixels(im)
        assert [c for c, px in corners.items() if is_marker(px)] == [corner]


def test_portrait_jpeg_with_orientation_6_and_watermark():
    p = process(make_jpeg(1200, 900, orientation=6), watermark=WM)
    display = opened(p.display)
    assert display.size == (900, 1200)
    assert is_marker(display.getpixel((850, 50)))  # stored top-left is now top-right
    assert not is_marker(display.getpixel((50, 50)))


@pytest.fixture(scope="module")
def twelve_mp() -> bytes:
    return make_jpeg(4000, 3000, lat=30.2741, lng=120.1551, taken_at="2026:03:01 09:30:00")


def test_twelve_megapixel_jpeg_is_decoded_at_half_scale(twelve_mp, monkeypatch):
    loaded: list[tuple[int, int, str]] = []
    original = pyvips.Image.jpegload_buffer

    def spy(data, **options):
        image = original(data, **options)
        loaded.append((image.width, image.height, options["access"]))
        return image

    def no_pillow_decode(self, *args):
        raise AssertionError("a clean colour JPEG fell back to Pillow's decode")

    monkeypatch.setattr(pyvips.Image, "jpegload_buffer", spy)
    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", no_pillow_decode)
    p = process(twelve_mp, watermark=WM)
    assert loaded == [(2000, 1500, "sequential")]  # libjpeg DCT scaling, streamed: never a full 12 MP decode
    assert (p.width, p.height) == (4000, 3000)
    assert opened(p.display).size == (1600, 1200)
    assert opened(p.thumb).size == (320, 240)
    assert is_marker(quadrant_pixels(opened(p.display))["TL"])


def _spy_decoders(monkeypatch) -> tuple[list, list]:
    whole: list[tuple[int, ...]] = []  # shapes
    streamed: list[tuple[int, int, int]] = []  # (width, height, shrink)
    decode_jpeg, jpegload_buffer = simplejpeg.decode_jpeg, pyvips.Image.jpegload_buffer

    def spy_whole(data, **options):
        array = decode_jpeg(data, **options)
        whole.append(array.shape)
        return array

    def spy_streamed(data, **options):
        image = jpegload_buffer(data, **options)
        streamed.append((image.width, image.height, options["shrink"]))
        return image

    monkeypatch.setattr(simplejpeg, "decode_jpeg", spy_whole)
    monkeypatch.setattr(pyvips.Image, "jpegload_buffer", spy_streamed)
    return whole, streamed


def test_a_phone_photo_is_decoded_whole_by_simplejpeg(monkeypatch):
    """The PWA's 2048 px photo has no DCT scale to 1600: libjpeg-turbo decodes it whole; a camera's still
    streams from libjpeg's scaled decode, and so does a big photo without a DCT scale."""
    phone = make_jpeg(2048, 1536, pattern="noise", lat=30.0, lng=120.0)
    whole, streamed = _spy_decoders(monkeypatch)
    p = process(phone, watermark=WM)
    assert whole == [(1536, 2048, 3)] and not streamed
    assert opened(p.display).size == (1600, 1200)
    whole.clear()
    process(make_jpeg(4000, 3000), watermark=WM)  # a camera's: libjpeg's 1/2 scale, streamed
    process(make_jpeg(3001, 1601), watermark=WM)  # no DCT scale either, but more than 2048x2048 pixels
    assert not whole and streamed == [(2000, 1500, 2), (3001, 1601, 1)]


@pytest.mark.parametrize("size", [(2048, 1536), (1536, 2048), (1601, 1200)])
def test_simplejpegs_decode_gives_the_display_libvips_decode_gave(size, monkeypatch):
    """libjpeg-turbo in simplejpeg and in libvips decode alike: with the same resize after either (libvips'), the
    display is the same, byte for byte."""
    monkeypatch.setattr(processing, "OPENCV_RESIZE_MAX_RATIO", 0)
    data = make_jpeg(*size, pattern="noise", orientation=6, lat=30.0, lng=120.0)
    ours = process(data, watermark=WM)
    whole, streamed = _spy_decoders(monkeypatch)
    monkeypatch.setattr(processing, "WHOLE_DECODE_MAX_PIXELS", 0)
    theirs = process(data, watermark=WM)
    assert not whole and streamed == [(*size, 1)]
    assert (ours.display, ours.thumb) == (theirs.display, theirs.thumb)


def _spy_opencv_resize(monkeypatch) -> list[tuple[tuple[int, ...], tuple[int, int]]]:
    calls = []
    resize = cv2.resize

    def spy(array, size, **options):
        calls.append((array.shape, size))
        return resize(array, size, **options)

    monkeypatch.setattr(cv2, "resize", spy)
    return calls


@pytest.mark.parametrize("size", [(2048, 1536), (1536, 2048), (2048, 2048), (1601, 1200)])
def test_a_phone_photo_is_resized_by_opencv_as_libvips_resized_it(size, monkeypatch):
    """The PWA's photo (at most 1.5x the display) is resized by OpenCV's bilinear; its pixels differ from libvips'
    antialiased reduce by less than a level on average, in a noisy picture where the two filters differ most."""
    data = make_jpeg(*size, pattern="noise", orientation=6, lat=30.0, lng=120.0)
    display_size = processing._fit(size, processing.DISPLAY_MAX)
    resized = _spy_opencv_resize(monkeypatch)
    p = process(data, watermark=WM)
    assert resized == [((size[1], size[0], 3), display_size)]
    assert opened(p.display).size == (display_size[1], display_size[0])  # upright
    ours = processing._colour_jpeg_to_display(data, size, display_size)
    monkeypatch.setattr(processing, "OPENCV_RESIZE_MAX_RATIO", 0)
    resized.clear()
    theirs = processing._colour_jpeg_to_display(data, size, display_size)
    assert not resized
    assert ours.size == theirs.size == display_size
    assert max(ImageStat.Stat(ImageChops.difference(ours, theirs)).mean) < 1.0


def test_a_library_missing_on_the_server_is_not_called_a_corrupt_photo(monkeypatch):
    """An image without OpenCV would otherwise have told every inspector their phone's photo was corrupt."""
    def missing():
        raise ImportError("No module named 'cv2'")

    monkeypatch.setattr(processing, "_opencv", missing)
    with pytest.raises(ImportError):
        process(make_jpeg(2048, 1536), watermark=WM)


@pytest.mark.parametrize("size", [(2900, 1400), (2600, 1000), (4000, 3000), (640, 480)])
def test_only_a_small_step_down_is_left_to_opencvs_two_taps(size, monkeypatch):
    """Past 1.5x the display, two taps would skip pixels: libvips' antialiased reduce does it (a camera's photo
    streams through libvips anyway; a photo within the display is not resized)."""
    resized = _spy_opencv_resize(monkeypatch)
    p = process(make_jpeg(*size, pattern="noise"), watermark=WM)
    assert not resized
    assert opened(p.display).size == processing._fit(size, processing.DISPLAY_MAX)


@pytest.mark.parametrize("size", [(2048, 1536), (4000, 3000), (1536, 2048), (3001, 1601)])
def test_a_streamed_colour_jpeg_looks_as_pillow_decodes_and_resizes_it(size, monkeypatch):
    """libvips' streamed decode and bilinear resize give the display Pillow's draft and resize gave, within a
    level or two and the JPEG encoder's own rounding (OpenCV's resize of a phone's photo: the test above)."""
    monkeypatch.setattr(processing, "OPENCV_RESIZE_MAX_RATIO", 0)
    data = make_jpeg(*size, pattern="noise", orientation=6, lat=30.0, lng=120.0)
    streamed = process(data, watermark=WM)
    monkeypatch.setattr(processing, "_streams_through_vips", lambda *args: False)
    pillows = process(data, watermark=WM)
    ours, theirs = opened(streamed.display), opened(pillows.display)
    assert ours.size == theirs.size == processing._fit((size[1], size[0]), processing.DISPLAY_MAX)  # upright
    difference = ImageChops.difference(ours, theirs)
    assert max(ImageStat.Stat(difference).mean) < 2.0
    assert opened(streamed.thumb).size == opened(pillows.thumb).size


def test_small_images_are_not_upscaled():
    p = process(make_jpeg(800, 600))
    assert opened(p.display).size == (800, 600)
    assert opened(p.thumb).size == (320, 240)


def test_tiny_and_extreme_aspect_images():
    assert opened(process(make_png(1, 1, pattern="solid"), watermark=WM).display).size == (1, 1)
    p = process(make_png(5000, 20, pattern="solid"), watermark=WM)
    assert opened(p.display).size == (1600, 6)
    assert opened(p.thumb).size == (320, 1)


def test_outputs_carry_no_metadata():
    data = make_jpeg(
        1200, 900, lat=30.2741, lng=120.1551, taken_at="2026:03:01 09:30:00", orientation=6,
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
        comment=b"secret comment", xmp=b"<x:xmpmeta>secret xmp</x:xmpmeta>",
    )
    source = Image.open(io.BytesIO(data))
    assert {"exif", "icc_profile", "comment", "xmp"} <= set(source.info)  # the input really has them
    p = process(data, watermark=WM)
    for blob in (p.display, p.thumb):
        im = opened(blob)
        assert im.format == "JPEG"
        assert len(im.getexif()) == 0
        assert not {"exif", "icc_profile", "comment", "xmp", "photoshop"} & set(im.info)
        for needle in (b"Exif\x00\x00", b"ICC_PROFILE", b"secret", b"XunchaTestCam", b"http://ns.adobe.com"):
            assert needle not in blob


def test_outputs_are_jpegs_at_the_agreed_quality():
    p = process(make_jpeg(1200, 900, pattern="noise"))
    display, thumb = opened(p.display), opened(p.thumb)
    # libjpeg's luminance table at quality q scales the base table; q82 -> first entry 6, q75 -> 8
    assert display.quantization[0][0] == 6
    assert thumb.quantization[0][0] == 8
    assert display.info.get("progressive") is None


def test_display_p3_is_converted_to_srgb_before_the_profile_is_dropped():
    plain = make_jpeg(64, 48, pattern="solid", color=(200, 100, 50), quality=95)
    tagged = make_jpeg(64, 48, pattern="solid", color=(200, 100, 50), quality=95, icc_profile=display_p3_icc())
    r0, _, b0 = opened(process(plain).display).getpixel((32, 24))
    r1, _, b1 = opened(process(tagged).display).getpixel((32, 24))
    assert abs(r0 - 200) < 4 and abs(b0 - 50) < 4
    assert r1 >= r0 + 10 and b1 <= b0 - 15  # P3 orange is more saturated than sRGB (200,100,50)


def test_broken_icc_profile_is_ignored():
    p = process(make_jpeg(64, 48, icc_profile=b"not a profile" * 20))
    assert "icc_profile" not in opened(p.display).info


# ---- watermark ---------------------------------------------------------------------------------------

def mean(im: Image.Image, box: tuple[int, int, int, int]) -> float:
    return sum(ImageStat.Stat(im.crop(box)).mean) / 3


def test_watermark_band_is_dark_with_white_text_on_display_only():
    data = make_jpeg(1200, 900, pattern="solid", color=(128, 128, 128))
    p = process(data, watermark=WM)
    display, thumb = opened(p.display), opened(p.thumb)
    assert 120 < mean(display, (0, 0, 1200, 100)) < 136  # the photo above is untouched
    band = display.crop((0, 820, 1200, 900))
    assert sum(ImageStat.Stat(band).median) / 3 < 75  # darkened behind the text
    assert band.convert("L").getextrema()[1] > 230  # white text is there
    assert 120 < mean(thumb, (0, thumb.height - 10, thumb.width, thumb.height)) < 136  # no band on the thumb
    plain = opened(process(data).display)
    assert 120 < mean(plain, (0, 880, 1200, 900)) < 136  # no band without lines


def test_watermark_callable_sees_exif_metadata():
    seen: list[processing.PhotoMeta] = []

    def lines(meta: processing.PhotoMeta) -> list[str]:
        seen.append(meta)
        return [f"拍摄 {meta.taken_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}", f"坐标 {meta.exif_lat:.6f}"]

    data = make_jpeg(1200, 900, lat=30.2741, lng=120.1551, taken_at="2026:03:01 09:30:00", orientation=6)
    p = process(data, watermark=lines)
    [meta] = seen
    assert meta.taken_at == p.taken_at == datetime(2026, 3, 1, 1, 30, tzinfo=UTC)
    assert (meta.exif_lat, meta.exif_lng) == (p.exif_lat, p.exif_lng)
    assert (meta.width, meta.height, meta.orientation) == (900, 1200, 6)
    assert meta.sha256 == p.sha256


def test_watermark_renders_distinct_chinese_glyphs_not_tofu():
    font = watermark.find_cjk_font()
    bands = []
    for text in ("巡", "查"):
        im = make_image(400, 300, pattern="solid")
        watermark.burn_watermark(im, [text], font_path=font)
        bands.append(im.crop((0, 240, 400, 300)).tobytes())
    assert bands[0] != bands[1]


def test_long_watermark_lines_shrink_and_stay_inside_the_image():
    im = make_image(480, 640, pattern="solid", color=(128, 128, 128))
    watermark.burn_watermark(im, ["坐标 " + "很长的地址" * 4000, "上传\n张三"], font_path=watermark.find_cjk_font())
    grey = im.convert("L")
    right_edge = grey.crop((472, 0, 480, 640))
    assert right_edge.getextrema()[1] < 200  # no text was clipped at the right border
    assert grey.crop((0, 560, 480, 640)).getextrema()[1] > 230  # but there is text


def test_find_cjk_font_honours_a_working_setting_and_rejects_a_bad_one(tmp_path):
    path = watermark.find_cjk_font()
    assert watermark.find_cjk_font(path) == path
    bogus = tmp_path / "not-a-font.ttf"
    bogus.write_bytes(b"\x00" * 100)
    with pytest.raises(watermark.FontNotFoundError, match="XUNCHA_CJK_FONT_PATH"):
        watermark.find_cjk_font(str(bogus))
    with pytest.raises(watermark.FontNotFoundError):
        watermark.find_cjk_font(str(tmp_path / "missing.ttc"))


def test_no_cjk_font_fails_loudly(monkeypatch):
    monkeypatch.setattr(watermark, "CJK_FONT_CANDIDATES", ())
    monkeypatch.setattr(watermark, "_fontconfig_cjk", list)
    watermark.find_cjk_font.cache_clear()
    try:
        with pytest.raises(watermark.FontNotFoundError, match="fonts-wqy-microhei"):
            watermark.find_cjk_font()
        with pytest.raises(watermark.FontNotFoundError):
            process(make_jpeg(64, 48), watermark=["巡查"])
        process(make_jpeg(64, 48))  # no watermark, no font needed
    finally:
        watermark.find_cjk_font.cache_clear()


# ---- read_header: process_photo's first step ----------------------------------------------------------

def test_read_header_reads_header_and_exif_without_decoding():
    _, meta = read_header(truncated_jpeg(), **LIMITS)  # pixels are broken, the header is fine
    assert meta.content_type == "image/jpeg"
    assert (meta.width, meta.height) == (1200, 900)
    full = make_jpeg(1200, 900, orientation=8, lat=22.5431, lng=114.0579, taken_at="2026:03:01 09:30:00")
    _, meta = read_header(full, **LIMITS)
    assert (meta.width, meta.height, meta.orientation) == (900, 1200, 8)
    assert meta.exif_lat == pytest.approx(22.5431, abs=1e-6)
    assert meta.sha256 == hashlib.sha256(full).hexdigest()
    with pytest.raises(PhotoError) as err:
        read_header(make_bomb_png(), **LIMITS)
    assert err.value.code == "too_many_pixels"



def test_fixture_set_on_disk_behaves_as_named(tmp_path):
    expected_errors = {"truncated.jpg": "corrupt_image", "bomb_20000x20000.png": "too_many_pixels",
                       "animation.gif": "unsupported_type", "document.pdf": "unsupported_type",
                       "notes.txt": "unsupported_type"}
    for name, path in write_fixture_set(tmp_path).items():
        data = path.read_bytes()
        if name in expected_errors:
            with pytest.raises(PhotoError) as err:
                process(data)
            assert err.value.code == expected_errors[name], name
        else:
            p = process(data, watermark=WM)
            assert p.content_type == {"png": "image/png", "webp": "image/webp", "heic": "image/heic"}.get(
                name.rsplit(".", 1)[1], "image/jpeg"), name
            assert max(opened(p.display).size) <= 1600


def test_read_header_does_not_decode_png_pixels(monkeypatch):
    data = make_png(640, 480, exif=exif_bytes(lat=30.5, lng=114.3))

    def no_decoding(self):
        raise AssertionError("read_header decoded pixels")

    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", no_decoding)
    _, meta = read_header(data, **LIMITS)
    assert (meta.content_type, meta.width, meta.exif_lat) == ("image/png", 640, pytest.approx(30.5))


def test_concurrent_processing_gives_the_same_bytes_as_serial():
    # Upload handlers run in a thread pool: decoders release the GIL, fonts are shared.
    photos = [make_jpeg(800, 600, color=(40 * i, 90, 160), orientation=1 + i % 8) for i in range(6)]
    serial = [process(d, watermark=WM) for d in photos]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda d: process(d, watermark=WM), photos * 2))
    assert parallel == serial * 2


# ---- implausible times and hostile EXIF ----------------------------------------------------------

@pytest.mark.parametrize("taken_at,offset", [
    ("9999:12:31 23:59:59", "+00:00"),
    ("9999:12:31 23:59:59", None),
    ("0001:01:01 00:00:00", "+14:00"),
    ("1999:12:31 12:00:00", "+08:00"),
    ((datetime.now(UTC) + timedelta(days=3)).strftime("%Y:%m:%d %H:%M:%S"), "+00:00"),
], ids=["year-9999", "year-9999-no-offset", "year-1", "last-century", "in-3-days"])  # the same ids on every run
def test_exif_times_outside_the_plausible_range_are_unknown(taken_at, offset):
    p = process(make_jpeg(640, 480, taken_at=taken_at, offset=offset),
                watermark=EvidenceWatermark(uploader="张三", timezone="Asia/Shanghai",
                                            uploaded_at=datetime(2026, 3, 1, 1, 30, tzinfo=UTC)))
    assert p.taken_at is None


def test_a_plausible_exif_time_is_kept_up_to_a_day_ahead():
    soon = datetime.now(UTC) + timedelta(hours=20)  # a phone clock a little fast
    p = process(make_jpeg(640, 480, taken_at=soon.strftime("%Y:%m:%d %H:%M:%S"), offset="+00:00"))
    assert p.taken_at == soon.replace(microsecond=0)


_rationals = st.builds(IFDRational, st.integers(-2**31, 2**32 - 1), st.integers(-2**31, 2**32 - 1))
_values = st.one_of(st.text(max_size=40), st.binary(max_size=40), st.integers(-2**31, 2**32 - 1), _rationals,
                    st.tuples(_rationals, _rationals, _rationals), st.tuples(_rationals),
                    st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gps=st.dictionaries(st.sampled_from([0, 1, 2, 3, 4, 5, 6, 7, 9, 29]), _values, max_size=6),
       taken_at=st.one_of(st.none(), st.text(max_size=30), st.sampled_from(["9999:12:31 23:59:59",
                                                                            "2026:02:30 25:61:61"])),
       offset=st.one_of(st.none(), st.text(max_size=8), st.sampled_from(["+00:00", "-14:00", "+99:99"])),
       orientation=st.integers(0, 2**16 - 1))
def test_odd_exif_values_never_break_processing(gps, taken_at, offset, orientation):
    try:
        exif = exif_bytes(taken_at=taken_at, offset=offset, orientation=orientation, gps_raw=gps)
    except (ValueError, TypeError, AttributeError, OverflowError, KeyError, struct.error, UnicodeEncodeError):
        return  # Pillow cannot even write this EXIF: nothing to upload
    p = process(make_jpeg(64, 48, exif=exif),
                watermark=EvidenceWatermark(uploader="张三", timezone="Asia/Shanghai",
                                            uploaded_at=datetime(2026, 3, 1, 1, 30, tzinfo=UTC)))
    assert opened(p.display).size in ((64, 48), (48, 64))
    assert p.exif_lat is None or -90 <= p.exif_lat <= 90
    assert p.exif_lng is None or -180 <= p.exif_lng <= 180
    assert p.taken_at is None or datetime(2000, 1, 1, tzinfo=UTC) <= p.taken_at <= datetime.now(UTC) + timedelta(days=1)


def test_colour_transforms_kept_are_small_and_keyed_by_digest():
    """A phone's profile is converted with a transform kept once; a large profile (a LUT, or an attacker's 16 MB
    of noise, each different) is used for its own photo and never kept in the worker."""
    p3 = display_p3_icc()
    big = bytearray(p3 + bytes(200_000))
    big[:4] = len(big).to_bytes(4, "big")  # the header's size: a valid profile, 200 KB larger
    processing._transforms.clear()

    def converted(icc: bytes) -> tuple[int, int]:
        tagged = io.BytesIO()
        make_image(64, 48, pattern="solid", color=(200, 100, 50)).save(tagged, "PNG", icc_profile=icc)
        r, _, b = opened(process(tagged.getvalue()).display).getpixel((32, 24))
        return r, b

    small_rb = converted(p3)
    assert converted(p3) == small_rb and len(processing._transforms) == 1
    assert small_rb[0] >= 210 and small_rb[1] <= 35  # Display P3 red, made sRGB
    assert converted(bytes(big)) == small_rb  # the same conversion …
    for seed in range(3):  # … and noise too large to keep, each photo its own
        assert converted(random.Random(seed).randbytes(300_000))
    assert len(processing._transforms) == 1 and all(len(k) == 32 for k in processing._transforms)
