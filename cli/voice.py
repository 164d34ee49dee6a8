"""`voice`: the whole conversation by voice (microphone or --audio-in WAV, speaker or --audio-out WAV)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cli.common import add_common_options, check_common_options, fail, session_or_exit
from cli.validate import UsageError, at_least, output_file, output_folder

NAME = "voice"
HELP = "talk to tunetalk: microphone in, speech and clips out (or --audio-in / --audio-out WAV files)"
ORDER = 5

GREETING = "Hi! Tell me what you'd like to hear, or say: help me find music."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    io = parser.add_argument_group("audio in and out")
    io.add_argument(
        "--audio-in",
        type=Path,
        nargs="+",
        metavar="FILE.wav",
        help="take the person's side from a recording (utterances separated by silence); several files "
        "are several conversations, one after the other, with the models loaded once",
    )
    io.add_argument(
        "--audio-out",
        type=Path,
        metavar="PATH",
        help="record everything that would be played (speech and clips) into FILE.wav instead of playing "
        "it; with several --audio-in files, a folder that gets one WAV per input, named after it",
    )
    io.add_argument("--force", action="store_true", help="replace an existing --audio-out file")
    io.add_argument(
        "--realtime",
        action="store_true",
        help="feed --audio-in at the pace of a live microphone (for latency measurements)",
    )
    io.add_argument("--input-device", default=None, help="sounddevice input device (index or name)")
    io.add_argument("--output-device", default=None, help="sounddevice output device (index or name)")
    io.add_argument(
        "--no-barge-in",
        action="store_true",
        help="do not stop speech or clips when you start talking (for speakers without echo "
        "cancellation that keep interrupting themselves)",
    )
    io.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="seconds of silence before re-asking; after three, the conversation ends (default 10)",
    )
    asr = parser.add_argument_group("speech recognition")
    asr.add_argument(
        "--engine",
        choices=("auto", "vosk", "sphinx"),
        default="auto",
        help="auto: Vosk when a model is found, else pocketsphinx's bundled English model",
    )
    asr.add_argument(
        "--vosk-model",
        type=Path,
        metavar="PATH",
        help="a Vosk model folder (else $VOSK_MODEL_PATH, ~/.cache/vosk, an installed vosk-model package)",
    )
    asr.add_argument(
        "--vosk-lang", default="en-us", help="language of the Vosk model to look for (default en-us)"
    )
    asr.add_argument(
        "--download-model",
        action="store_true",
        help="download the small Vosk model for --vosk-lang first (needs network; progress shown)",
    )
    asr.add_argument(
        "--no-grammar",
        action="store_true",
        help="let the recognizer hear any word, not only the catalogue and command vocabulary",
    )
    tts = parser.add_argument_group("speech")
    tts.add_argument("--rate", type=int, default=None, help="speaking rate in words per minute (default 165)")
    tts.add_argument(
        "--voice", default=None, help="espeak-ng voice, e.g. en-us, en-gb, en-us+f2 (default en-us)"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print each conversation as one JSON object on one line when it ends",
    )
    add_common_options(parser)


def _say(message: str) -> None:
    print(f"tunetalk: {message}", file=sys.stderr, flush=True)


def _device(value: str | None) -> int | str | None:
    return int(value) if value is not None and value.isdigit() else value


def lexicon_phrases() -> dict[str, list[str]]:
    """The NLU lexicons as recognizer phrase lists (empty if the lexicon module is unavailable)."""
    try:
        from nlu import lexicon
    except ImportError:
        return {}

    def forms(table: dict[str, list[str]]) -> list[str]:
        return [
            form for canonical, surface in table.items() for form in (canonical.replace("_", " "), *surface)
        ]

    return {
        "genre": forms(lexicon.GENRES),
        "mood": forms(lexicon.MOODS),
        "activity": forms(lexicon.ACTIVITIES),
        "era": forms({**lexicon.DECADES, **lexicon.ERA_RELATIVE}),
        "tempo": forms(lexicon.TEMPO_WORDS),
        "command": [form for surface in lexicon.ACT_PHRASES.values() for form in surface],
    }


def recognizer_vocabulary(catalog: Any) -> Any:
    """What the recognizer listens for: everyday phrases, the NLU lexicons and the catalogue's names.
    The one vocabulary the command line, the live loop, the tests and the benchmark all use."""
    from audio.vocabulary import DEFAULT_PHRASES, build_vocabulary, catalog_phrases

    return build_vocabulary(DEFAULT_PHRASES, lexicon_phrases(), catalog_phrases(catalog))


def make_recognizer(
    catalog: Any,
    *,
    engine: str = "auto",
    vosk_model: Path | None = None,
    vosk_lang: str = "en-us",
    download: bool = False,
    grammar: bool = True,
    say: Any = None,
) -> Any:
    """The recognizer, loaded and ready: Vosk when asked for or found, else pocketsphinx. Every caller
    (this command, the tests, benchmarks/bench_voice.py) gets the same configuration from here; the
    decoder settings are the recognizers' own defaults. RecognizerError only when neither can run."""
    return build_recognizer(
        recognizer_vocabulary(catalog),
        engine=engine,
        vosk_model=vosk_model,
        vosk_lang=vosk_lang,
        download=download,
        grammar=grammar,
        say=say,
    )


def build_recognizer(
    vocabulary: Any,
    *,
    engine: str = "auto",
    vosk_model: Path | None = None,
    vosk_lang: str = "en-us",
    download: bool = False,
    grammar: bool = True,
    say: Any = None,
) -> Any:
    """Vosk when asked for or found, else pocketsphinx; RecognizerError only when neither can run."""
    from audio.errors import RecognizerError
    from audio.sphinx_asr import SphinxRecognizer
    from audio.vosk_asr import VoskRecognizer, download_model, find_model

    tell = say or _say
    if engine in ("auto", "vosk"):
        try:
            if download and not vosk_model:
                path = download_model(vosk_lang)
            else:
                path = find_model(vosk_model, vosk_lang)
            vosk = VoskRecognizer(path, vocabulary, grammar=grammar).load()
            if grammar and not vosk.grammar_active:
                tell(
                    f"the Vosk model in {path} takes no vocabulary grammar (no runtime graph, or it knows "
                    "none of the catalogue's words); it will hear any word"
                )
            return vosk
        except RecognizerError as exc:
            if engine == "vosk" or vosk_model:
                tell(exc.explain())
            else:
                tell(
                    f"no Vosk model for {vosk_lang}; using pocketsphinx's bundled English model "
                    "(less accurate). For Vosk: python main.py voice --download-model, or --vosk-model PATH."
                )
            tell("falling back to pocketsphinx")
    recognizer = SphinxRecognizer(vocabulary, domain=grammar).load()
    if recognizer.fallback_reason:
        tell(f"pocketsphinx: {recognizer.fallback_reason}; using its general English model")
    return recognizer


def build_clip_loader() -> Any:
    try:
        from audio.clips import load_clip
    except ImportError:
        _say("music clips are not available in this build; samples are announced but not played")
        return None
    from audio.sound import Sound

    def clip(track: Any) -> Sound:
        samples, rate = load_clip(track)
        return Sound(samples, int(rate))

    return clip


def run(args: argparse.Namespace) -> int:
    from audio.errors import AudioError

    # Everything named on the command line is checked before the (slow) set-up and the conversation: an
    # output that cannot be written must not be found out after the whole conversation.
    inputs: list[Path] = list(args.audio_in or [])
    if inputs:
        from audio.errors import ListenError
        from audio.wav_source import load_input

        for path in inputs:
            try:
                load_input(path)
            except ListenError as exc:
                raise UsageError(_one_line(exc)) from None
    if args.audio_out is not None:
        if len(inputs) > 1:
            # Several conversations record into a folder, one WAV named after each input.
            names = tuple(f"{path.stem}.wav" for path in inputs)
            output_folder(args.audio_out, "recordings (WAV)", writes=names, force=args.force)
        else:
            output_file(args.audio_out, "recording (WAV)", force=args.force)
    if args.vosk_model is not None and not args.vosk_model.is_dir():
        raise UsageError(f"--vosk-model {args.vosk_model}: no such folder (a Vosk model is a folder)")
    at_least(args.timeout, 0.5, "--timeout", 3600)
    if args.rate is not None:
        at_least(args.rate, 50, "--rate", 500)
    check_common_options(args)
    session = session_or_exit(args)
    if session is None:
        return 2
    try:
        return _run(args, session)
    except AudioError as exc:  # a device lost mid-conversation, an --audio-out that became unwritable
        return fail(_one_line(exc))
    finally:
        if session.log is not None:
            session.log.close()


def _one_line(error: Any) -> str:
    return f"{error.message}; {error.hint}" if error.hint else str(error.message)


def _run(args: argparse.Namespace, session: Any) -> int:
    from audio.devices import input_device, output_device
    from audio.errors import AudioError, ListenError
    from audio.microphone import Microphone
    from audio.player import DevicePlayer
    from audio.tts import DEFAULT_RATE, DEFAULT_VOICE, make_synthesizer
    from audio.wav_source import WavSource

    live = args.audio_in is None
    inputs: list[Path] = list(args.audio_in or [])
    opened: list[Any] = []
    try:
        # Everything that can be missing is checked before the conversation starts, and all of it is
        # reported at once: finding out one missing piece per attempt is tiresome.
        missing: list[AudioError] = []
        sources: list[Any] = []
        synthesizer: Any = None
        player: Any = None
        recognizer: Any = None
        outputs = _audio_outputs(args.audio_out, inputs)
        if live:
            try:
                input_device(_device(args.input_device))
                sources = [Microphone(device=_device(args.input_device))]
            except ListenError as exc:
                missing.append(exc)
        else:
            # Every file is read before anything starts: a bad one is an error, with no fallback.
            sources = [WavSource.from_file(path, realtime=args.realtime) for path in inputs]
        try:
            synthesizer = make_synthesizer(args.rate or DEFAULT_RATE, args.voice or DEFAULT_VOICE)
        except AudioError as exc:
            missing.append(exc)
        if outputs is None:
            try:
                output_device(_device(args.output_device))
            except AudioError as exc:
                missing.append(exc)
        if not missing:
            try:
                recognizer = make_recognizer(
                    session.catalog,
                    engine=args.engine,
                    vosk_model=args.vosk_model,
                    vosk_lang=args.vosk_lang,
                    download=args.download_model,
                    grammar=not args.no_grammar,
                )
            except AudioError as exc:
                missing.append(exc)
        if not missing and outputs is None:
            try:
                player = DevicePlayer(device=_device(args.output_device)).open()
                opened.append(player)
            except AudioError as exc:
                missing.append(exc)
        if not missing and live:
            try:
                sources[0].open()
                opened.append(sources[0])
            except ListenError as exc:
                missing.append(exc)
        if missing:
            return _text_mode(args, session, missing)
        if live and not args.json:
            _say(f"listening ({recognizer.name}); Ctrl-C to stop")
        for index, source in enumerate(sources):
            if len(sources) > 1 and not args.json:
                print(f"== {inputs[index]}", flush=True)
            out = outputs[index] if outputs is not None else None
            _converse(
                args, session, source, recognizer, synthesizer, player, out, inputs[index] if inputs else None
            )
        return 0
    finally:
        for thing in reversed(opened):
            # The loop has already waited for its last words; on Ctrl-C nothing should hold the exit.
            thing.close(drain=False) if isinstance(thing, DevicePlayer) else thing.close()


def _audio_outputs(audio_out: Path | None, inputs: list[Path]) -> list[Path] | None:
    """Where each conversation's audio is recorded: None for the speaker, one path per conversation
    otherwise (several inputs record into a folder, one WAV named after each input)."""
    if audio_out is None:
        return None
    if len(inputs) <= 1:
        return [audio_out]
    return [audio_out / f"{path.stem}.wav" for path in inputs]


def _converse(
    args: argparse.Namespace,
    session: Any,
    source: Any,
    recognizer: Any,
    synthesizer: Any,
    device_player: Any,
    audio_out: Path | None,
    audio_in: Path | None,
) -> None:
    """One conversation, from the first words to the outcome line (or JSON object)."""
    from audio.listener import SpeechListener
    from audio.player import FilePlayer
    from audio.voice_loop import VoiceLoop

    live = audio_in is None
    player = FilePlayer(audio_out) if audio_out is not None else device_player
    manager = session.new_conversation()
    listener = SpeechListener(source, recognizer)
    shown = {"partial": False}

    def show(heard: Any, reply: Any) -> None:
        if shown["partial"]:  # clear the line of partial results first
            print("\r" + " " * 78 + "\r", end="", file=sys.stderr, flush=True)
            shown["partial"] = False
        if not args.json:
            from assistant.dialogue.replay import format_reply

            print(format_reply(heard.text or "(silence)", reply), flush=True)

    def partial(text: str) -> None:
        shown["partial"] = True
        print(f"\r  ... {text[-70:]:<70}", end="", file=sys.stderr, flush=True)

    loop = VoiceLoop(
        manager,
        listener,
        synthesizer,
        player,
        clips=build_clip_loader(),
        emit=manager.emit,
        live=live or args.realtime,
        barge_in=not args.no_barge_in,
        listen_timeout=args.timeout,
        greeting=GREETING if live else None,
        on_turn=show,
        on_partial=partial if (live and not args.json) else None,
    )
    result = loop.run()
    if isinstance(player, FilePlayer):
        player.close()
    if args.json:
        data = result.transcript.to_dict()
        data["voice"] = {
            "engine": recognizer.name,
            "audio_in": str(audio_in) if audio_in else None,
            "audio_out": str(audio_out) if audio_out else None,
            "errors": [{"stage": str(e.stage), "code": e.code, "message": e.message} for e in result.errors],
        }
        print(json.dumps(data, ensure_ascii=False), flush=True)
    else:
        from assistant.dialogue.replay import format_outcome

        print(format_outcome(result.transcript), flush=True)


def _text_mode(args: argparse.Namespace, session: Any, problems: list[Any]) -> int:
    """Voice is not possible here: say exactly what is missing and how to get it, then talk in text."""
    from assistant.dialogue import replay

    for problem in problems:
        _say(problem.explain())
    _say("continuing in text mode: type what you would say, one line per turn (Ctrl-D to end)")
    manager = session.new_conversation()

    def stream_turn(user_text: str, reply: Any) -> None:
        print(replay.format_reply(user_text, reply), flush=True)

    transcript = replay.run(manager, replay.read_turns(sys.stdin), None if args.json else stream_turn)
    if args.json:
        data = transcript.to_dict()
        data["voice"] = {
            "fallback": "text",
            "missing": [{"stage": str(p.stage), "code": p.code, "message": p.message} for p in problems],
        }
        print(json.dumps(data, ensure_ascii=False))
    else:
        print(replay.format_outcome(transcript))
    return 0
