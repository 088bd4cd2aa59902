"""Question-set runs from the staff page write into a scratch folder under the temp dir; none outlives its use."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from eval.runner import SCRATCH_PREFIX, scratch_run_dir

REPO = Path(__file__).resolve().parents[2]

# A server that ran one question set from its staff page, then stopped.
STAFF_RUN = """
import json, sys
from pathlib import Path
from gradio.utils import get_upload_folder
from bot.surfaces.logbook import Logbook
from bot.surfaces.settings import ServeSettings
from bot.surfaces.staff import StaffHandlers, eval_runner_for
from tests.surfaces.conftest import FakeBot

bot = FakeBot()
staff = StaffHandlers(bot, bot.kb, ServeSettings(), Logbook(Path(sys.argv[1]) / "logbook.sqlite3"),
                      eval_runner_for(bot, bot.kb))
upload = Path(get_upload_folder()) / "0123abcd" / "set.jsonl"
upload.parent.mkdir(parents=True)
upload.write_text(json.dumps({"id": "q1", "question": "升级服务包含什么？", "lang": "zh", "gold": ["升级服务"]}), encoding="utf-8")
staff.uploads.add(str(upload))
report, chart, results = staff.run_eval(str(upload))
assert "Finished" in report and Path(results).is_file()
print(results)
"""


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(folder))
    return folder


def test_a_staff_run_leaves_no_scratch_folder_behind(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "GRADIO_TEMP_DIR": str(tmp_path / "gradio")}
    done = subprocess.run([sys.executable, "-c", STAFF_RUN, str(tmp_path)], capture_output=True, text=True, env=env,
                          cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).parent.name.startswith(SCRATCH_PREFIX)  # the run did write there
    assert list(temp.glob(f"{SCRATCH_PREFIX}*")) == []


def test_scratch_folders_of_killed_processes_go_once_an_hour_old(temp_dir: Path) -> None:
    old, recent = temp_dir / f"{SCRATCH_PREFIX}old", temp_dir / f"{SCRATCH_PREFIX}recent"
    for folder, modified in ((old, 1_000_000.0), (recent, 1_000_000.0 + 3000)):
        folder.mkdir()
        (folder / "results.jsonl").write_text("{}\n")
        os.utime(folder, (modified, modified))
    mine = scratch_run_dir(now=lambda: 1_000_000.0 + 3700)
    assert mine.is_dir() and mine.name.startswith(SCRATCH_PREFIX)
    assert not old.exists() and recent.exists()


def test_other_folders_and_links_in_the_temp_dir_are_left_alone(temp_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "precious"
    target.mkdir()
    (target / "file").write_text("keep")
    link = temp_dir / f"{SCRATCH_PREFIX}link"
    link.symlink_to(target)
    other = temp_dir / "kbbot-bench-x"
    other.mkdir()
    for path in (target, other):
        os.utime(path, (0, 0))
    scratch_run_dir(now=lambda: 10_000_000.0)
    assert (target / "file").read_text() == "keep" and link.is_symlink() and other.exists()
