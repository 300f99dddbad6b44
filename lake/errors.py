"""The project's one error hierarchy: every failure the product reports is a `LakehouseError`.

The command layer (`pipeline.cli`) maps them to the exit codes of SPEC §6 through the class
attribute `exit_code` (1 = failed, 2 = bad configuration or usage) and prints the message as
one line. A message names the input concerned (file, URI, table, host:port) and never contains
a secret or raw bytes of an input. Library packages raise these and nothing else on purpose;
anything else that escapes is a bug and is reported with its class name.
"""

from __future__ import annotations


class LakehouseError(Exception):
    """Base class: a failure to report as one clear line (no traceback) and a non-zero exit."""

    exit_code = 1


class ConfigError(LakehouseError, ValueError):
    """A configuration problem, with the dotted key (or file) it concerns in the message."""

    exit_code = 2


class UsageError(LakehouseError):
    """A command line that cannot be carried out as given (bad option combination, bad value)."""

    exit_code = 2


class StorageError(LakehouseError):
    """An I/O problem reaching a folder or bucket; the message names the URI."""


class S3Unavailable(StorageError):
    """S3 did not answer within the configured timeouts/retries; the message names the endpoint."""


class LoadError(LakehouseError, ValueError):
    """A dump or CSV that cannot be loaded; the message names the input (and table/column/row)."""


class LockError(LakehouseError):
    """The warehouse lock could not be taken, kept or released."""


class LockHeld(LockError):
    """Another live run holds the warehouse lock."""


class LockLost(LockError):
    """This run's lock was taken over (it went stale); the run must not persist anything."""


class WarehouseError(LakehouseError):
    """Fetching or persisting the warehouse copy failed; the message names the URI."""


class ModelsError(LakehouseError):
    """The SQLMesh models failed; the message names the audit/model (or the input) concerned."""


class PublishError(LakehouseError):
    """A publish failure whose message names the input (warehouse file, table, MySQL host:port).

    Messages never contain a password: they are built from names only, and anything that came
    from a driver passes through :func:`publish.connection.redact` first.
    """


class Terminated(BaseException):
    """Raised in the main thread on SIGTERM/SIGHUP, so every `finally` (lock release) runs.

    A BaseException, like KeyboardInterrupt, so that `except Exception` blocks do not swallow it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum
