"""report.png on a fresh machine: Chinese category names are drawn with a CJK font, not as boxes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eval.chart import CJK_FONT_FILES

ROOT = Path(__file__).resolve().parents[2]

# matplotlib's font list cache written before fonts-wqy-microhei was installed: the cache it builds on
# first import, less the CJK font files (as `pip install` then `import matplotlib` then `apt-get install`).
WRITE_STALE_CACHE = """
from pathlib import Path
import matplotlib
from matplotlib import font_manager as fm
fm.fontManager.ttflist = [f for f in fm.fontManager.ttflist if "wqy" not in f.fname.lower()]
cache = Path(matplotlib.get_cachedir()) / f"fontlist-v{fm.FontManager.__version__}.json"
fm.json_dump(fm.fontManager, cache)
print(cache)
"""

# Draw a report with Chinese categories; record every "missing glyph" warning and the font files
# matplotlib picked while drawing.
DRAW = """
import json, sys, warnings
from pathlib import Path
from matplotlib import font_manager as fm
from eval.chart import draw_chart
from eval.scoring import evaluate
from tests.eval.test_scoring import question, result

picked = []
find = fm.FontManager.findfont
def spy(self, *args, **kwargs):
    path = find(self, *args, **kwargs)
    picked.append(str(path))
    return path
fm.FontManager.findfont = spy

categories = {"数据库转换服务": "系统运维服务", "现场服务": "现场服务", "苍穹 PaaS 实验室": "苍穹平台服务"}
questions = [question(f"q{i}", gold=[p]) for i, p in enumerate(categories)]
results = [result(f"q{i}", (p,), latency_ms=5.0 + i) for i, p in enumerate(categories)]
evaluation = evaluate(questions, results, categories)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    draw_chart(evaluation, Path(sys.argv[1]))
print(json.dumps({"warnings": [str(w.message) for w in caught], "fonts": sorted(set(picked))}))
"""


def run_python(code: str, config_dir: Path, *args: str) -> str:
    env = {**os.environ, "MPLCONFIGDIR": str(config_dir), "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.skipif(not any(Path(p).is_file() for p in CJK_FONT_FILES),
                    reason="no CJK font file installed (bash .ci/system-deps installs fonts-wqy-microhei)")
def test_chinese_categories_render_with_a_font_cache_older_than_the_font(tmp_path: Path) -> None:
    config_dir = tmp_path / "mplconfig"
    config_dir.mkdir()
    run_python(WRITE_STALE_CACHE, config_dir)
    drawn = json.loads(run_python(DRAW, config_dir, str(tmp_path / "report.png")))
    assert not [w for w in drawn["warnings"] if "missing from font" in w], drawn["warnings"]
    assert any(Path(font).name in {Path(p).name for p in CJK_FONT_FILES} for font in drawn["fonts"]), drawn["fonts"]
    assert (tmp_path / "report.png").stat().st_size > 10_000
