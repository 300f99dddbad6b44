"""The one error handler of the `lakehouse` commands: exceptions -> one line and an exit code.

Exit codes (SPEC §6): 0 done; 1 failed (one line on stderr says what and why); 2 bad
configuration or usage; 3 done, but something needs a person (the command returns it);
130 interrupted (Ctrl-C); 128+N terminated by signal N (SIGTERM: 143). A project error
(:class:`lake.errors.LakehouseError`) carries its exit code; anything else is a bug and is
reported with its class name (``-v`` adds the traceback).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any, NoReturn

import click

from lake.config import Config, load_config
from lake.errors import LakehouseError, Terminated
from pipeline.cli.options import CONFIG_KEY, VERBOSE_KEY

OK = 0
FAILED = 1
USAGE = 2
ATTENTION = 3

#: libraries whose INFO logging is noise in a job's output
_NOISY = ("botocore", "boto3", "urllib3", "s3transfer", "sqlmesh", "sqlglot", "httpx")


def one_line(exc: BaseException) -> str:
    """The exception as one line; unexpected types keep their class name for the operator."""
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    return text if isinstance(exc, LakehouseError) else f"{exc.__class__.__name__}: {text}"


_MAIN_PID = os.getpid()


def _raise_terminated(signum: int, _frame: Any) -> None:
    if os.getpid() != _MAIN_PID:  # a forked worker (e.g. a multiprocessing pool being stopped)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    raise Terminated(signum)


def install_signal_handlers() -> dict[int, Any]:
    """SIGTERM (what ECS sends) and SIGHUP unwind the command like Ctrl-C: every `finally` runs.

    Only in the command's own process: a forked child that inherits the handler dies of the
    signal as it would have without it. Returns the handlers it replaced.
    """
    global _MAIN_PID
    _MAIN_PID = os.getpid()
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            previous[sig] = signal.signal(sig, _raise_terminated)
    return previous


def restore_signal_handlers(previous: dict[int, Any]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def setup_logging(verbose: bool) -> None:
    """Warnings only by default (the command prints its own summary); everything with -v.

    SQLMesh's console output (logger `lakehouse.sqlmesh`, DEBUG) and our step logs appear only
    with -v, so a scheduled job's log holds what matters: progress, warnings, the summary.
    """
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    for noisy in _NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)


def run_command(body: Callable[[Config], Any]) -> NoReturn:
    """Load the config, run `body(config)` and exit with its code (None = 0) or the error's."""
    ctx = click.get_current_context()
    name = ctx.command_path
    verbose = bool(ctx.meta.get(VERBOSE_KEY))
    setup_logging(verbose)
    try:
        config = load_config(ctx.meta.get(CONFIG_KEY))
        code = int(body(config) or OK)
    except Terminated as exc:
        print(f"{name}: {exc}; stopped (the lock was released, nothing was persisted)", file=sys.stderr)
        code = 128 + exc.signum
    except KeyboardInterrupt:
        print(f"{name}: interrupted (the lock was released, nothing was persisted)", file=sys.stderr)
        code = 130
    except click.ClickException:
        raise
    except Exception as exc:  # every failure ends as one line; -v adds the traceback
        if verbose:
            logging.getLogger("lakehouse").exception("failed")
        print(f"{name}: error: {one_line(exc)}", file=sys.stderr)
        code = exc.exit_code if isinstance(exc, LakehouseError) else FAILED
    ctx.exit(code)
