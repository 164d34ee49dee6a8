"""Conversation ids are unique whatever the seed, and logs mixed by earlier versions are found and skipped.

Earlier versions drew the id from the seeded dialogue generator, so every replay with the same seed, and
the first conversation of every UI or voice run, got the same id, and the log merged their turns. Seeds
decide behaviour only; the id is drawn apart from them. A log already mixed is reported by
`logs check` and left out of learning.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.dialogue.manager import DialogueManager
from assistant.logs.dataset import TableRecorder, read_log, write_log
from assistant.logs.store import LogStore, interleaved_conversations
from assistant.music.catalog import Catalog
from assistant.policies.rules import RulePolicy
from nlu.linking import EntityLinker
from nlu.rules import RuleUnderstanding
from tests.conftest import ROOT
from tests.test_tui_support import OPENING, converse, make_app, settle

TURNS = "help me find music\nsomething upbeat\nrock\nno\nstop\n"


def _main(*args: str, stdin: str = "", home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TUNETALK_HOME": str(home), "PULSE_SERVER": "none"},
    )


def _ids(log: Path) -> list[str]:
    with sqlite3.connect(log) as db:
        return [r[0] for r in db.execute("SELECT id FROM conversations")]


def test_two_replays_with_the_same_seed_are_two_conversations_in_one_log(tmp_path: Path) -> None:
    log = tmp_path / "log.db"
    runs = [
        _main(
            "replay",
            "-",
            "--json",
            "--seed",
            "7",
            "--nlu",
            "rules",
            "--policy",
            "rules",
            "--log",
            str(log),
            stdin=TURNS,
            home=tmp_path,
        )
        for _ in range(2)
    ]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr
    first, second = (json.loads(r.stdout) for r in runs)
    assert first["turns"] == second["turns"], "the seed still decides what is said"
    assert first["conversation_id"] != second["conversation_id"]
    assert sorted(_ids(log)) == sorted([first["conversation_id"], second["conversation_id"]])
    shown = _main("logs", "--log", str(log), "show", home=tmp_path)
    assert f"{log}: 2 conversations" in shown.stdout
    checked = _main("logs", "check", str(log), home=tmp_path)
    assert checked.returncode == 0 and "0 with interleaved turns" in checked.stdout


def test_two_voice_runs_with_the_same_seed_are_two_conversations(tmp_path: Path) -> None:
    # No microphone here: voice says so and talks in text, through the same session and log.
    log = tmp_path / "log.db"
    for _ in range(2):
        done = _main(
            "voice", "--input-device", "99", "--nlu", "rules", "--log", str(log), stdin=TURNS, home=tmp_path
        )
        assert done.returncode == 0, done.stderr
    assert len(set(_ids(log))) == 2
    assert LogStore(log).interleaved() == {}


@pytest.mark.asyncio
async def test_two_terminal_ui_runs_with_the_same_seed_are_two_conversations(
    tiny_catalog: Catalog, tmp_path: Path
) -> None:
    log = tmp_path / "log.db"
    for _ in range(2):
        app = make_app(tiny_catalog, seed=0, log_path=log)
        async with app.run_test() as pilot:
            await settle(pilot)
            await converse(pilot, OPENING[:2])
            await pilot.press("ctrl+q")
    assert len(set(_ids(log))) == 2
    store = LogStore(log)
    assert store.interleaved() == {}
    assert [c["n_turns"] for c in store.conversations()] == [2, 2]


# -- logs written by earlier versions ------------------------------------------------------------------
def _conversation(catalog: Catalog, emit: object, cid: str, turns: list[str], seed: int = 0) -> None:
    """One conversation under a given id, as earlier versions logged every run with the same seed."""
    manager = DialogueManager(
        catalog,
        RuleUnderstanding(EntityLinker.for_catalog(catalog)),
        RulePolicy(),
        np.random.default_rng(seed),
        emit=emit,  # type: ignore[arg-type]
        conversation_id=cid,
    )
    for text in turns:
        if manager.step(text).done:
            return
    manager.finish()


LONG = ["help me find music", "something upbeat", "rock", "no", "no", "stop"]
SHORT = ["jazz", "stop"]


def _collided_log(catalog: Catalog, path: Path) -> set[str]:
    """A log like those of earlier versions: three ids each used by two conversations, the later one
    shorter (so turns of both remain), among clean conversations. Returns the collided ids."""
    store = LogStore(path)
    for cid in ("28c3faf3f670a097", "a1", "b2"):
        _conversation(catalog, store, cid, LONG)
        _conversation(catalog, store, f"clean-{cid}", SHORT)
        _conversation(catalog, store, cid, SHORT)
    # A reused id whose later conversation is as long as the first overwrote it whole: nothing mixed.
    _conversation(catalog, store, "c3", SHORT)
    _conversation(catalog, store, "c3", SHORT)
    store.close()
    return {"28c3faf3f670a097", "a1", "b2"}


def test_logs_check_finds_every_collided_conversation(
    tiny_catalog: Catalog, tiny_catalog_csv: Path, tmp_path: Path
) -> None:
    log = tmp_path / "old.db"
    collided = _collided_log(tiny_catalog, log)
    before = log.read_bytes()
    done = _main("logs", "check", str(log), home=tmp_path)
    assert done.returncode == 1, done.stderr
    listed = {line.split("\t")[0] for line in done.stdout.splitlines() if "\t" in line}
    assert listed == collided
    assert f"{log}: 7 conversations, 3 with interleaved turns" in done.stdout
    shown = _main("logs", "--log", str(log), "show", home=tmp_path)
    assert "3 of them mix the turns of several conversations" in shown.stdout
    assert log.read_bytes() == before, "checking changed the log"


def test_learning_skips_collided_conversations_with_a_count(tiny_catalog: Catalog, tmp_path: Path) -> None:
    log = tmp_path / "old.db"
    collided = _collided_log(tiny_catalog, log)
    table = read_log(log)
    assert set(table.skipped) == collided
    assert {c["id"] for c in table.conversations} == {"clean-28c3faf3f670a097", "clean-a1", "clean-b2", "c3"}
    assert set(table.columns["conversation_id"]) == {c["id"] for c in table.conversations}
    assert len(table.features) == len(table) == len(table.probabilities)
    # The same from its Parquet export.
    exported = _main(
        "logs", "--log", str(log), "export", "--parquet", str(tmp_path / "export"), home=tmp_path
    )
    assert exported.returncode == 0, exported.stderr
    assert set(read_log(tmp_path / "export").skipped) == collided


def test_train_says_how_many_conversations_it_left_out(
    tiny_catalog: Catalog, tiny_catalog_csv: Path, tmp_path: Path
) -> None:
    log = tmp_path / "old.db"
    collided = _collided_log(tiny_catalog, log)
    done = _main(
        "train",
        "--log",
        str(log),
        "--catalog",
        str(tiny_catalog_csv),
        "--models",
        "linear",
        "--bootstrap",
        "10",
        "--output",
        str(tmp_path / "p.npz"),
        "--report",
        str(tmp_path / "r"),
        home=tmp_path,
    )
    said = [line for line in done.stderr.splitlines() if "left out" in line]
    assert said == [
        f"train: left out {len(collided)} conversation(s) of {log} whose turns interleave (ids reused by an "
        f"earlier version; `python main.py logs check {log}` lists them)"
    ], done.stderr


def test_simulated_logs_written_twice_under_the_same_ids_are_found(
    tiny_catalog: Catalog, tmp_path: Path
) -> None:
    # `sim-SEED-I` ids: a second run with the same seed and another policy, appended to the same file.
    path = tmp_path / "sim.db"
    for turns in (LONG, SHORT):
        recorder = TableRecorder()
        for i in range(3):
            _conversation(tiny_catalog, recorder, f"sim-0-{i:07d}", turns, seed=i)
        write_log(recorder.table(), path)
    assert set(read_log(path).skipped) == {f"sim-0-{i:07d}" for i in range(3)}


def test_a_clean_in_memory_table_has_nothing_interleaved(tiny_catalog: Catalog) -> None:
    recorder = TableRecorder()
    for i in range(3):
        _conversation(tiny_catalog, recorder, f"sim-1-{i:07d}", LONG, seed=i)
    table = recorder.table()
    rows = [
        {"conversation_id": c, "turn": t}
        for c, t in zip(table.columns["conversation_id"], table.columns["turn"], strict=True)
    ]
    assert interleaved_conversations(table.conversations, rows) == {}
