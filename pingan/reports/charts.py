"""Charts of a report as PNG images for the .docx, drawn by matplotlib with a CJK font so that town
names and labels print in Chinese (fonts-wqy-microhei on Debian; any Noto CJK or SimHei font will do)."""

import io
from functools import lru_cache
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: a server draws to memory

from matplotlib import font_manager
from matplotlib import pyplot as plt

CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "SimHei")
COLOURS = ("#b3261e", "#1f5fa8", "#2e7d32", "#b26a00", "#6a3fa0", "#00796b")


CJK_FILES = ("wqy", "notosanscjk", "notosanssc", "sourcehansans", "simhei")


def _known_cjk_font() -> str | None:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    found = _known_cjk_font()
    if found is None:
        # matplotlib lists the fonts it found when it first ran; a font package installed after that is
        # missing from its cache until it is rebuilt. Look at the font files themselves.
        for path in font_manager.findSystemFonts():
            if any(mark in path.lower().replace("-", "") for mark in CJK_FILES):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue  # a file FreeType cannot read: the next one may do
        found = _known_cjk_font()
    return found


def chart_png(block: dict, width_cm: float = 16) -> bytes:
    """A bar or line chart of a `chart` block: categories along x, one bar or line per series."""
    font = cjk_font()
    rc: Any = {"font.family": [font, "sans-serif"] if font else ["sans-serif"], "axes.unicode_minus": False}
    with plt.rc_context(rc):
        fig, ax = plt.subplots(figsize=(width_cm / 2.54, width_cm / 2.54 * 0.5), dpi=150)
        categories = block["categories"]
        series = block["series"]
        x = range(len(categories))
        if block.get("chart") == "line":
            for i, s in enumerate(series):
                ax.plot(x, [v or 0 for v in s["values"]], marker="o", label=s["name"], color=COLOURS[i % 6])
        else:
            width = 0.8 / max(len(series), 1)
            for i, s in enumerate(series):
                offsets = [p - 0.4 + width * (i + 0.5) for p in x]
                ax.bar(offsets, [v or 0 for v in s["values"]], width, label=s["name"], color=COLOURS[i % 6])
        ax.set_xticks(list(x), categories, rotation=30 if len(categories) > 6 else 0, ha="right")
        ax.set_title(block.get("title", ""))
        if block.get("unit"):
            ax.set_ylabel(block["unit"])
        ax.spines[["top", "right"]].set_visible(False)
        if len(series) > 1:
            ax.legend(frameon=False)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
        plt.close(fig)
    return out.getvalue()
