"""The report charts find a CJK font even when matplotlib's font cache predates the font package."""

from matplotlib import font_manager

from pingan.reports import charts


def test_a_cjk_font_missing_from_matplotlibs_cache_is_found_on_disk(monkeypatch):
    manager = font_manager.fontManager
    # As a cache built before fonts-wqy-microhei was installed would list them: no CJK font at all.
    monkeypatch.setattr(manager, "ttflist", [f for f in manager.ttflist if f.name not in charts.CJK_FONTS])
    charts.cjk_font.cache_clear()
    try:
        assert charts.cjk_font() in charts.CJK_FONTS
    finally:
        charts.cjk_font.cache_clear()
