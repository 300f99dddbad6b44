"""The one exception publish raises, so callers (CLI, daily job) can print it as one line."""

from __future__ import annotations


class PublishError(RuntimeError):
    """A publish failure whose message names the input (warehouse file, table, MySQL host:port).

    Messages never contain a password: they are built from names only, and anything that came
    from a driver passes through :func:`publish.connection.redact` first.
    """
