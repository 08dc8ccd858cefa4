"""Draw the home-screen icons (static/icons/*.png) from the favicon's geometry.

static/favicon.svg is the drawing: a rounded blue square with a white chevron (M8 22 L16 8
L24 22 on a 32-unit grid) and a dot at (16, 24). Phones want PNGs of set sizes, and a
"maskable" one whose symbol stays inside the circle the launcher may crop it to.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from PIL import Image, ImageDraw

BLUE = (13, 110, 253, 255)
WHITE = (255, 255, 255, 255)
# Drawn this many times larger, then scaled down: smooth edges without an SVG renderer.
OVERSAMPLE = 4
# (file, size, full bleed): a full-bleed icon keeps its symbol inside the central 62%,
# well within the maskable safe zone (a circle of 80%).
ICONS = [
    ("icon-192.png", 192, False),
    ("icon-512.png", 512, False),
    ("icon-maskable-512.png", 512, True),
    # iOS rounds the corners itself and shows transparency as black.
    ("apple-touch-icon-180.png", 180, True),
]


def draw(size: int, *, full_bleed: bool) -> Image.Image:
    side = size * OVERSAMPLE
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if full_bleed:
        pen.rectangle([0, 0, side, side], fill=BLUE)
    else:
        pen.rounded_rectangle([0, 0, side - 1, side - 1], radius=side * 6 // 32, fill=BLUE)
    unit = side / 32 * (0.62 if full_bleed else 1.0)
    offset = (side - 32 * unit) / 2

    def at(x: float, y: float) -> tuple[float, float]:
        return offset + x * unit, offset + y * unit

    def dot(x: float, y: float, radius: float) -> None:
        cx, cy = at(x, y)
        pen.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=WHITE)

    stroke = 3.5 * unit
    pen.line([at(8, 22), at(16, 8), at(24, 22)], fill=WHITE, width=round(stroke), joint="curve")
    for x, y in ((8, 22), (16, 8), (24, 22)):  # round caps and joins
        dot(x, y, stroke / 2)
    dot(16, 24, 2.5 * unit)
    icon = image.resize((size, size), Image.Resampling.LANCZOS)
    return icon.convert("RGB") if full_bleed else icon


class Command(BaseCommand):
    help = "Draw the home-screen icons into static/icons/ (committed; run again after changing the drawing)."

    def handle(self, *args, **options) -> None:
        folder = Path(settings.BASE_DIR) / "static" / "icons"
        folder.mkdir(parents=True, exist_ok=True)
        for name, size, full_bleed in ICONS:
            draw(size, full_bleed=full_bleed).save(folder / name, optimize=True)
            self.stdout.write(f"static/icons/{name} ({size}x{size})")
