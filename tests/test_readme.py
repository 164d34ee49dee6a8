"""What the README promises holds on what ships: its commands run and its examples say what it says.

The README is parsed, not copied: every `python main.py ...` it names must parse; the commands of its
"Ways in" table are run as a user runs them (a subprocess per command, placeholders such as FILE or
TRACK_ID filled with real files); an example block beginning `$ python main.py ...` must print exactly
the lines below it; each option of the shared-options paragraph, with each value it lists, must be
accepted; and every quoted phrase of "What you can say" is said to the assistant (the default
configuration: shipped learned policy, trained understanding) in the situation its bullet describes,
checking the claim made about it. Phrases the README ties to a real catalogue (`--catalog PATH`) are
checked on that catalogue, and skipped with a reason where it is absent.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.dialogue.manager import DialogueManager, Reply
from assistant.dialogue.state import Status
from cli.common import Session, add_common_options, build_session
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
MAIN = re.compile(r"^(?:\.venv/bin/)?python main\.py\b\s*")
PLACEHOLDER = re.compile(r"^[A-Z][A-Z_]*(\.[a-z]+)?$")
"""FILE, FILE.csv, NAME, DIR, TRACK_ID, F, OUT.wav: stand for something the reader supplies."""


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert match, f"README has no section {title!r}"
    return match.group(1)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _parser() -> argparse.ArgumentParser:
    import main

    return main.build_parser()


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = _parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


# -- every command named anywhere parses ----------------------------------------------------------------
def _named_commands() -> list[list[str]]:
    """Every backticked command line of the README, as argv after `main.py`: `python main.py X ...` and
    the subcommand shorthands of the table (`history show`, `train --turn-discount 0.85`)."""
    names = set(_subcommands())
    found = []
    for fragment in re.findall(r"`([^`\n]+)`", README):
        text = fragment.strip()
        if MAIN.match(text):
            text = MAIN.sub("", text)
        elif text.split(" ", 1)[0] not in names:
            continue
        found.append(shlex.split(text.replace("[", "").replace("]", "")))
    return found


def _fill_for_parsing(argv: list[str]) -> list[str]:
    """Placeholders become values of the right type; `a|b|c` alternatives are checked one by one below."""
    return [
        "1" if PLACEHOLDER.match(a) and a in ("N",) else ("x" if PLACEHOLDER.match(a) else a) for a in argv
    ]


def test_every_command_the_readme_names_parses() -> None:
    commands = _named_commands()
    assert len(commands) >= 15, "the README's commands were not found: has its layout changed?"
    for argv in commands:
        for alternative in _alternatives(argv):
            try:
                _parser().parse_args(_fill_for_parsing(alternative))
            except SystemExit as exc:
                if exc.code == 0:  # --help
                    continue
                pytest.fail(f"`python main.py {' '.join(argv)}` from the README does not parse ({exc})")


def _alternatives(argv: list[str]) -> list[list[str]]:
    out = [[]]
    for arg in argv:
        choices = arg.split("|") if "|" in arg else [arg]
        out = [[*prefix, c] for prefix in out for c in choices]
    return out


def test_bare_main_py_opens_the_terminal_ui_and_run_sh_passes_its_arguments_on() -> None:
    import main

    assert main.DEFAULT_COMMAND == "tui"
    flat = _flat(_section("Quick start"))
    for script in re.findall(r"^(scripts/\w+\.sh)", _section("Quick start"), re.M):
        assert os.access(ROOT / script, os.X_OK), f"{script} is not executable"
    if "passes its arguments on to `main.py`" in flat:
        assert 'main.py "$@"' in (ROOT / "scripts" / "run.sh").read_text()
    listed = subprocess.run([sys.executable, "main.py", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert all(f"    {name}" in listed.stdout for name in _subcommands())


def test_the_shared_options_exist_with_the_values_listed() -> None:
    from cli.common import check_policy

    paragraph = _flat(
        README.split("Options shared by the conversational commands:", 1)[1].split("\n\n", 1)[0]
    )
    options = re.findall(r"`(--[\w-]+)(?: ([^`]+))?`", paragraph)
    assert {o for o, _ in options} >= {"--catalog", "--seed", "--policy", "--nlu", "--log", "--no-log"}
    for command in ("replay", "voice", "tui"):
        actions = _subcommands()[command]._option_string_actions
        for option, values in options:
            assert option in actions, f"{command} lacks {option}, which the README lists"
            for value in values.split("|") if values else []:
                if PLACEHOLDER.match(value):
                    continue
                action = actions[option]
                if action.choices is not None:
                    assert value in action.choices, f"{option} {value}"
                elif option == "--policy":
                    check_policy(value)


# -- example conversations print exactly what the README shows --------------------------------------------
def _examples() -> list[tuple[str, list[str], str]]:
    """(command, expected output lines, standard input): a block may feed its turns as a heredoc."""
    examples = []
    for block in re.findall(r"```text\n(.*?)```", README, re.S):
        lines = block.rstrip("\n").splitlines()
        if not lines or not lines[0].startswith("$ python main.py"):
            continue
        command, stdin, output = lines[0][2:], "", lines[1:]
        if " <<" in command:
            command = command.split(" <<")[0]
            end = output.index("EOF")
            stdin, output = "\n".join(output[:end]) + "\n", output[end + 1 :]
        examples.append((command, output, stdin))
    return examples


def _run(
    argv: list[str], home: Path, stdin: str = "", timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "main.py", *argv],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "TUNETALK_HOME": str(home), "PULSE_SERVER": "none"},
    )


def _skip_without_shared_data(text: str) -> None:
    for path in re.findall(r"(\.\./shared/data/\S+)", text):
        if not (ROOT / path.rstrip(").,:;`")).exists():
            pytest.skip(f"the README example needs {path}, absent here (only on developer machines)")


@pytest.mark.parametrize(("command", "expected", "stdin"), _examples(), ids=[c for c, _, _ in _examples()])
def test_an_example_conversation_prints_what_the_readme_shows(
    command: str, expected: list[str], stdin: str, tmp_path: Path
) -> None:
    _skip_without_shared_data(command)
    done = _run(shlex.split(MAIN.sub("", command)), tmp_path, stdin=stdin)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == expected


# -- the "Ways in" table, run -----------------------------------------------------------------------------
def _table_commands() -> list[list[str]]:
    """argv of each command of the table: a row's first cell names one or more commands; backticked
    subcommands in its description are commands too, and backticked options belong to the row's first."""
    names = set(_subcommands())
    commands: list[list[str]] = []
    for row in _section("Ways in").splitlines():
        if not row.startswith("| `python main.py"):
            continue
        first, description = row.strip("|").split("|", 1)
        row_commands = []
        for fragment in re.findall(r"`([^`]+)`", first):
            text = MAIN.sub("", fragment.strip())
            if text.split(" ", 1)[0] in names or not text:
                row_commands.append(shlex.split(text.replace("[", "").replace("]", "")))
        for fragment in re.findall(r"`([^`]+)`", description):
            if fragment.startswith("--") and row_commands:
                row_commands.append([*row_commands[0], *shlex.split(fragment)])
            elif fragment.split(" ", 1)[0] in names:
                row_commands.append(shlex.split(fragment))
        commands += row_commands
    return commands


TABLE = _table_commands()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real files for the README's placeholders."""
    from assistant.music.catalog import load_catalog

    d = tmp_path_factory.mktemp("readme")
    catalog = load_catalog()
    with (d / "plays.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "artist", "track", "ms_played"])
        for i, track in enumerate(catalog.tracks[:40]):
            writer.writerow(
                [f"2024-03-{1 + i % 28:02d}T1{i % 10}:00:00Z", track.artist, track.title, 180000 + i]
            )
    (d / "utterances.txt").write_text("something upbeat\njazz from the nineties\n", encoding="utf-8")
    rng = np.random.default_rng(0)
    n = 300
    action = rng.integers(0, 3, n)
    np.savez(
        d / "bandit.npz",
        action=action,
        reward=(rng.random(n) < 0.3).astype(float),
        pscore=np.full(n, 1 / 3),
        pi_e=np.tile([0.6, 0.3, 0.1], (n, 1)),
        q_hat=np.tile([0.3, 0.3, 0.3], (n, 1)),
    )
    return {"dir": d, "track": Path(catalog.tracks[0].id)}


def _check_table_command(argv: list[str], files: dict[str, Path], home: Path) -> None:
    """Run one command of the table with its placeholders filled, and check what its row says it does."""
    d = files["dir"]
    command = argv[0] if argv else "tui"
    fill = {
        "FILE": str(ROOT / "tests" / "transcripts" / "upbeat_rock.txt"),
        "FILE.csv": str(d / "plays.csv"),
        "NAME": "ann",
        "DIR": str(home / "export"),
        "TRACK_ID": str(files["track"]),
        "FILE.wav": str(home / "in.wav"),
        "OUT.wav": str(home / "out.wav"),
        "FILE.npz": str(d / "bandit.npz"),
        "F": str(d / "utterances.txt"),
    }
    if command == "library":
        from scripts.make_music_folder import write_music_folder

        music = home / "music"
        write_music_folder(music, 4, distinct=2)
        fill["DIR"] = str(music)
        if argv[1:2] == ["skipped"]:  # what a scan could not use: scan first
            assert _run(["library", "scan", str(music)], home).returncode == 0
    if command == "nlu" and "--file" not in argv:
        argv = ["nlu", *argv[1:]]  # "some text" stays: any utterance
    argv = [fill.get(a, a) for a in argv]
    if command == "tui":
        pytest.skip("the terminal UI needs a terminal: tests/test_tui*.py drive it (headless and in tmux)")
    if command == "voice":
        _check_voice(argv, home)
        return
    small = {
        "simulate": ["--conversations", "20"],
        "train": [
            "--simulate",
            "60",
            "--backends",
            "sklearn",
            "--iterations",
            "2",
            "--bootstrap",
            "20",
            "--output",
            str(home / "policy.npz"),
            "--report",
            str(home / "report"),
        ],
        "evaluate": ["--conversations", "20", "--ope-conversations", "0", "--oracle-conversations", "0"],
        "tune": ["--conversations", "5", "--populations", "default", "--output", str(home / "tuned.json")],
        "ope": ["--bootstrap", "50"],
    }.get(command, [])
    if command in ("logs", "history") and argv[1:2] != ["import"]:
        # Something to show: a conversation logged, a history imported.
        seeded = _run(["replay", fill["FILE"], "--user", "ann"], home)
        assert seeded.returncode == 0, seeded.stderr
        imported = _run(["history", "import", fill["FILE.csv"], "--user", "ann"], home)
        assert imported.returncode == 0, imported.stderr
    done = _run([*argv, *small], home)
    assert done.returncode == 0, f"`python main.py {' '.join(argv)}`: {done.stderr}"
    assert "Traceback" not in done.stderr
    out = done.stdout
    if command == "replay":
        assert out.rstrip().splitlines()[-1].startswith("outcome:") or json.loads(out)["outcome"]
    elif command == "nlu":
        assert "act=" in out or all(json.loads(line)["act"] for line in out.splitlines())
    elif command == "history":
        action = argv[1]
        assert {"import": "plays added", "show": "plays", "forget": "Forgot everything"}[action] in out
    elif command == "ope":
        # "(IPW, SNIPW, DM, DR, SNDR) with bootstrap CIs"
        row = next(r for r in _section("Ways in").splitlines() if "`python main.py ope" in r)
        names = re.search(r"\(([A-Z, ]+)\)", row)
        assert names
        estimates = json.loads(out)["estimates"]
        for name in names.group(1).split(", "):
            assert estimates[name.lower()]["ci"][0] is not None
    elif command == "logs" and argv[1] == "export" and "--dataset" in argv:
        from assistant.logs.dataset import read_log
        from assistant.logs.partitioned import list_parts

        assert list_parts(home / "export") and len(read_log(home / "export")) > 0
    elif command == "logs" and argv[1] == "export":
        assert (home / "export" / "turns.parquet").exists() and (
            home / "export" / "conversations.parquet"
        ).exists()
    elif command == "logs":
        assert "conversations" in out
    elif command == "catalog" and argv[1] == "clip":
        assert (
            Path(fill["OUT.wav"] if "--out" not in argv else argv[argv.index("--out") + 1]).stat().st_size
            > 1000
        )
    elif command == "catalog":
        assert "tracks" in out
    elif command in ("simulate", "evaluate"):
        assert "success" in out
    elif command == "train":
        assert "chosen:" in out
    elif command == "tune":
        assert json.loads((home / "tuned.json").read_text())["settings"] and out.startswith("rules-tuned:")


def _check_voice(argv: list[str], home: Path) -> None:
    from tests.speech import ESPEAK

    if "--audio-in" not in argv:
        # Live: no microphone or speaker here. The README says: a message naming what is missing, then
        # the text mode.
        done = _run(["voice", "--input-device", "99", "--no-log"], home, stdin="help me find music\nstop\n")
        assert done.returncode == 0, done.stderr
        assert "microphone 99 not found" in done.stderr and "text mode" in done.stderr
        assert "outcome: stopped" in done.stdout
        return
    if ESPEAK is None:
        pytest.skip("espeak-ng is not installed: no recording to run voice from")
    from audio.sound import write_wav
    from tests.speech import conversation

    wav = Path(argv[argv.index("--audio-in") + 1])
    write_wav(
        wav, conversation(["help me find music", "something upbeat", "rock", "yes"], home, voice="en-us")
    )
    done = _run([*argv, "--no-log"], home)
    assert done.returncode == 0, done.stderr
    out = Path(argv[argv.index("--audio-out") + 1])
    assert out.stat().st_size > 16000 and "outcome:" in done.stdout


@pytest.mark.parametrize("argv", TABLE, ids=[" ".join(a) or "(bare)" for a in TABLE])
def test_each_command_of_the_ways_in_table_runs(
    argv: list[str], files: dict[str, Path], tmp_path: Path
) -> None:
    _check_table_command(argv, files, tmp_path)


def test_the_table_was_read() -> None:
    commands = {a[0] if a else "tui" for a in TABLE}
    assert commands == set(_subcommands()), "every command is in the README's table"


# -- "What you can say", said ------------------------------------------------------------------------------
@cache
def _session(catalog: str | None) -> Session:
    parser = argparse.ArgumentParser()
    add_common_options(parser)
    # The rule policy: the bullets are about what is understood, and the rules ask a known sequence of
    # questions, so each answer can be put to the question it answers whichever policy ships.
    options = ["--no-log", "--policy", "rules", *(["--catalog", catalog] if catalog else [])]
    return build_session(parser.parse_args(options))


def _talk(turns: list[str], catalog: str | None = None) -> tuple[DialogueManager, list[Reply]]:
    manager = _session(catalog).new_conversation()
    replies = []
    for text in turns:
        replies.append(manager.step(text))
        if replies[-1].done:
            break
    return manager, replies


def _quoted(text: str) -> list[str]:
    return re.findall(r'"([^"]+)"', text)


def _bullets() -> list[str]:
    section = _section("What you can say")
    return [_flat(b) for b in re.split(r"^- ", section, flags=re.M)[1:]]


def _until_sample(manager: DialogueManager, first: list[str]) -> Reply:
    reply = None
    for text in first:
        reply = manager.step(text)
    for _ in range(6):
        assert reply is not None
        if reply.sample is not None and reply.action == "play_sample":
            return reply
        reply = manager.step("just play something")
    pytest.fail("no sample was played")


def _check_wants(bullet: str) -> None:
    real = re.search(r"need a real catalogue, e\.g\. `--catalog ([^`]+)`:(.*?)\)", bullet)
    local = bullet[: real.start()] if real else bullet
    # Claims about artists, by their wording.
    own = re.findall(r'((?:"[^"]+"(?: or | and |, )?)+) plays their own music', local)
    both = re.findall(r'"([^"]+)" takes both', local)
    lacking = re.search(r"lacks, such as ((?:\"[^\"]+\"(?: or )?)+) on the embedded", local)
    special = {p for group in own for p in _quoted(group)} | set(both)
    special |= set(_quoted(lacking.group(1))) if lacking else set()
    _check_artist_claims(own, both, None)
    if lacking:
        for phrase in _quoted(lacking.group(1)):
            _, (reply,) = _talk([phrase])
            name = phrase.split()[-1]
            assert name in reply.text and "sorry" in reply.text and reply.sample is None, (phrase, reply.text)
    understander = _session(None).understander
    for phrase in _quoted(local):
        if phrase in special:
            continue
        slots = understander.understand(phrase).slots
        assert slots and not any(s.negated for s in slots), (phrase, slots)
    if real:
        path = real.group(1)
        if not (ROOT / path).exists():
            pytest.skip(f"{path} is absent (only on developer machines); checked the embedded catalogue only")
        segment = real.group(2)
        _check_artist_claims(
            re.findall(r'((?:"[^"]+"(?: or | and |, )?)+) plays their own music', segment),
            re.findall(r'"([^"]+)" takes both', segment),
            str(ROOT / path),
        )


def _check_artist_claims(own: list[str], both: list[str], catalog: str | None) -> None:
    for group in own:
        for phrase in _quoted(group):
            _, (reply,) = _talk([phrase], catalog)
            assert reply.action == "play_sample" and reply.sample is not None, (phrase, reply.text)
            assert reply.sample.artist in phrase, (phrase, reply.sample.artist)
    for phrase in both:
        manager, _ = _talk([phrase], catalog)
        artists = manager.state.constraints.artists
        assert len(artists) == 2 and all(a in phrase for a in artists), (phrase, artists)


def _check_unwanted(bullet: str) -> None:
    understander = _session(None).understander
    for phrase in _quoted(bullet):
        assert any(s.negated for s in understander.understand(phrase).slots), phrase


def _after_genre_pair(phrase: str) -> tuple[tuple[str, ...], DialogueManager]:
    manager, replies = _talk(["help me find music", "something upbeat"])
    assert replies[-1].action == "genre_pair", replies[-1].text
    offered = manager.state.pending_options
    manager.step(phrase)
    return offered, manager


def _check_answers(bullet: str) -> None:
    for phrase in _quoted(bullet):
        if phrase in ("the second one", "the last one"):
            offered, manager = _after_genre_pair(phrase)
            assert manager.state.constraints.genres == (offered[-1],), (phrase, offered)
        elif phrase in ("either", "a bit of both"):
            offered, manager = _after_genre_pair(phrase)
            assert set(manager.state.constraints.genres) == set(offered), (phrase, offered)
        elif phrase == "neither":
            offered, manager = _after_genre_pair(phrase)
            assert set(offered) <= set(manager.state.constraints.avoid_genres), (phrase, offered)
        elif phrase == "the upbeat one":
            manager, replies = _talk(["help me find music", "I don't know"])
            assert replies[-1].action == "mood_question", replies[-1].text  # the feel was offered
            manager.step(phrase)
            energy = manager.state.constraints.energy
            assert energy is not None and energy >= 0.6, (phrase, manager.state.constraints)
        elif phrase == "the alternative rock one":
            manager, (listed,) = _talk(["what kinds of rock do you have?"])
            assert "alternative rock" in listed.text, listed.text
            manager.step(phrase)
            assert manager.state.constraints.genres == ("alternative rock",), manager.state.constraints
        elif phrase == "yes":
            manager, _ = _talk([])
            _until_sample(manager, ["help me find music", "something upbeat", "rock"])
            assert manager.step(phrase).status == Status.ACCEPTED
        elif phrase == "I don't know":
            manager, replies = _talk(["help me find music", phrase])
            assert not replies[-1].done and replies[-1].text
        else:
            pytest.fail(f"README names an answer this test does not know how to check: {phrase!r}")


def _check_hands_over(bullet: str) -> None:
    for phrase in _quoted(bullet):
        _, (reply,) = _talk([phrase])
        assert reply.action == "play_sample" and reply.sample is not None, (phrase, reply.text)


DIRECTIONS: dict[str, Callable[[Any, Any], bool]] = {
    "older": lambda a, b: b.year <= a.year,
    "upbeat": lambda a, b: b.energy >= a.energy,
    "slow": lambda a, b: b.tempo >= a.tempo,
}


def _check_about_a_sample(bullet: str) -> None:
    words = re.match(r"About a sample: ([\w /]+);", bullet)
    assert words
    for word in (w.strip() for w in words.group(1).split("/")):
        manager, _ = _talk([])
        first = _until_sample(manager, ["help me find music", "something upbeat", "rock"])
        reply = manager.step(word)
        if word == "yes":
            assert reply.status == Status.ACCEPTED
        else:
            assert not reply.done and (reply.sample is None or reply.sample.id != first.sample.id), word
    said_by_the_user = bullet.split('"Did you like it?" is asked', 1)[0]  # the rest is what it says
    for phrase in _quoted(said_by_the_user):
        manager, _ = _talk([])
        first = _until_sample(manager, ["help me find music", "something upbeat", "rock"])
        if phrase == "what is this?":
            assert first.sample is not None and first.sample.title in manager.step(phrase).text
            continue
        if phrase == "play it again":
            again = manager.step(phrase)
            assert again.sample is not None and again.sample.id == first.sample.id, (phrase, again.text)
            continue
        if phrase in ("go back", "play the one before", "the previous one was better"):
            second = manager.step("no")
            assert second.sample is not None and second.sample.id != first.sample.id
            again = manager.step(phrase)
            assert again.sample is not None and again.sample.id == first.sample.id, (phrase, again.text)
            continue
        reply = manager.step(phrase)
        assert reply.action == "play_sample" and reply.sample.id != first.sample.id, (phrase, reply.text)
        for word, holds in DIRECTIONS.items():
            if word in phrase:
                assert holds(first.sample, reply.sample), (phrase, first.sample, reply.sample)


def _check_catalogue_questions(bullet: str) -> None:
    questions = [p for p in _quoted(bullet) if p.endswith("?")]
    assert questions
    for phrase in questions:
        _, (reply,) = _talk([phrase])
        assert reply.action == "answer" and reply.sample is None and not reply.done, (phrase, reply.text)
    if "can be picked" in bullet:
        picks = [p for p in _quoted(bullet) if not p.endswith("?")]
        for pick in picks:
            manager, (listed,) = _talk(["what genres do you have?"])
            manager.step(pick)
            (chosen,) = manager.state.constraints.genres
            # "the second one" is the second item of the list the answer read out ("I have x, y, ...").
            listed_items = re.split(r", | and ", listed.text.split("I have ", 1)[1].split(".")[0])
            assert pick == "the second one" and listed_items[1] == chosen, (pick, listed.text, chosen)


def _check_endings(bullet: str) -> None:
    statuses = {"stop": Status.STOPPED, "I give up": Status.ABANDONED}
    for phrase in re.findall(r'"([^"]+)" ends', bullet):
        _, replies = _talk(["help me find music", phrase])
        assert replies[-1].done and replies[-1].status == statuses[phrase], phrase
    said = re.search(r'another language get "([^"]+)"', bullet)
    if said:
        # Any sentence not in English with a genre in it; the README's claim is about the reply.
        manager, (reply,) = _talk(["je voudrais écouter du jazz"])
        assert reply.text.startswith(said.group(1)), reply.text
        if "recognisable are kept" in bullet:
            assert "jazz" in manager.state.constraints.genres


BULLETS: dict[str, Callable[[str], None]] = {
    "What you want": _check_wants,
    "What you don't want": _check_unwanted,
    "Answers to its questions": _check_answers,
    "Questions about the catalogue": _check_catalogue_questions,
    '"Just play something"': _check_hands_over,
    "About a sample": _check_about_a_sample,
    '"stop" ends': _check_endings,
}


def test_every_bullet_of_what_you_can_say_has_a_check() -> None:
    for bullet in _bullets():
        assert any(bullet.startswith(lead) for lead in BULLETS), (
            f"no check for the README bullet: {bullet[:60]}"
        )


@pytest.mark.parametrize("lead", list(BULLETS))
def test_what_you_can_say_holds(lead: str) -> None:
    bullets = [b for b in _bullets() if b.startswith(lead)]
    if not bullets:
        pytest.skip(f"the README no longer has a bullet starting {lead!r}")
    for bullet in bullets:
        BULLETS[lead](bullet)
