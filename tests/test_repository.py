"""The repository stays cloneable: no tracked file over 5 MB (the shipped example vectors grow with
every example writer, and are quantized to int8 to stay under it)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LIMIT_BYTES = 5_000_000


def test_no_tracked_file_is_over_5_mb() -> None:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=False)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    paths = [REPO / name for name in listed.stdout.decode().split("\0") if name]
    too_big = {str(p.relative_to(REPO)): p.stat().st_size for p in paths if p.exists() and p.stat().st_size > LIMIT_BYTES}
    assert not too_big
