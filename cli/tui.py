"""`tui` (the default command): the Textual terminal UI, for typing instead of talking."""

from __future__ import annotations

import argparse

from cli.common import add_common_options, check_common_options, fail

NAME = "tui"
HELP = "the terminal UI: type to find music, see what is playing and why (the default command)"
ORDER = 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common_options(parser)
    ui = parser.add_argument_group("terminal UI")
    ui.add_argument(
        "--theme", choices=("dark", "light"), default="dark", help="colour theme (ctrl+t toggles)"
    )
    ui.add_argument(
        "--no-audio",
        action="store_true",
        help="do not play clips even when a speaker exists (the progress bar still runs: silent preview)",
    )
    ui.add_argument("--output-device", default=None, help="sounddevice output device (index or name)")


def run(args: argparse.Namespace) -> int:
    # A missing file is cheap to check now; anything else about the catalogue shows up in the window.
    for source in args.catalog or ():
        if not source.exists():
            return fail(f"{source}: no such catalogue file or music folder")
    if any(source.is_dir() for source in args.catalog or ()):
        # A music folder is brought up to date here, with its progress bar, not behind the window.
        from assistant.music.catalog import CatalogError
        from cli._catalogs import open_catalog_option

        try:
            open_catalog_option(args.catalog)
        except CatalogError as exc:
            return fail(str(exc))
    check_common_options(args)

    from cli.common import build_session
    from tui.app import TuneTalkApp
    from tui.playback import detect_audio

    device = args.output_device
    if isinstance(device, str) and device.isdigit():
        device = int(device)
    app = TuneTalkApp(
        lambda: build_session(args),
        setup_audio=lambda: detect_audio(enabled=not args.no_audio, device=device),
        theme=args.theme,
    )
    try:
        app.run()
    finally:
        app.shutdown()
    return app.return_code or 0
