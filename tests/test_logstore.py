"""The conversation log: what one turn writes, anonymization, export, corruption and crash safety."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing

import pyarrow.parquet as pq
import pytest

from assistant.events import fan_out
from assistant.logs.store import LogError, LogStore, export_parquet
from tests.conftest import ROOT


def converse(manager, turns):
    for t in turns:
        reply = manager.step(t)
        if reply.done:
            return reply
    manager.finish()
    return None


@pytest.fixture
def logged(tiny_catalog, make_manager, tmp_path):
    def run(turns, *, log_text=False, user=None, seed=0):
        store = LogStore(tmp_path / "log.db", log_text=log_text)
        manager, recorder = make_manager(tiny_catalog, seed=seed)
        manager.emit = fan_out(store, recorder)
        manager.user = user
        converse(manager, turns)
        return store, manager

    return run


def test_each_decision_is_logged_with_state_action_propensity_and_the_replys_meaning(logged):
    store, _ = logged(["help me find music", "something upbeat", "rock", "yes"])
    turns = list(store.turns())
    assert [t["turn"] for t in turns] == [1, 2, 3, 4]
    decided = [t for t in turns if t["action"]]
    assert len(decided) == 3
    for t in decided:
        assert t["propensity"] == pytest.approx(t["probabilities"][t["action"]])
        assert abs(sum(t["probabilities"].values()) - 1) < 1e-6
        assert "log_candidates" in t["features"]
    assert turns[1]["understanding"]["slots"][0]["value"] == "upbeat"
    assert turns[2]["sample_id"] is not None
    (conversation,) = store.conversations()
    assert conversation["status"] == "accepted"
    assert conversation["track_id"] == turns[2]["sample_id"]
    assert len(json.loads(conversation["station"])) == 10
    assert conversation["n_turns"] == 4


def test_no_words_are_kept_unless_asked_and_users_are_salted_hashes(logged):
    store, _ = logged(["help me find music", "jazz please", "stop"], user="alice")
    raw = (store.path).read_bytes() + b"".join(p.read_bytes() for p in store.path.parent.glob("log.db-*"))
    assert b"jazz please" not in raw
    assert b"alice" not in raw
    (conversation,) = store.conversations()
    assert conversation["user_hash"] and conversation["user_hash"] != "alice"
    assert all(t["user_text"] is None and t["reply_text"] is None for t in store.turns())


def test_log_text_keeps_the_words(logged):
    store, _ = logged(["help me find music", "jazz please", "stop"], log_text=True)
    assert [t["user_text"] for t in store.turns()] == ["help me find music", "jazz please", "stop"]


def test_same_user_same_hash_within_a_log_but_not_across_logs(tmp_path):
    a, b = LogStore(tmp_path / "a.db"), LogStore(tmp_path / "b.db")
    assert a.user_hash("bob") == a.user_hash("bob")
    assert a.user_hash("bob") != b.user_hash("bob")


def test_parquet_export_flattens_features_and_probabilities(logged, tmp_path):
    store, _ = logged(["help me find music", "something upbeat", "rock", "no", "yes"])
    paths = export_parquet(store, tmp_path / "export")
    turns = pq.read_table(paths["turns"]).to_pylist()
    conversations = pq.read_table(paths["conversations"]).to_pylist()
    assert len(turns) == 5 and len(conversations) == 1
    decided = [t for t in turns if t["action"]]
    assert all(t[f"p_{t['action']}"] == pytest.approx(t["propensity"]) for t in decided)
    assert all(t["f_turn"] == t["turn"] for t in decided)


def test_an_unfinished_conversation_is_marked_so(logged):
    store, _ = logged(["help me find music", "jazz"])
    assert store.conversations()[0]["status"] == "unfinished"


def test_a_file_that_is_not_a_log_is_left_byte_for_byte_and_the_conversation_goes_on(
    tmp_path, tiny_catalog, make_manager
):
    path = tmp_path / "log.db"
    content = b"this is not a database at all" * 100
    path.write_bytes(content)
    with pytest.raises(LogError, match="not a tunetalk conversation log"):
        LogStore(path).connect()
    messages: list[str] = []
    store = LogStore(path, warn=messages.append)
    manager, _ = make_manager(tiny_catalog)
    manager.emit = store
    reply = converse(manager, ["jazz", "stop"])
    assert reply is not None and reply.status == "stopped"
    assert len(messages) == 1 and "continuing without logging" in messages[0]
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.db"]


def test_another_programs_database_is_not_touched(tmp_path):
    path = tmp_path / "accounts.db"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        db.execute("INSERT INTO invoices VALUES (1, 9.5)")
    content = path.read_bytes()
    with pytest.raises(LogError, match="SQLite database but not a tunetalk conversation log"):
        LogStore(path).connect()
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.db"]


def test_a_damaged_tunetalk_log_is_set_aside_with_a_message_and_a_new_one_started(
    tmp_path, tiny_catalog, make_manager
):
    path = tmp_path / "log.db"
    store = LogStore(path)
    manager, _ = make_manager(tiny_catalog)
    manager.emit = store
    converse(manager, ["jazz", "stop"])
    store.close()  # the last connection checkpoints the WAL into the file
    raw = bytearray(path.read_bytes())
    # Pages 1-3 hold the schema and the meta table (recognisably ours); the tables after them are damaged.
    raw[3 * 4096 :] = b"\xff" * (len(raw) - 3 * 4096)
    path.write_bytes(bytes(raw))
    messages: list[str] = []
    store = LogStore(path, warn=messages.append)
    manager, _ = make_manager(tiny_catalog, seed=1)
    manager.emit = store
    converse(manager, ["jazz", "stop"])
    assert len(store.conversations()) == 1
    assert messages and "unreadable" in messages[0]
    aside = list(tmp_path.glob("log.db.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == bytes(raw)


def test_a_failing_log_does_not_stop_the_conversation(tmp_path, tiny_catalog, make_manager):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    messages: list[str] = []
    store = LogStore(blocker / "log.db", warn=messages.append)  # parent is a file: cannot be created
    manager, _ = make_manager(tiny_catalog)
    manager.emit = store
    reply = converse(manager, ["jazz", "yes", "yes"])
    assert reply is not None or manager.state.turn == 3
    assert len(messages) == 1 and "continuing without logging" in messages[0]


@pytest.mark.slow
def test_sigkill_mid_conversation_loses_no_committed_turn(tmp_path, tiny_catalog_csv):
    db = tmp_path / "log.db"
    env = {**os.environ, "TUNETALK_HOME": str(tmp_path)}
    command = [
        sys.executable,
        "main.py",
        "replay",
        "-",
        "--catalog",
        str(tiny_catalog_csv),
        "--log",
        str(db),
        "--nlu",
        "rules",
        "--policy",
        "rules",
    ]
    with subprocess.Popen(
        command,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        for text in ["help me find music", "something upbeat", "rock"]:
            proc.stdin.write(text + "\n")
            proc.stdin.flush()
            # The reply is printed only after the turn's transaction has committed.
            assert proc.stdout.readline().startswith("you:")
            assert proc.stdout.readline().startswith("tunetalk:")
        # Killed while waiting for the next turn: nothing gets a chance to flush or close.
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    store = LogStore(db)
    rows = list(store.turns())
    assert [r["turn"] for r in rows] == [1, 2, 3]
    assert rows[2]["action"] == "play_sample" and rows[2]["sample_id"]
    assert store.conversations()[0]["status"] == "active"
    with closing(sqlite3.connect(db)) as probe:
        assert probe.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.close()
