"""What every conversational command shares: options, and the composition of one session."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.dialogue.manager import DialogueManager
from assistant.dialogue.policy import Policy
from assistant.logs.store import LogStore
from assistant.music.catalog import Catalog, CatalogError
from assistant.music.retrieval import Retriever
from assistant.policies.store import load_policy
from cli._catalogs import add_catalog_option, check_catalog_option, open_catalog_option
from cli.validate import UsageError, did_you_mean, input_file
from nlu.linking import EntityLinker
from nlu.loader import make_understander
from nlu.meaning import Understander

if TYPE_CHECKING:
    from assistant.taste.affinity import Personalizer

__all__ = [
    "POLICY_NAMES",
    "Session",
    "add_common_options",
    "build_session",
    "check_common_options",
    "check_log",
    "check_policy",
    "data_home",
    "fail",
]

POLICY_NAMES = ("auto", "learned", "learned+history", "rules", "rules-tuned")
"""What --policy takes besides a policy file."""


def data_home() -> Path:
    """Where logs and profiles live: $TUNETALK_HOME, else ~/.local/share/tunetalk."""
    configured = os.environ.get("TUNETALK_HOME")
    return Path(configured) if configured else Path.home() / ".local" / "share" / "tunetalk"


def fail(message: str, code: int = 2) -> int:
    print(f"tunetalk: {message}", file=sys.stderr)
    return code


def add_common_options(parser: argparse.ArgumentParser) -> None:
    add_catalog_option(parser)
    parser.add_argument("--seed", type=int, default=0, help="random seed for phrasing and exploration")
    parser.add_argument(
        "--policy",
        default="auto",
        help="dialogue policy: auto (shipped learned policy, learned+history for a --user with a listening "
        "history, else rules), learned, learned+history, rules, or a policy file",
    )
    parser.add_argument(
        "--nlu",
        choices=("auto", "model", "rules"),
        default="auto",
        help="understanding: the trained model (auto falls back to rules), or rules only",
    )
    parser.add_argument("--user", default=None, help="profile name (stored only as a salted hash)")
    parser.add_argument(
        "--log",
        type=Path,
        default=None,
        help="conversation log database (default: $TUNETALK_HOME/tunetalk.db)",
    )
    parser.add_argument("--no-log", action="store_true", help="do not log this conversation")
    parser.add_argument(
        "--log-text",
        action="store_true",
        help="also log what was said word for word (off by default for privacy)",
    )


def check_policy(choice: str, names: tuple[str, ...] = POLICY_NAMES, option: str = "--policy") -> None:
    """A policy named on the command line exists and loads: a typo is an error, never a silent fallback to
    the rules. "auto" may fall back (it means: the best one there is); a named learned policy may not."""
    from assistant.policies.learned import PolicyFileError, load_learned_policy
    from assistant.policies.store import policy_path

    if choice == "learned_history" and "learned+history" in names:
        choice = "learned+history"  # the file's name, which policy_path has always accepted too
    if choice in names:
        if choice not in ("learned", "learned+history"):
            return
        path = policy_path(choice)
    else:
        path = Path(choice)
        if not path.exists():
            raise UsageError(
                f"{option} {choice!r}: no such policy file, nor a policy name ({', '.join(names)})"
                f"{did_you_mean(choice, names)}"
            )
        input_file(path, "policy file")
    try:
        load_learned_policy(path)
    except PolicyFileError as exc:
        raise UsageError(f"{option}: {exc}") from None


def check_log(path: Path | None) -> None:
    """The conversation log can be written: a tunetalk log or a new file in an existing folder. The
    default log's folder (the data home) is created when needed; a folder named by --log is not."""
    from assistant.logs.store import log_problem

    target = path or data_home() / "tunetalk.db"
    problem = log_problem(target)
    if problem is not None:
        raise UsageError(f"{problem}: choose another --log file, or --no-log")
    if path is not None and not path.exists():
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise UsageError(
                f"cannot write the log {path}: folder {parent} does not exist (it is not created)"
            )


def check_common_options(args: argparse.Namespace) -> None:
    """Everything the common options name, checked before a conversation starts. Raises UsageError."""
    check_catalog_option(args.catalog)
    check_policy(args.policy)
    if not args.no_log:
        check_log(args.log)


@dataclass
class Session:
    """Everything needed to start conversations; heavy parts are built once and shared."""

    catalog: Catalog
    understander: Understander
    policy: Policy
    log: LogStore | None
    seed: int
    user: str | None = None
    retriever: Retriever | None = None
    personalizer: Personalizer | None = None
    """Listening history of --user profiles: affinity and summary in, likes and rejections out."""
    record_history: bool = True
    policy_choice: str = "auto"
    """With "auto", a person with a listening history gets the learned+history policy (if shipped)."""
    _count: int = 0
    _history_policy: Policy | None = None

    def policy_for(self, has_history: bool) -> Policy:
        """The policy for one conversation: learned+history for a person with a listening history when
        the policy was left to choose ("auto"), else the session's policy."""
        if not has_history or self.policy_choice != "auto":
            return self.policy
        if self._history_policy is None:
            # Loaded on first need; a missing or corrupt file falls back (with a warning) to learned.
            self._history_policy = load_policy("auto", self.catalog, history=True)
        return self._history_policy

    def new_conversation(self, emit: object = None) -> DialogueManager:
        from assistant.events import fan_out

        if self.retriever is None:
            # Built once: its caches and entity index serve every conversation of the session.
            self.retriever = Retriever(self.catalog, getattr(self.understander, "linker", None))
        rng = np.random.default_rng([self.seed, self._count])
        self._count += 1
        sinks = [s for s in (self.log, emit) if s is not None]
        affinity, history = None, None
        if self.personalizer is not None and self.user:
            affinity, history = self.personalizer.profile(self.user)  # (None, empty) for a cold start
            if self.record_history:
                sinks.append(self.personalizer.recorder(self.user))
        return DialogueManager(
            self.catalog,
            self.understander,
            self.policy_for(affinity is not None),
            rng,
            emit=fan_out(*sinks) if sinks else None,  # type: ignore[arg-type]
            user=self.user,
            affinity=affinity,
            history=history,
            seed=self.seed,
        )


def build_session(args: argparse.Namespace) -> Session:
    """Compose catalogue, understanding, policy and log from the common options. Raises CatalogError."""
    catalog = open_catalog_option(args.catalog)
    log = None
    if not args.no_log:
        log = LogStore(args.log or data_home() / "tunetalk.db", log_text=args.log_text)
    personalizer = None
    if args.user:
        from assistant.taste.affinity import Personalizer
        from assistant.taste.history import HistoryStore

        personalizer = Personalizer(HistoryStore(data_home() / "history.db"), catalog)
    return Session(
        catalog,
        make_understander(args.nlu, EntityLinker.for_catalog(catalog)),
        load_policy(args.policy, catalog),
        log,
        args.seed,
        args.user,
        personalizer=personalizer,
        record_history=not args.no_log,
        policy_choice=args.policy,
    )


def session_or_exit(args: argparse.Namespace) -> Session | None:
    try:
        return build_session(args)
    except CatalogError as exc:
        fail(str(exc))
        return None
