"""`cpa evaluate` end to end through click."""

import json

from click.testing import CliRunner

from cpa.cli import main


def test_evaluate_reference_table():
    r = CliRunner().invoke(main, ["evaluate", "trusts35"])
    assert r.exit_code == 0, r.output
    assert "35 areas" in r.output and "trusts split: 0 of 35" in r.output


def test_evaluate_json_to_file(tmp_path):
    out = tmp_path / "card.json"
    r = CliRunner().invoke(main, ["evaluate", "crc21", "--format", "json", "--out", str(out),
                                  "--min-value", "15", "--max-share", "12"])
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    assert doc["summary"]["areas"] == 21 and "C17" in doc["summary"]["areas_over_cap"]
    assert len(doc["summary"]["areas_under_floor"]) > 0


def test_evaluate_unknown_reference_is_one_clear_message():
    r = CliRunner().invoke(main, ["evaluate", "trusts36"])
    assert r.exit_code == 2
    assert "neither a reference plan nor a file" in r.output and "Traceback" not in r.output
