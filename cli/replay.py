"""`replay FILE`: play a file of user turns through the assistant and print the conversation."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cli.common import add_common_options, check_common_options, fail, session_or_exit
from cli.validate import text_file

NAME = "replay"
HELP = "replay a transcript (one user turn a line, # comments; - for stdin) and print the conversation"
ORDER = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="transcript file, or - to read turns from standard input as they come")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
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

    def stream_turn(user_text: str, reply: object) -> None:
        print(replay.format_reply(user_text, reply), flush=True)  # type: ignore[arg-type]

    try:
        transcript = replay.run(manager, replay.read_turns(stream), None if args.json else stream_turn)
    finally:
        if stream is not sys.stdin:
            stream.close()
        if session.log is not None:
            session.log.close()
    if args.json:
        print(json.dumps(transcript.to_dict(), ensure_ascii=False))
    else:
        print(replay.format_outcome(transcript))
    return 0
