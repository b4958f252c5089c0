"""Functions the worker-pool tests run inside worker processes (a light module: workers import it)."""

import io
import time

from PIL import Image


def busy_window(seconds: float) -> tuple[float, float]:
    """Sleep; answer when it started and ended."""
    started = time.time()
    time.sleep(seconds)
    return started, time.time()


def decode_at_full_size(data: bytes) -> int:
    """The costly way: a full-size Pillow decode (hundreds of MB for a bomb PNG)."""
    Image.MAX_IMAGE_PIXELS = None
    with Image.open(io.BytesIO(data)) as im:
        return len(im.convert("RGB").tobytes())
