"""The one exception type of the loaders: a bad input, named in the message."""

from __future__ import annotations


class LoadError(ValueError):
    """A dump or CSV that cannot be loaded; the message names the input (and table/column/row)."""
