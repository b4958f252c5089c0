"""Photo processing, pure: uploaded bytes in; checked metadata, a watermarked display JPEG and a thumb out.

The original bytes are evidence and are never modified here; only derived images are produced.
Pipeline: size limit -> magic-byte sniff -> header-only pixel limit -> reduced-size decode -> one
resize to the display size -> EXIF orientation -> thumb from the display-sized image -> watermark
strip -> two metadata-free JPEG encodes.

Reduced-size decode keeps a small file from costing a gigabyte: JPEG decodes at 1/2, 1/4 or 1/8 scale
in libjpeg (a colour JPEG streamed through libvips into its display resize, others through Pillow's draft);
a colour JPEG under twice the display size (a phone's, from the PWA) has no such scale and is decoded whole
by simplejpeg, up to 2048x2048 pixels (bigger ones stream through libvips), and resized by OpenCV.
PNG and WebP go through libvips' thumbnail, which shrinks WebP while decoding and streams PNG rows through a
box filter, so neither is ever held at full size. HEIC has no reduced decode (libheif, and the libvips wheel has
no HEVC), so it has its own, lower pixel limit.
"""

import hashlib
import io
import logging
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo

import pillow_heif
from PIL import ExifTags, Image, ImageCms, ImageFile

from app.core.errors import DomainError
from app.photos.watermark import FontNotFoundError, burn_watermark, find_cjk_font

__all__ = [
    "DISPLAY_MAX", "THUMB_MAX", "EvidenceWatermark", "FontNotFoundError", "PhotoError", "PhotoMeta",
    "ProcessedPhoto", "find_cjk_font", "is_plausible_capture_time", "process_photo", "read_header", "sniff",
]

pillow_heif.register_heif_opener()
log = logging.getLogger(__name__)
T = TypeVar("T")

DISPLAY_MAX = 1600
THUMB_MAX = 320
DISPLAY_QUALITY = 82
THUMB_QUALITY = 75
# After the DCT-domain 1/2, 1/4 or 1/8 decode, the remaining step is small (e.g. 2000 -> 1600), where
# BILINEAR is a proper antialiasing filter; BICUBIC/LANCZOS cost 2x here for little visible gain.
DISPLAY_RESAMPLE = Image.Resampling.BILINEAR
THUMB_RESAMPLE = Image.Resampling.BICUBIC
# Let resize() first reduce() by an integer factor (a fast exact box average) when the ratio is large.
# The thumb is 1/5 of the display size: a plain 5x5 box average is a fine 320 px thumb at 1/5 the cost.
REDUCING_GAP = 2.0
THUMB_REDUCING_GAP = 1.0

# content type -> the one Pillow format allowed to open it
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/heic": "HEIF",
            "image/heif": "HEIF"}
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_HEIF_BRANDS = {b"mif1", b"msf1"}

# Longer than any phone's panorama. Decoding costs per row as well as per pixel: a 1x60,000,000 PNG (116 KB, under
# the pixel limit) held a photo worker for 16-30 s, and two of them refused every other upload with 503 meanwhile.
MAX_SIDE = 30_000
_STATUS = {"unsupported_type": 415, "corrupt_image": 422, "too_large": 413, "too_many_pixels": 413}
_MESSAGES = {
    "unsupported_type": "不支持的文件类型，请上传 JPEG、PNG、WebP 或 HEIC 照片 "
                        "Unsupported file type; upload a JPEG, PNG, WebP or HEIC photo",
    "corrupt_image": "照片已损坏或不完整，请重新上传 The image is corrupt or incomplete; please upload it again",
    "too_large": "照片文件过大 The file is too large",
    "too_many_pixels": "照片像素过多 The image has too many pixels",
}


class PhotoError(DomainError):
    """A client-side problem with an uploaded image; carries an error code and a 4xx HTTP status."""

    def __init__(self, code: str, message: str | None = None):
        super().__init__(message or _MESSAGES[code], code=code, status=_STATUS[code])

    def __reduce__(self):  # errors travel back from worker processes
        return PhotoError, (self.code, self.message)


@dataclass(frozen=True)
class PhotoMeta:
    """What is known from the header and EXIF, before any pixel is decoded."""

    sha256: str
    content_type: str
    width: int  # after EXIF orientation
    height: int
    orientation: int  # EXIF Orientation 1..8 still to apply (HEIF: already applied by libheif -> 1)
    taken_at: datetime | None
    exif_lat: float | None
    exif_lng: float | None


@dataclass(frozen=True)
class ProcessedPhoto:
    """The checked metadata of one upload and its two derived JPEGs."""

    sha256: str
    content_type: str
    width: int
    height: int
    taken_at: datetime | None
    exif_lat: float | None
    exif_lng: float | None
    display: bytes
    thumb: bytes


@dataclass(frozen=True)
class EvidenceWatermark:
    """The evidence strip: when and where (the client's word, else EXIF, else the upload time) and who.

    A plain value, so it can be sent to a worker process with the photo.
    """

    uploader: str
    timezone: str
    uploaded_at: datetime
    captured_at: datetime | None = None
    lat: float | None = None
    lng: float | None = None

    def __call__(self, meta: PhotoMeta) -> list[str]:
        when = self.captured_at or meta.taken_at or self.uploaded_at
        lat, lng = (self.lat, self.lng) if self.lat is not None and self.lng is not None else (meta.exif_lat,
                                                                                                meta.exif_lng)
        where = f"{lat:.6f}, {lng:.6f}" if lat is not None and lng is not None else "无定位 no GPS"
        return [f"拍摄 {when.astimezone(ZoneInfo(self.timezone)):%Y-%m-%d %H:%M}  坐标 {where}",
                f"上传 {self.uploader}  巡查 Xuncha"]


Watermark = Sequence[str] | Callable[[PhotoMeta], Sequence[str]] | None


def read_header(data: bytes, *, max_bytes: int, max_pixels: int, max_heic_pixels: int | None = None,
                camera_tz: tzinfo) -> tuple[Image.Image, PhotoMeta]:
    """The first step of process_photo: check limits and type and read header + EXIF without decoding pixels
    (so no proof yet that the pixels decode); answers the opened image and its metadata."""
    im, content_type = _open(data, max_bytes=max_bytes, max_pixels=max_pixels, max_heic_pixels=max_heic_pixels)
    return im, _meta(im, im.size, data, content_type, camera_tz)


def process_photo(data: bytes, *, watermark: Watermark = None, max_bytes: int, max_pixels: int,
                  max_heic_pixels: int | None = None, camera_tz: tzinfo,
                  font_path: str | None = None) -> ProcessedPhoto:
    """Validate an upload and derive its display JPEG (<= 1600 px, watermarked) and thumb (<= 320 px)."""
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Somebody flipped Pillow's global: truncated evidence would be padded with grey silently.
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False for photo uploads")
    im, meta = read_header(data, max_bytes=max_bytes, max_pixels=max_pixels, max_heic_pixels=max_heic_pixels,
                           camera_tz=camera_tz)
    content_type = meta.content_type
    display_size = _fit(im.size, DISPLAY_MAX)
    try:
        if content_type in _VIPS_TYPES:
            rgb = _vips_decode(data, display_size)
        elif (_streams_through_vips(im, content_type, display_size)
              and (streamed := _colour_jpeg_to_display(data, im.size, display_size)) is not None):
            rgb = streamed
        else:
            im.draft("RGB", display_size)  # JPEG: libjpeg decodes at 1/2, 1/4 or 1/8 scale; HEIC: no-op
            im.load()
            rgb = _to_rgb(im)
    except (MemoryError, RecursionError, ImportError):  # the server's trouble, never blamed on the photo
        raise
    except Exception as exc:
        raise PhotoError("corrupt_image") from exc
    if rgb.size != display_size:
        rgb = rgb.resize(display_size, DISPLAY_RESAMPLE, reducing_gap=REDUCING_GAP)
    rgb = _to_srgb(rgb, im.info.get("icc_profile"))
    if meta.orientation in _TRANSPOSE:
        rgb = rgb.transpose(_TRANSPOSE[meta.orientation])
    rgb.info.clear()  # Pillow re-writes info["comment"]/["icc_profile"] into JPEGs it saves
    thumb = rgb.resize(_fit(rgb.size, THUMB_MAX), THUMB_RESAMPLE, reducing_gap=THUMB_REDUCING_GAP)
    lines = list(watermark(meta) if callable(watermark) else watermark or [])
    if lines:
        burn_watermark(rgb, [str(line) for line in lines], font_path=find_cjk_font(font_path))
    return ProcessedPhoto(
        sha256=meta.sha256, content_type=content_type, width=meta.width, height=meta.height,
        taken_at=meta.taken_at, exif_lat=meta.exif_lat, exif_lng=meta.exif_lng,
        display=_jpeg(rgb, DISPLAY_QUALITY), thumb=_jpeg(thumb, THUMB_QUALITY),
    )


def sniff(data: bytes) -> str | None:
    """The content type from the magic bytes, or None when it is not an accepted image type."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        box_size = int.from_bytes(data[:4], "big")
        brands = {data[8:12]} | {data[i:i + 4] for i in range(16, min(box_size, len(data), 256) - 3, 4)}
        if data[8:12] in _HEIC_BRANDS or (data[8:12] in _HEIF_BRANDS and brands & _HEIC_BRANDS):
            return "image/heic"
        if data[8:12] in _HEIF_BRANDS and not brands & {b"avif", b"avis"}:
            return "image/heif"
    return None


def _open(data: bytes, *, max_bytes: int, max_pixels: int,
          max_heic_pixels: int | None = None) -> tuple[ImageFile.ImageFile, str]:
    if len(data) > max_bytes:
        raise PhotoError("too_large", f"{_MESSAGES['too_large']} ({len(data)} > {max_bytes} bytes)")
    content_type = sniff(data)
    if content_type is None:
        raise PhotoError("unsupported_type")
    try:
        # Only the sniffed format may open it; Image.open reads headers only, never pixels.
        im = Image.open(io.BytesIO(data), formats=[_FORMATS[content_type]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoError("too_many_pixels") from exc
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:
        raise PhotoError("corrupt_image") from exc
    width, height = im.size
    if width < 1 or height < 1:
        im.close()
        raise PhotoError("corrupt_image")
    if content_type in ("image/heic", "image/heif") and max_heic_pixels is not None:
        max_pixels = min(max_pixels, max_heic_pixels)
    if width * height > max_pixels:
        im.close()
        raise PhotoError("too_many_pixels", f"{_MESSAGES['too_many_pixels']} ({width}x{height} > {max_pixels})")
    if max(width, height) > MAX_SIDE:
        im.close()
        raise PhotoError("too_many_pixels", f"照片最长边不能超过 {MAX_SIDE} 像素（本图 {width}×{height}） "
                                            f"The image's longest side may not "
                                            f"exceed {MAX_SIDE} px ({width}x{height})")
    return im, content_type


def _meta(im: Image.Image, size: tuple[int, int], data: bytes, content_type: str, camera_tz: tzinfo) -> PhotoMeta:
    # Base-class getexif: PngImageFile's override would decode all pixels to look for a late eXIf chunk.
    exif = _guarded(lambda: Image.Image.getexif(im), Image.Exif())
    value = exif.get(ExifTags.Base.Orientation, 1)
    orientation = value if value in _TRANSPOSE else 1
    sub = _guarded(lambda: exif.get_ifd(ExifTags.IFD.Exif), {})
    taken_at = _guarded(lambda: _exif_datetime(sub.get(ExifTags.Base.DateTimeOriginal),
                                               sub.get(ExifTags.Base.OffsetTimeOriginal), camera_tz), None)
    lat, lng = _guarded(lambda: _exif_gps(exif.get_ifd(ExifTags.IFD.GPSInfo)), (None, None))
    width, height = size
    if orientation >= 5:
        width, height = height, width
    return PhotoMeta(
        sha256=hashlib.sha256(data).hexdigest(), content_type=content_type, width=width, height=height,
        orientation=orientation, taken_at=taken_at, exif_lat=lat, exif_lng=lng,
    )


def _guarded(fn: Callable[[], T], default: T) -> T:
    try:
        return fn()
    except (MemoryError, RecursionError):
        raise
    except Exception:  # broken EXIF costs the metadata, not the photo
        log.info("unreadable EXIF ignored", exc_info=True)
        return default


_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _exif_text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return str(value).strip("\x00 \t\r\n")


# A capture time outside this range is a wrong camera clock (or a hostile file), not a fact: EXIF times are
# then unknown, and a client's captured_at is refused.
EARLIEST_CAPTURE = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_TOLERANCE = timedelta(days=1)


def is_plausible_capture_time(when: datetime, now: datetime | None = None) -> bool:
    """True for an aware time between 2000-01-01 and a day after now (phone clocks run a little fast)."""
    return EARLIEST_CAPTURE <= when <= (now or datetime.now(UTC)) + CLOCK_TOLERANCE


_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def _exif_datetime(value: object, offset: object, camera_tz: tzinfo) -> datetime | None:
    # EXIF times are the camera's wall clock; OffsetTimeOriginal (EXIF 2.31) says which zone, else camera_tz.
    if value is None:
        return None
    text = _exif_text(value)
    for fmt in ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):  # spec, then sloppy writers
        try:
            naive = datetime.strptime(text[:19], fmt)
            break
        except ValueError:
            continue
    else:
        return None  # includes the "0000:00:00 00:00:00" of cameras without a clock
    tz = camera_tz
    if offset is not None and (m := _OFFSET.match(_exif_text(offset))):
        delta = timedelta(hours=int(m[2]), minutes=int(m[3]))
        if delta <= timedelta(hours=14):
            tz = timezone(-delta if m[1] == "-" else delta)
    when = naive.replace(tzinfo=tz)
    return when.astimezone(UTC) if is_plausible_capture_time(when) else None


def _dms(value: object, ref: object, limit: float, negative: str) -> float | None:
    if ref is None or not isinstance(value, tuple) or not 1 <= len(value) <= 3:
        return None
    parts = [float(v) for v in value]
    if not all(math.isfinite(p) and p >= 0 for p in parts):  # IFDRational x/0 is nan
        return None
    degrees = sum(p / 60 ** i for i, p in enumerate(parts))
    if degrees > limit:
        return None
    return -degrees if _exif_text(ref).upper().startswith(negative) else degrees


def _exif_gps(gps: dict) -> tuple[float | None, float | None]:
    if not gps or _exif_text(gps.get(ExifTags.GPS.GPSStatus, "A")).upper().startswith("V"):
        return None, None  # "V" = void: the receiver had no fix
    lat = _dms(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), 90, "S")
    lng = _dms(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), 180, "W")
    if lat is None or lng is None or (lat == 0 and lng == 0):  # 0,0 is what cameras write without a fix
        return None, None
    return round(lat, 7), round(lng, 7)


def _fit(size: tuple[int, int], limit: int) -> tuple[int, int]:
    w, h = size
    if max(w, h) <= limit:
        return w, h
    scale = limit / max(w, h)
    return max(1, round(w * scale)), max(1, round(h * scale))


_VIPS_TYPES = {"image/png", "image/webp"}
_VIPS_LOAD_OPTIONS = "fail_on=truncated"  # a cut-off file is corrupt, never padded with grey


def _streams_through_vips(im: Image.Image, content_type: str, display_size: tuple[int, int]) -> bool:
    """A colour JPEG larger than the display: every camera's and phone's photo."""
    return content_type == "image/jpeg" and im.mode == "RGB" and im.size != display_size


# A JPEG with no DCT scale down to the display (less than twice its size) and at most this many pixels is decoded
# whole by simplejpeg: the PWA's photos (long edge 2048 px). Bigger ones stream through libvips' decode.
WHOLE_DECODE_MAX_PIXELS = 2048 * 2048


def _decodes_whole(size: tuple[int, int], display_size: tuple[int, int]) -> bool:
    return (size[0] < 2 * display_size[0] or size[1] < 2 * display_size[1]) \
        and size[0] * size[1] <= WHOLE_DECODE_MAX_PIXELS


# Up to this ratio a photo decoded whole is resized by OpenCV's bilinear (2 taps, SIMD): 3.5 ms for the PWA's
# 2048 -> 1600 against libvips' 9 (its horizontal pass is not vectorised). Past it two taps would skip pixels
# (aliasing), so libvips' antialiased linear reduce does it.
OPENCV_RESIZE_MAX_RATIO = 1.5


def _resizes_in_opencv(size: tuple[int, int], display_size: tuple[int, int]) -> bool:
    return size[0] <= OPENCV_RESIZE_MAX_RATIO * display_size[0] \
        and size[1] <= OPENCV_RESIZE_MAX_RATIO * display_size[1]


@lru_cache(maxsize=1)
def _opencv():
    """OpenCV, loaded by the processes that resize photos; it only ever resizes an array simplejpeg decoded, never
    parses an upload's bytes. One thread: parallelism comes from the photo workers' pool."""
    import cv2

    cv2.setNumThreads(1)
    return cv2


def _colour_jpeg_to_display(data: bytes, size: tuple[int, int], display_size: tuple[int, int]) -> Image.Image | None:
    """A colour JPEG's decode and bilinear resize to the display size, at a fraction of Pillow's cost; the pixels
    differ from Pillow's draft and resize by at most 2 levels.

    A camera's photo (at least twice the display size) is decoded at the 1/2, 1/4 or 1/8 scale Pillow's draft
    picks, by libjpeg inside libvips, streamed row by row into libvips' resize: it is never held whole. A phone's
    (the PWA sends 2048 px) has no DCT scale that fits, so it is decoded whole by simplejpeg's libjpeg-turbo into
    packed RGB (5.2 ms against libvips' own decode's 8.9, the same pixels), which OpenCV resizes (3.5 ms against
    libvips' 9) or, past 1.5x the display, libvips. The phone photo of bench/photos.py --real: decode + resize
    ~10.5 ms (simplejpeg + libvips ~17, libvips alone ~20, Pillow's ~32).

    None when libjpeg so much as warns about the data: Pillow's decode then judges the file as it always did.
    libvips' own levels do not match Pillow's: "truncated" passed a scan cut short by a stray marker, padded with
    grey, that Pillow calls broken; "warning" alone refused files Pillow reads. simplejpeg's strict mode raises
    on the same warnings."""
    import pyvips  # only the processes that decode photos load libvips and simplejpeg
    import simplejpeg

    try:
        if _decodes_whole(size, display_size):
            try:
                decoded = simplejpeg.decode_jpeg(data, colorspace="RGB", strict=True)
            except ValueError:  # a libjpeg error or warning
                return None
            if _resizes_in_opencv(size, display_size):
                cv2 = _opencv()
                resized = cv2.resize(decoded, display_size, interpolation=cv2.INTER_LINEAR)
                decoded = None  # before Pillow's copy, as below
                return Image.frombytes("RGB", display_size, resized)
            height, width, _ = decoded.shape
            im = pyvips.Image.new_from_memory(decoded.data, width, height, 3, "uchar")
        else:
            decoded = None
            ratio = min(size[0] // display_size[0], size[1] // display_size[1])
            shrink = next(s for s in (8, 4, 2, 1) if ratio >= s)
            im = pyvips.Image.jpegload_buffer(data, shrink=shrink, access="sequential", fail_on="warning")
            if im.bands != 3 or im.format != "uchar":
                return None
        im = im.resize(display_size[0] / im.width, vscale=display_size[1] / im.height, kernel="linear")
        pixels = im.write_to_memory()
        # The whole decode goes before Pillow's copy is made: one photo's peak stays that of the streamed path,
        # and Pillow's copy takes the decode's place in a worker's heap (freed after it, the 9 MB array grew the
        # heap past the trim threshold after a camera photo: ~4,300 page faults on every phone photo).
        im = decoded = None
        return Image.frombytes("RGB", display_size, pixels)
    except pyvips.Error:
        return None


def _vips_decode(data: bytes, size: tuple[int, int]) -> Image.Image:
    """Decode PNG/WebP straight to about `size` with libvips; RGB, alpha flattened on white, colours untouched."""
    import pyvips  # only the processes that decode photos load libvips

    im = pyvips.Image.thumbnail_buffer(data, size[0], height=size[1], size="down", no_rotate=True,
                                       option_string=_VIPS_LOAD_OPTIONS)
    if im.interpretation not in ("srgb", "b-w"):  # 16-bit: keep the high byte (grey16/rgb16 -> 8 bit)
        im = im.colourspace("b-w" if im.bands <= 2 else "srgb")
    if im.format != "uchar":
        im = (im / 257).cast("uchar")
    if im.hasalpha():
        im = im.flatten(background=[255] * (im.bands - 1))  # transparent areas on white, as viewers show them
    if im.bands == 1:
        im = im.bandjoin([im, im])
    return Image.frombytes("RGB", (im.width, im.height), im.write_to_memory())


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode.startswith("I;16") or im.mode in ("I", "F"):
        # 16-bit PNG: keep the high byte instead of clipping everything above 255 to white
        return im.convert("I").point(lambda v: v / 256).convert("L").convert("RGB")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", im.size, (255, 255, 255))  # transparent areas on white, as viewers show them
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return im if im.mode == "RGB" else im.convert("RGB")


@lru_cache(maxsize=1)
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


# A camera's or a phone's profile (Display P3, Adobe RGB) is a few KB and the same on every photo: its
# transform is kept, by the profile's digest. A larger one (a LUT profile, or an attack: 16 MB each) is built
# for its photo only: an lru_cache keyed on the profiles' bytes held 290 MB of them in a worker.
CACHED_ICC_MAX = 64 * 1024
_TRANSFORMS_KEPT = 16
_transforms: OrderedDict[bytes, ImageCms.ImageCmsTransform | None] = OrderedDict()
_transforms_lock = threading.Lock()


def _transform(icc: bytes) -> ImageCms.ImageCmsTransform | None:
    if len(icc) > CACHED_ICC_MAX:
        return _build_transform(icc)
    key = hashlib.sha256(icc).digest()
    with _transforms_lock:
        if key in _transforms:
            _transforms.move_to_end(key)
            return _transforms[key]
    made = _build_transform(icc)
    with _transforms_lock:
        _transforms[key] = made
        while len(_transforms) > _TRANSFORMS_KEPT:
            _transforms.popitem(last=False)
    return made


def _build_transform(icc: bytes) -> ImageCms.ImageCmsTransform | None:
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if profile.profile.xcolor_space.strip() != "RGB" or "srgb" in ImageCms.getProfileDescription(
                profile).lower():
            return None
        return ImageCms.buildTransform(profile, _srgb(), "RGB", "RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    # Outputs carry no ICC profile, so wide-gamut pixels (iPhone Display P3) must become sRGB first.
    if not icc or im.mode != "RGB":
        return im
    transform = _transform(bytes(icc))
    return ImageCms.applyTransform(im, transform) if transform else im


def _jpeg(im: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, optimize=False, icc_profile=None, exif=b"", comment=b"")
    return buf.getvalue()
