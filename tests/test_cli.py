"""The command line as a user meets it: help, replay output, and clear messages for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT


def run_cli(
    *args: str, stdin: str | None = None, home: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = None
    if home is not None:
        import os

        env = {**os.environ, "TUNETALK_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_help_lists_every_subcommand():
    result = run_cli("--help")
    assert result.returncode == 0
    import pkgutil

    import cli

    names = []
    for info in pkgutil.iter_modules(cli.__path__):
        if info.name.startswith("_") or info.name == "common":
            continue
        module = __import__(f"cli.{info.name}", fromlist=["NAME"])
        if hasattr(module, "NAME"):
            names.append(module.NAME)
    assert {"replay", "logs"} <= set(names)
    for name in names:
        assert f"    {name}" in result.stdout, f"{name} missing from --help"


def test_replay_json_has_turns_and_outcome(tiny_catalog_csv, tmp_path):
    result = run_cli(
        "replay",
        "-",
        "--json",
        "--catalog",
        str(tiny_catalog_csv),
        "--nlu",
        "rules",
        "--policy",
        "rules",
        stdin="help me find music\nsomething upbeat\nrock\nyes I love it\n",
        home=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [t["speaker"] for t in data["turns"]][:2] == ["user", "assistant"]
    assistant_turns = [t for t in data["turns"] if t["speaker"] == "assistant"]
    assert all("action" in t for t in assistant_turns)
    assert any("sample" in t for t in assistant_turns)
    outcome = data["outcome"]
    assert outcome["status"] == "accepted"
    assert set(outcome["track"]) >= {"id", "title", "artist", "genre", "year", "energy", "valence", "tempo"}


def test_replay_text_ends_with_an_outcome_line(tiny_catalog_csv, tmp_path):
    result = run_cli("replay", "-", "--catalog", str(tiny_catalog_csv), stdin="jazz\nstop\n", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "outcome: stopped"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("name,artist\nx,y\n", "line 1: missing column(s)"),
        ("", "is empty; expected a catalogue CSV"),
    ],
)
def test_a_bad_catalogue_is_named_with_line_and_problem(tmp_path, content, expected):
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    result = run_cli("replay", "-", "--catalog", str(bad), stdin="hi\n", home=tmp_path)
    assert result.returncode == 2
    assert str(bad) in result.stderr and (expected in result.stderr or "missing column" in result.stderr)
    assert "Traceback" not in result.stderr


def test_a_missing_transcript_is_a_message_not_a_traceback(tmp_path):
    result = run_cli("replay", str(tmp_path / "nope.txt"), home=tmp_path)
    assert result.returncode == 2
    assert "cannot read transcript" in result.stderr and "Traceback" not in result.stderr


def test_logs_export_writes_parquet(tiny_catalog_csv, tmp_path):
    assert (
        run_cli(
            "replay", "-", "--catalog", str(tiny_catalog_csv), stdin="jazz\nno\nstop\n", home=tmp_path
        ).returncode
        == 0
    )
    result = run_cli("logs", "export", "--parquet", str(tmp_path / "out"), home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "turns.parquet").exists()
    shown = run_cli("logs", "show", home=tmp_path)
    assert "1 conversations" in shown.stdout and "stopped" in shown.stdout


def test_logs_export_writes_a_dataset_that_reads_back_the_same(tiny_catalog_csv, tmp_path):
    from assistant.logs.dataset import read_log
    from assistant.logs.partitioned import list_parts

    for seed in ("1", "2", "3"):
        done = run_cli(
            "replay", "-", "--catalog", str(tiny_catalog_csv), "--seed", seed, stdin="jazz\nno\nstop\n",
            home=tmp_path,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    out = tmp_path / "dataset"
    result = run_cli("logs", "export", "--dataset", str(out), "--part-size", "2", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "3 conversations" in result.stdout and "2 part(s)" in result.stdout
    assert len(list_parts(out)) == 2
    exported, logged = read_log(out), read_log(tmp_path / "tunetalk.db")
    assert [c["id"] for c in exported.conversations] == [c["id"] for c in logged.conversations]
    assert exported.columns["action"] == logged.columns["action"]
    assert np.array_equal(exported.features, logged.features, equal_nan=True)

    again = run_cli("logs", "export", "--dataset", str(out), home=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr and len(list_parts(out)) == 2
    # Replacing our own dataset leaves no part of the earlier export behind to be read with the new one.
    forced = run_cli("logs", "export", "--dataset", str(out), "--force", home=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert len(list_parts(out)) == 1 and len(read_log(out)) == len(logged)


def test_a_reader_that_goes_away_is_not_an_error(tmp_path):
    # `python main.py nlu --file F --json | head -1`: the pipe closes long before the output ends.
    lines = tmp_path / "many.txt"
    lines.write_text("something upbeat from the nineties\n" * 4000, encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "main.py", "nlu", "--nlu", "rules", "--json", "--file", str(lines)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(timeout=120) == 0
    assert json.loads(first)["act"] == "inform"
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr
