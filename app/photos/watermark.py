"""The evidence strip burned into display images: a dark translucent band with white CJK text."""

import shutil
import subprocess
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

# Known CJK fonts, most preferred first (Debian/Ubuntu, Fedora/Arch, Alpine, macOS, Windows).
CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-sans-cjk-vf-fonts/NotoSansCJK-VF.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)

BAND_OPACITY = 0.55  # how much black covers the photo under the text
MIN_FONT_PX = 12
MAX_FONT_PX = 36
_PROBE = "巡查"  # two common hanzi: a font without CJK renders both as the same .notdef box
# Cached fonts are shared by upload threads; a FreeType face must not be used by two threads at once
# (the GIL guarantees that today, this lock keeps it true on free-threaded Python).
_DRAW_LOCK = threading.Lock()
_CONTROL_TO_SPACE = {ord(c): " " for c in "\r\n\t\v\f"}


class FontNotFoundError(RuntimeError):
    """No usable CJK font: refuse to start rather than burn tofu boxes into evidence photos."""


@lru_cache(maxsize=8)
def find_cjk_font(preferred: str | None = None) -> str:
    """Path of a font that renders Chinese; `preferred` (a setting) must work if given. Raises FontNotFoundError."""
    if preferred:
        if not renders_cjk(preferred):
            raise FontNotFoundError(
                f"Configured CJK font {preferred!r} is missing or has no Chinese glyphs "
                "(XUNCHA_CJK_FONT_PATH); install fonts-wqy-microhei or point the setting at a .ttc/.ttf/.otf")
        return preferred
    for path in (*CJK_FONT_CANDIDATES, *_fontconfig_cjk()):
        if renders_cjk(path):
            return path
    raise FontNotFoundError(
        "No CJK font found for photo watermarks. Install one (Debian/Ubuntu: apt-get install "
        "fonts-wqy-microhei) or set XUNCHA_CJK_FONT_PATH to a font file that has Chinese glyphs.")


def renders_cjk(path: str) -> bool:
    """True when the font file exists and draws distinct, non-empty glyphs for Chinese characters."""
    if not Path(path).is_file():
        return False
    try:
        font = ImageFont.truetype(path, 24)
    except OSError:
        return False
    glyphs = []
    for ch in _PROBE:
        glyph = Image.new("L", (32, 32))
        ImageDraw.Draw(glyph).text((2, 2), ch, font=font, fill=255)
        glyphs.append(glyph)
    return all(g.getbbox() for g in glyphs) and glyphs[0].tobytes() != glyphs[1].tobytes()


def _fontconfig_cjk() -> list[str]:
    if not shutil.which("fc-list"):
        return []
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=5,
                             check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted(line.strip().rstrip(":") for line in out.splitlines() if line.strip())


@lru_cache(maxsize=64)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    # BASIC layout: Chinese needs no shaping, and results do not depend on whether libraqm is present.
    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=4)
def _darken_lut(opacity: float) -> list[int]:
    return [round(v * (1 - opacity)) for v in range(256)] * 3


def _fit_lines(lines: Sequence[str], font_path: str, size: int, avail: int) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    font = _font(font_path, size)
    widest = max(font.getlength(line) for line in lines)
    if widest > avail and size > MIN_FONT_PX:
        size = max(MIN_FONT_PX, int(size * avail / widest))
        font = _font(font_path, size)
    fitted = []
    for line in lines:
        if font.getlength(line) > avail:  # still too long at the smallest size: cut with an ellipsis
            lo, hi = 0, len(line)  # longest prefix that fits, by bisection
            while lo < hi:
                mid = (lo + hi + 1) // 2
                lo, hi = (mid, hi) if font.getlength(line[:mid] + "…") <= avail else (lo, mid - 1)
            line = line[:lo] + "…"
        fitted.append(line)
    return font, fitted


def burn_watermark(im: Image.Image, lines: Sequence[str], *, font_path: str) -> None:
    """Draw `lines` in white on a translucent dark band across the bottom of `im` (RGB), in place."""
    lines = [line.translate(_CONTROL_TO_SPACE) for line in lines if line]
    if not lines:
        return
    width, height = im.size
    size = max(MIN_FONT_PX, min(MAX_FONT_PX, round(max(width, height) / 50)))
    pad = max(4, size // 2)
    with _DRAW_LOCK:
        font, lines = _fit_lines(lines, font_path, size, width - 2 * pad)
        ascent, descent = font.getmetrics()
        line_h = round((ascent + descent) * 1.15)
        band_h = min(height, line_h * len(lines) + 2 * pad - (line_h - ascent - descent))
        box = (0, height - band_h, width, height)
        band = im.crop(box).point(_darken_lut(BAND_OPACITY))
        draw = ImageDraw.Draw(band)
        for i, line in enumerate(lines):
            draw.text((pad, pad + i * line_h), line, font=font, fill=(255, 255, 255))
    im.paste(band, box)
