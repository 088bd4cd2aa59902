"""report.png: hit@1 per category and the latency histogram, one glance for a release review."""
from __future__ import annotations

import functools
import warnings
from pathlib import Path

from eval.scoring import Evaluation

# Category names are Chinese. The font files are registered with matplotlib by path: its font list is
# cached on first import, and a cache written before the font package was installed never lists them.
# fonts-wqy-microhei is what .ci/system-deps installs; Noto CJK is Debian's other common one.
CJK_FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
                  "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


@functools.cache
def cjk_fonts() -> tuple[str, ...]:
    """Family names of the CJK font files present, each registered once with matplotlib's font manager."""
    from matplotlib import font_manager

    names = []
    for path in CJK_FONT_FILES:
        if Path(path).is_file():
            font_manager.fontManager.addfont(path)
            names.append(font_manager.FontProperties(fname=path).get_name())
    return tuple(names)


def draw_chart(evaluation: Evaluation, path: Path) -> None:
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cjk = list(cjk_fonts())
    answerable = {name: s for name, s in evaluation.by_category.items() if s.hit_at_1.total}
    latencies = [o.latency_ms for o in evaluation.outcomes]
    with plt.rc_context({"font.sans-serif": cjk + list(plt.rcParams["font.sans-serif"]),
                         "axes.unicode_minus": False}), warnings.catch_warnings():
        if not cjk:  # one notice instead of one per missing glyph
            warnings.warn("no CJK font: Chinese labels in report.png show as boxes "
                          "(apt-get install fonts-wqy-microhei)", stacklevel=2)
            warnings.simplefilter("ignore")
        figure, (by_category, latency) = plt.subplots(1, 2, figsize=(12, 4.8), width_ratios=(3, 2))
        names = list(answerable)
        values = [answerable[name].hit_at_1.value or 0.0 for name in names]
        bars = by_category.barh(names, values, color="#4C72B0")
        for bar, name in zip(bars, names):
            rate = answerable[name].hit_at_1
            by_category.text(min(bar.get_width(), 1.0) - 0.01, bar.get_y() + bar.get_height() / 2,
                             f"{rate.passed}/{rate.total}", va="center", ha="right", color="white", fontsize=8)
        by_category.set_xlim(0, 1)
        by_category.invert_yaxis()
        by_category.set_xlabel("hit@1")
        by_category.set_title("hit@1 per category (of the gold product)")
        bins = min(30, max(5, len(latencies) // 5))
        positive = [value for value in latencies if value > 0]
        if positive and max(positive) / min(positive) > 20:  # a long tail: log bins keep the bulk visible
            bins = np.geomspace(min(positive), max(positive), bins + 1)
            latency.set_xscale("log")
        latency.hist(positive or latencies, bins=bins, color="#55A868")
        p50, p95 = evaluation.scores.latency_p50_ms, evaluation.scores.latency_p95_ms
        for value, label, style in ((p50, "p50", "--"), (p95, "p95", ":")):
            if value is not None:
                latency.axvline(value, color="black", linestyle=style, label=f"{label} {value:.1f} ms")
        latency.set_xlabel("latency (ms, warm)")
        latency.set_ylabel("questions")
        latency.set_title("answer latency")
        latency.legend()
        figure.tight_layout()
        figure.savefig(path, dpi=110)
        plt.close(figure)
