"""Generated street pictures for the demo city (no stock photos shipped)."""

import io
import random

from PIL import Image, ImageDraw, ImageFont

from app.photos.processing import find_cjk_font


def street_scene(label: str, seed: int, *, after: bool = False, size: tuple[int, int] = (1600, 1200)) -> bytes:
    """A JPEG of a simple street scene; 'before' pictures carry clutter, 'after' pictures are tidy."""
    rng = random.Random(seed)
    w, h = size
    img = Image.new("RGB", size, (150, 190, 225))
    draw = ImageDraw.Draw(img)
    horizon = int(h * 0.55)
    for i in range(6):  # buildings
        x0 = i * w // 6 + rng.randint(-20, 20)
        top = rng.randint(int(h * 0.12), int(h * 0.35))
        shade = rng.randint(150, 215)
        draw.rectangle([x0, top, x0 + w // 6 - 10, horizon], fill=(shade, shade - 10, shade - 25))
        for wy in range(top + 30, horizon - 40, 70):
            for wx in range(x0 + 20, x0 + w // 6 - 50, 60):
                draw.rectangle([wx, wy, wx + 30, wy + 40], fill=(90, 110, 130))
    draw.rectangle([0, horizon, w, h], fill=(120, 120, 118))  # street
    draw.rectangle([0, horizon, w, horizon + 40], fill=(190, 185, 175))  # kerb
    if not after:
        for _ in range(rng.randint(8, 16)):  # rubbish and clutter
            x, y = rng.randint(50, w - 150), rng.randint(horizon + 60, h - 120)
            colour = rng.choice([(60, 140, 60), (200, 60, 50), (230, 230, 230), (60, 60, 160), (220, 180, 40)])
            draw.ellipse([x, y, x + rng.randint(40, 140), y + rng.randint(30, 90)], fill=colour)
    font = ImageFont.truetype(find_cjk_font(), size=64)
    tag = f"{label} · {'整改后' if after else '整改前'}"
    draw.rectangle([40, 40, 80 + int(draw.textlength(tag, font=font)), 140], fill=(0, 0, 0))
    draw.text((60, 50), tag, font=font, fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()
