"""`replay FILE`: play a file of user turns through the assistant and print the conversation."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cli.common import add_common_options, check_common_options, fail, session_or_exit
from cli.validate import text_file

if TYPE_CHECKING:
    from assistant.dialogue.manager import Reply

NAME = "replay"
HELP = "replay a transcript (one user turn a line, # comments; - for stdin) and print the conversation"
ORDER = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="transcript file, or - to read turns from standard input as they come")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument(
        "--play-to",
        type=Path,
        default=None,
        metavar="DIR",
        help="write each clip the conversation plays (samples, then the station's first track) to a WAV "
        "file in DIR, as the speaker would have played it",
    )
    add_common_options(parser)


def run(args: argparse.Namespace) -> int:
    from assistant.dialogue import replay

    if args.file != "-":
        text_file(Path(args.file), "transcript")
    check_common_options(args)
    if args.file == "-":
        stream = sys.stdin
    else:
        try:
            stream = open(args.file, encoding="utf-8", errors="replace")  # noqa: SIM115 - closed below
        except OSError as exc:
            return fail(f"cannot read transcript {args.file}: {exc.strerror}")
    session = session_or_exit(args)
    if session is None:
        return 2
    manager = session.new_conversation()

    played: list[str] = []

    def stream_turn(user_text: str, reply: Reply) -> None:
        if not args.json:
            print(replay.format_reply(user_text, reply), flush=True)
        if args.play_to is not None:
            played.extend(_play_to(args.play_to, len(played), reply))

    try:
        transcript = replay.run(manager, replay.read_turns(stream), stream_turn)
    except OSError as exc:  # --play-to cannot be written
        return fail(f"cannot write clips to {args.play_to}: {exc.strerror or exc}")
    finally:
        if stream is not sys.stdin:
            stream.close()
        if session.log is not None:
            session.log.close()
    if args.json:
        print(json.dumps(transcript.to_dict(), ensure_ascii=False))
    else:
        print(replay.format_outcome(transcript))
        for line in played:
            print(line)
    return 0


def _play_to(folder: Path, count: int, reply: Reply) -> list[str]:
    """Write what the speaker would play for a reply: the first track of its station, else its sample."""
    from audio.clips import load_clip
    from audio.sound import Sound, write_wav

    lines = []
    kind, track = ("station", reply.station[0]) if reply.station else ("sample", reply.sample)
    if track is not None:
        samples, rate = load_clip(track)
        path = write_wav(folder / f"{count + 1:02d}-{kind}.wav", Sound(samples, int(rate)))
        source = (
            f"cut from {track.preview} at {track.preview_start:.1f} s"
            if track.preview and Path(track.preview).is_file()
            else "synthesized from its features"
        )
        lines.append(f"played: {path} ({kind}: {track.artist} - {track.title}, {source})")
    return lines
