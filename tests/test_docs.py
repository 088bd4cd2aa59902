"""The README's links work in a clone of the repository alone (no sibling folders)."""
from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_readme_links_point_inside_the_repository() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    targets = [target.split("#")[0] for target in re.findall(r"\]\(([^)\s]+)\)", readme)
               if not re.match(r"[a-z]+:", target) and not target.startswith("#")]
    assert targets
    for target in targets:
        path = (REPO / target).resolve()
        assert path.is_relative_to(REPO) and path.exists(), target


def test_the_eval_format_is_in_docs() -> None:
    assert "[`eval-format.md`](docs/eval-format.md)" in (REPO / "README.md").read_text(encoding="utf-8")
    assert (REPO / "docs" / "eval-format.md").read_text(encoding="utf-8").startswith("#")
