from __future__ import annotations

import json

from click.testing import CliRunner

from bot.surfaces.cli import cli
from kb.diff import diff_catalogs
from tests.conftest import BUNDLED_CATALOG


def edited(catalog):
    entries = [e for e in catalog.entries if e.id != "培训服务"]
    upgrade = catalog.entry("升级服务")
    changed = upgrade.model_copy(update={"items": [*upgrade.items[:-1], "上线保障：完成正式升级，提供两周驻场保障。"]})
    entries = [changed if e.id == "升级服务" else e for e in entries]
    new = catalog.entries[0].model_copy(update={"id": "数据归档服务", "product": "数据归档服务"})
    return catalog.model_copy(update={"catalog_version": "2026-01-01", "entries": [*entries, new]})


def test_diff_reports_added_removed_and_changed_clauses(catalog):
    difference = diff_catalogs(catalog, edited(catalog))
    assert difference.added == ["数据归档服务"] and difference.removed == ["培训服务"]
    [change] = difference.changed
    assert change.product == "升级服务"
    assert change.added_clauses == ["上线保障：完成正式升级，提供两周驻场保障。"]
    assert change.removed_clauses == ["上线保障：完成正式升级，上线切换。"]


def test_an_edition_against_itself_has_no_differences(catalog):
    assert diff_catalogs(catalog, catalog).model_dump() == {"added": [], "removed": [], "changed": []}


def test_cli_diff_compares_a_file_with_an_ingested_version(ingested, catalog, tmp_path):
    newer = tmp_path / "newer.json"
    newer.write_text(edited(catalog).model_dump_json())
    result = CliRunner().invoke(cli, ["diff", "2025-07-01", str(newer), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["added"] == ["数据归档服务"] and payload["changed"][0]["product"] == "升级服务"
    same = CliRunner().invoke(cli, ["diff", str(BUNDLED_CATALOG), "2025-07-01", "--json"])
    assert json.loads(same.stdout) == {"added": [], "removed": [], "changed": []}


def test_cli_diff_with_an_unknown_version_is_a_clear_error(ingested):
    result = CliRunner().invoke(cli, ["diff", "2019-01-01", "2025-07-01"])
    assert result.exit_code == 2 and "unknown version '2019-01-01'" in result.stderr
