"""Subcommands of main.py, one module each: NAME, HELP, optional ORDER, add_arguments(parser), run(args)."""
