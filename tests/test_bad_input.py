"""Every command, given a mistake, says so in one line and changes nothing.

A table of bad inputs across all subcommands (missing, unreadable, binary, wrong type, empty, huge,
typo'd, gibberish or non-English names, existing outputs, unwritable outputs, a corrupt catalogue, log or
policy), each run as `python main.py ...` in a subprocess of its own, in a folder of its own holding the
same files. Each must exit with status 2, print exactly one line on stderr, naming the problem, with no
traceback, and leave every file and folder as it was (snapshot before and after). The cases run in
parallel; the whole table takes well under a minute.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT, _tiny_tracks, write_spotify_csv

ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0
UNREADABLE = "/proc/self/mem" if ROOT_USER else "{d}/unreadable.txt"
"""Root reads a file whatever its mode; /proc/self/mem opens but fails to read at offset 0."""


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    says: str
    """A piece of the one line expected on stderr."""


def case(id: str, says: str, *args: str) -> Case:
    return Case(id, args, says)


CASES = [
    # replay and the options every conversation shares
    case("replay-missing", "cannot read transcript", "replay", "{d}/nope.txt"),
    case("replay-binary", "is not a text transcript", "replay", "{d}/binary.bin"),
    case("replay-empty", "is empty", "replay", "{d}/empty.txt"),
    case("replay-folder", "is a folder", "replay", "{d}/folder"),
    case("replay-unreadable", "cannot read transcript", "replay", UNREADABLE),
    case("replay-policy-typo", "did you mean 'learned'", "replay", "{d}/turns.txt", "--policy", "learnd"),
    case(
        "replay-policy-corrupt", "not an .npz archive", "replay", "{d}/turns.txt", "--policy", "{d}/bad.npz"
    ),
    case("replay-policy-pickle", "Python objects", "replay", "{d}/turns.txt", "--policy", "{d}/pickle.npz"),
    case("replay-catalog-corrupt", "missing column", "replay", "{d}/turns.txt", "--catalog", "{d}/bad.csv"),
    case(
        "replay-catalog-binary",
        "not a text catalogue",
        "replay",
        "{d}/turns.txt",
        "--catalog",
        "{d}/binary.bin",
    ),
    case(
        "replay-log-notes",
        "not a tunetalk conversation log",
        "replay",
        "{d}/turns.txt",
        "--log",
        "{d}/notes.txt",
    ),
    case(
        "replay-log-foreign-db",
        "not a tunetalk conversation log",
        "replay",
        "{d}/turns.txt",
        "--log",
        "{d}/other.db",
    ),
    case("replay-log-no-folder", "does not exist", "replay", "{d}/turns.txt", "--log", "{d}/nodir/log.db"),
    case("replay-log-folder", "is a folder", "replay", "{d}/turns.txt", "--log", "{d}/folder"),
    case("replay-nlu-typo", "did you mean 'model'", "replay", "{d}/turns.txt", "--nlu", "modle"),
    case("replay-seed-gibberish", "invalid int value", "replay", "{d}/turns.txt", "--seed", "x9!"),
    # voice
    case("voice-audio-in-missing", "does not exist", "voice", "--audio-in", "{d}/nope.wav"),
    case("voice-audio-in-binary", "as WAV audio", "voice", "--audio-in", "{d}/binary.bin"),
    case(
        "voice-audio-out-no-folder",
        "does not exist",
        "voice",
        "--audio-in",
        "{d}/speech.wav",
        "--audio-out",
        "{d}/nodir/out.wav",
    ),
    case(
        "voice-audio-out-exists",
        "--force",
        "voice",
        "--audio-in",
        "{d}/speech.wav",
        "--audio-out",
        "{d}/old.wav",
    ),
    case(
        "voice-audio-out-proc",
        "cannot be created",
        "voice",
        "--audio-in",
        "{d}/speech.wav",
        "--audio-out",
        "/proc/z.wav",
    ),
    case(
        "voice-policy-non-english",
        "no such policy file",
        "voice",
        "--audio-in",
        "{d}/speech.wav",
        "--policy",
        "音楽",
    ),
    case("voice-engine-typo", "did you mean 'vosk'", "voice", "--engine", "vosc"),
    case(
        "voice-timeout-huge",
        "--timeout must be",
        "voice",
        "--audio-in",
        "{d}/speech.wav",
        "--timeout",
        "1e12",
    ),
    # the terminal UI checks before its window opens
    case("tui-catalog-missing", "no such catalogue file", "tui", "--catalog", "{d}/none.csv"),
    case("tui-log-notes", "not a tunetalk conversation log", "tui", "--log", "{d}/notes.txt"),
    case("tui-policy-gibberish", "no such policy file", "tui", "--policy", "xq#zz!"),
    case("tui-theme-typo", "did you mean 'dark'", "tui", "--theme", "drak"),
    case("bare-options-policy-typo", "did you mean 'rules'", "--policy", "rulez"),
    # history
    case(
        "history-import-missing",
        "cannot read listening-history export",
        "history",
        "import",
        "{d}/nope.csv",
        "--user",
        "ann",
    ),
    case(
        "history-import-binary",
        "not a text listening-history export",
        "history",
        "import",
        "{d}/binary.bin",
        "--user",
        "ann",
    ),
    case(
        "history-db-notes",
        "not a tunetalk listening-history database",
        "history",
        "show",
        "--user",
        "ann",
        "--db",
        "{d}/notes.txt",
    ),
    case(
        "history-db-foreign",
        "not a tunetalk listening-history database",
        "history",
        "show",
        "--user",
        "ann",
        "--db",
        "{d}/other.db",
    ),
    case("history-user-empty", "needs a profile name", "history", "show", "--user", " "),
    case("history-action-typo", "did you mean 'forget'", "history", "forgett"),
    # catalogue
    case("clip-out-exists", "--force", "catalog", "clip", "{track}", "--out", "{d}/old.wav"),
    case("clip-out-proc", "cannot be created", "catalog", "clip", "{track}", "--out", "/proc/z.wav"),
    case("clip-out-no-folder", "does not exist", "catalog", "clip", "{track}", "--out", "{d}/nodir/c.wav"),
    case("clip-track-non-english", "no track '音楽123'", "catalog", "clip", "音楽123", "--out", "{d}/c.wav"),
    case(
        "clip-seconds-huge",
        "--seconds must be from 1 to 30",
        "catalog",
        "clip",
        "{track}",
        "--out",
        "{d}/c.wav",
        "--seconds",
        "1e9",
    ),
    case("catalog-show-corrupt", "missing column", "catalog", "show", "--catalog", "{d}/bad.csv"),
    case("catalog-show-empty", "is empty", "catalog", "show", "--catalog", "{d}/empty.txt"),
    case("catalog-build-removed", "invalid choice", "catalog", "build", "--out", "{d}/old.csv"),
    # logs
    case("logs-notes", "not a tunetalk conversation log", "logs", "--log", "{d}/notes.txt", "show"),
    case("logs-missing", "no conversation log", "logs", "--log", "{d}/nope.db", "show"),
    case("logs-check-foreign", "not a tunetalk conversation log", "logs", "check", "{d}/other.db"),
    case("logs-check-damaged", "not a readable tunetalk conversation log", "logs", "check", "{d}/damaged.db"),
    case(
        "logs-export-onto-file",
        "is a file",
        "logs",
        "--log",
        "{d}/log.db",
        "export",
        "--parquet",
        "{d}/notes.txt",
    ),
    case("logs-export-exists", "--force", "logs", "--log", "{d}/log.db", "export", "--parquet", "{d}/export"),
    case(
        "logs-export-dataset-foreign",
        "not a tunetalk log dataset",
        "logs",
        "--log",
        "{d}/log.db",
        "export",
        "--dataset",
        "{d}/lake",
        "--force",
    ),
    case(
        "logs-export-dataset-part-size",
        "--part-size must be from 1",
        "logs",
        "--log",
        "{d}/log.db",
        "export",
        "--dataset",
        "{d}/new-dataset",
        "--part-size",
        "0",
    ),
    case(
        "logs-export-both",
        "not allowed with argument",
        "logs",
        "--log",
        "{d}/log.db",
        "export",
        "--dataset",
        "{d}/a",
        "--parquet",
        "{d}/b",
    ),
    # nlu
    case("nlu-file-binary", "not a text file of utterances", "nlu", "--file", "{d}/binary.bin"),
    case("nlu-file-missing", "cannot read file of utterances", "nlu", "--file", "{d}/nope.txt"),
    case("nlu-catalog-corrupt", "missing column", "nlu", "--catalog", "{d}/bad.csv", "jazz"),
    case("nlu-nothing", "give an utterance", "nlu"),
    # simulate, train, evaluate
    case("simulate-population-typo", "did you mean 'impatient'", "simulate", "--population", "impatinet"),
    case(
        "simulate-population-binary",
        "not a text population file",
        "simulate",
        "--population",
        "{d}/binary.bin",
    ),
    case(
        "simulate-huge",
        "--conversations must be from 1",
        "simulate",
        "--conversations",
        "100000000000000000000",
    ),
    case("simulate-policy-typo", "did you mean 'uniform'", "simulate", "--policy", "unifrom"),
    case("simulate-log-exists", "--force", "simulate", "--conversations", "5", "--log", "{d}/export"),
    case("train-log-notes", "not a SQLite log", "train", "--log", "{d}/notes.txt"),
    case("train-log-foreign-db", "not a tunetalk log", "train", "--log", "{d}/other.db"),
    case("train-models-typo", "did you mean 'trees'", "train", "--simulate", "5", "--models", "linear,treez"),
    case("train-report-exists", "--force", "train", "--simulate", "5", "--report", "{d}/report"),
    case(
        "train-backend-typo", "did you mean 'lightgbm'", "train", "--simulate", "5", "--backends", "lightgmb"
    ),
    case("train-turn-cost", "--turn-cost must be in 0..1", "train", "--simulate", "5", "--turn-cost", "5"),
    case(
        "train-current-typo",
        "did you mean 'rules-tuned'",
        "train",
        "--simulate",
        "5",
        "--current",
        "rules-tuend",
    ),
    case(
        "train-current-corrupt", "not an .npz archive", "train", "--simulate", "5", "--current", "{d}/bad.npz"
    ),
    case("evaluate-policy-corrupt", "not an .npz archive", "evaluate", "--policy", "{d}/bad.npz"),
    case("evaluate-report-exists", "--force", "evaluate", "--report", "{d}/report"),
    case("evaluate-zero", "--conversations must be from 1", "evaluate", "--conversations", "0"),
    case("evaluate-tuned-missing", "no such file", "evaluate", "--tuned-rules", "{d}/nope.json"),
    case("evaluate-tuned-corrupt", "not a rule settings file", "evaluate", "--tuned-rules", "{d}/notes.txt"),
    case("tune-population-typo", "no such population", "tune", "--populations", "default,impatent"),
    case("tune-zero", "--conversations must be from 1", "tune", "--conversations", "0"),
    case("tune-output-exists", "--force", "tune", "--output", "{d}/old.csv"),
    # library
    case("library-missing", "no such catalogue file or music folder", "library", "scan", "{d}/no-music"),
    case("library-action-typo", "did you mean 'scan'", "library", "scna", "{d}"),
    case("library-skipped-unscanned", "has not been scanned yet", "library", "skipped", "{d}"),
    case(
        "evaluate-history-policy-typo",
        "did you mean 'learned+history'",
        "evaluate",
        "--history-policy",
        "learnd+history",
    ),
    # ope
    case("ope-corrupt", "not an .npz archive", "ope", "{d}/bad.npz"),
    case("ope-pickle", "Python objects", "ope", "{d}/pickle.npz"),
    case("ope-no-reward-model", "needs q_hat", "ope", "{d}/bandit.npz", "--policy", "egreedy"),
    case("ope-missing", "nope.npz: no such file", "ope", "{d}/nope.npz"),
    case("ope-empty", "not an .npz archive", "ope", "{d}/empty.npz"),
    case(
        "ope-policy-non-english",
        "no evaluation policy 'égreedy'",
        "ope",
        "{d}/bandit.npz",
        "--policy",
        "égreedy",
    ),
    case("ope-bootstrap-negative", "must be 0 or more", "ope", "{d}/bandit.npz", "--bootstrap", "-1"),
    # the command itself
    case("command-typo", "did you mean 'replay'", "replya"),
    case("command-non-english", "invalid choice", "écouter"),
]


def _workspace(template: Path, folder: Path) -> None:
    """The same files in every case's folder (copied from one template built once)."""
    shutil.copytree(template, folder, symlinks=True)
    if not ROOT_USER:
        (folder / "unreadable.txt").chmod(0)


def _template(root: Path) -> Path:
    """Inputs of every kind, good and bad, and outputs that already exist."""
    from assistant.logs.store import LogStore
    from assistant.music.catalog import load_catalog
    from audio.sound import Sound, write_wav
    from tests.conftest import GENRES  # noqa: F401 - the tiny catalogue's layout

    d = root / "template"
    d.mkdir()
    catalog_csv = write_spotify_csv(d / "tiny.csv", _tiny_tracks())
    (d / "turns.txt").write_text("help me find music\nstop\n", encoding="utf-8")
    (d / "binary.bin").write_bytes(bytes(range(256)) * 8)
    (d / "empty.txt").write_bytes(b"")
    (d / "empty.npz").write_bytes(b"")
    (d / "notes.txt").write_text("my notes: not a log\n", encoding="utf-8")
    (d / "unreadable.txt").write_text("secret\n", encoding="utf-8")
    (d / "bad.csv").write_text("name,artist\nx,y\n", encoding="utf-8")
    (d / "bad.npz").write_bytes(b"\x80\x04garbage that is not an npz archive" * 10)
    np.savez(
        d / "pickle.npz",
        action=np.array([object()], dtype=object),
        reward=np.zeros(1),
        pscore=np.ones(1),
        pi_e=np.ones((1, 2)),
    )
    np.savez(
        d / "bandit.npz",
        action=np.zeros(4, int),
        reward=np.ones(4),
        pscore=np.full(4, 0.5),
        pi_e_egreedy=np.full((4, 2), 0.5),
        pi_e_softmax=np.full((4, 2), 0.5),
    )
    (d / "folder").mkdir()
    write_wav(d / "old.wav", Sound(np.zeros(1600, np.float32), 16000))
    write_wav(d / "speech.wav", Sound(np.zeros(16000, np.float32), 16000))
    (d / "old.csv").write_text("keep me\n", encoding="utf-8")
    with sqlite3.connect(d / "other.db") as db:
        db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        db.execute("INSERT INTO invoices VALUES (1, 9.5)")
    db.close()
    store = LogStore(d / "log.db")
    store.connect()
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{d / 'log.db'}{suffix}").unlink(missing_ok=True)
    # A log whose first page is damaged: its schema cannot be read, so it is not recognisably ours.
    raw = bytearray((d / "log.db").read_bytes())
    raw[100:4096] = b"\xff" * (4096 - 100)
    (d / "damaged.db").write_bytes(bytes(raw))
    (d / "export").mkdir()
    for name in ("turns.parquet", "conversations.parquet"):
        (d / "export" / name).write_bytes(b"an earlier export")
    # Someone else's Parquet lake with the same folder names: never ours to replace, --force or not.
    (d / "lake" / "turns").mkdir(parents=True)
    (d / "lake" / "turns" / "part-0.parquet").write_bytes(b"someone else's data")
    (d / "report").mkdir()
    for name in ("README.md", "training.json", "evaluation.json"):
        (d / "report" / name).write_text("an earlier report\n", encoding="utf-8")
    assert load_catalog(catalog_csv)  # the template's catalogue is a good one
    return d


def _snapshot(folder: Path) -> dict[str, tuple[object, ...]]:
    """Every file and folder under `folder`: type, mode, size and content hash."""
    seen: dict[str, tuple[object, ...]] = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        digest = ""
        if path.is_file() and not path.is_symlink():
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except PermissionError:
                digest = "unreadable"
        seen[str(path.relative_to(folder))] = (path.is_dir(), info.st_mode, info.st_size, digest)
    return seen


@dataclass
class Outcome:
    returncode: int
    stderr: str
    changed: list[str]


def _run(case: Case, template: Path, base: Path, track: str) -> Outcome:
    folder = base / case.id
    _workspace(template, folder)
    before = _snapshot(folder)
    args = [a.format(d=folder, track=track) for a in case.args]
    done = subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TUNETALK_HOME": str(folder / "home"), "PULSE_SERVER": "none"},
    )
    after = _snapshot(folder)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if not ROOT_USER:
        (folder / "unreadable.txt").chmod(0o600)
    return Outcome(done.returncode, done.stderr, changed)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    from assistant.music.catalog import load_catalog

    base = tmp_path_factory.mktemp("bad-input")
    template = _template(base)
    track = load_catalog().tracks[0].id  # the demo catalogue's, which `catalog clip` reads by default
    with ThreadPoolExecutor(max_workers=max(2, min(6, (os.cpu_count() or 2) * 2))) as pool:
        futures = {c.id: pool.submit(_run, c, template, base, track) for c in CASES}
        return {name: f.result() for name, f in futures.items()}


def test_the_table_covers_every_command_with_at_least_40_cases() -> None:
    assert len(CASES) >= 40 and len({c.id for c in CASES}) == len(CASES)
    import main

    commands = {m.NAME for m in main._commands()}
    covered = {c.args[0] for c in CASES if c.args and c.args[0] in commands}
    assert covered == commands


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_mistake_is_one_line_exit_2_and_changes_nothing(case: Case, outcomes: dict[str, Outcome]) -> None:
    got = outcomes[case.id]
    lines = got.stderr.strip().splitlines()
    assert "Traceback" not in got.stderr and "Exception ignored" not in got.stderr, got.stderr
    assert got.returncode == 2, got.stderr
    assert len(lines) == 1, got.stderr
    assert lines[0].startswith("tunetalk: ") and case.says in lines[0], lines[0]
    assert got.changed == [], f"changed: {got.changed}"
