"""`lakehouse sql`: ad hoc SQL on the analysts' read path (lake/analysts.py), never the warehouse.

* :func:`run_query` -- one statement, printed as a table or written as CSV / JSON / Parquet;
* :func:`run_script` -- statements from a file or a pipe, separated by ``;``;
* :func:`repl` -- an interactive prompt: statements may span lines (end with ``;``), history in
  ``~/.lakehouse_sql_history``, ``.tables``, ``.help``, ``.quit``.

Every session is an in-memory DuckDB with views over the committed lake days and the marts;
it holds none of the job's files open, so it neither blocks nor waits for ``lakehouse daily``.
A bad statement is a usage error (exit 2) naming DuckDB's message; the session stays usable in
the prompt.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any, Optional, TextIO

from lake.analysts import open_session, table_names
from lake.config import Config
from lake.errors import UsageError

FORMATS = ("table", "csv", "json", "parquet")
HISTORY_FILE = os.path.join(os.path.expanduser("~"), ".lakehouse_sql_history")
PROMPT, CONTINUE = "lakehouse> ", "      ...> "


def _relation(con: Any, query: str) -> Any:
    import duckdb

    try:
        return con.sql(query)
    except duckdb.Error as exc:
        hint = ""
        if isinstance(exc, duckdb.CatalogException):
            hint = f" (tables: {', '.join(table_names())})"
        raise UsageError(f"{' '.join(str(exc).split())}{hint}") from None


def write_result(con: Any, rel: Any, fmt: str, out: Optional[str], max_rows: int, stream: TextIO) -> None:
    """Print `rel` as a table, or write it as csv/json/parquet to `out` (default: the stream)."""
    import duckdb

    if rel is None:  # a statement without a result (SET, ...)
        return
    if fmt == "table":
        if out:
            raise UsageError("--out needs --format csv, json or parquet")
        text = str(rel) if max_rows <= 0 else _table_text(rel, max_rows)
        stream.write(text if text.endswith("\n") else text + "\n")
        return
    if fmt == "parquet" and not out:
        raise UsageError("--format parquet needs --out FILE")
    options = {
        "csv": "FORMAT csv, HEADER true",
        "json": "FORMAT json, ARRAY true",
        "parquet": "FORMAT parquet",
    }
    rel.create_view("lakehouse_result", replace=True)
    try:
        if out:
            target = out.replace("'", "''")
            con.execute(f"COPY (SELECT * FROM lakehouse_result) TO '{target}' ({options[fmt]})")
        else:
            import tempfile

            with tempfile.TemporaryDirectory(prefix="lakehouse-sql-") as tmp:
                path = os.path.join(tmp, f"result.{fmt}")
                con.execute(f"COPY (SELECT * FROM lakehouse_result) TO '{path}' ({options[fmt]})")
                with open(path, encoding="utf-8") as fh:
                    stream.write(fh.read())
    except duckdb.Error as exc:
        raise UsageError(" ".join(str(exc).split())) from None


def _table_text(rel: Any, max_rows: int) -> str:
    rows = rel.limit(max_rows + 1).fetchall()
    shown = rel.limit(max_rows)
    text = str(shown)
    if len(rows) > max_rows:
        text = text.rstrip("\n") + f"\n(first {max_rows} rows; --max-rows 0 for all)\n"
    return text


def run_query(
    config: Config,
    query: str,
    fmt: str = "table",
    out: Optional[str] = None,
    pii: bool = False,
    max_rows: int = 100,
    stream: TextIO = sys.stdout,
) -> None:
    con = open_session(config, pii=pii)
    try:
        write_result(con, _relation(con, query), fmt, out, max_rows, stream)
    finally:
        con.close()


def split_statements(text: str) -> list[str]:
    """Statements separated by `;` (DuckDB's own parser knows strings and comments)."""
    import duckdb

    try:
        return [str(s.query) for s in duckdb.extract_statements(text)]
    except duckdb.Error as exc:
        raise UsageError(" ".join(str(exc).split())) from None


def run_script(config: Config, text: str, fmt: str = "table", pii: bool = False, max_rows: int = 100,
               stream: TextIO = sys.stdout) -> None:  # fmt: skip
    statements = split_statements(text)
    con = open_session(config, pii=pii)
    try:
        for statement in statements:
            write_result(con, _relation(con, statement), fmt, None, max_rows, stream)
    finally:
        con.close()


HELP = """Statements end with ';' and may span lines. Commands:
  .tables        the tables (raw.* = committed lake days; silver.*, gold.* = the latest marts)
  .help          this text
  .quit / .exit  leave (or Ctrl-D)"""


def repl(config: Config, pii: bool = False, max_rows: int = 100, stream: TextIO = sys.stdout) -> None:
    """The interactive prompt (see the module docstring); reads lines with `input()`."""
    readline = _history()
    con = open_session(config, pii=pii)
    stream.write(f"lakehouse sql on {config.lake.root} -- .help for help, .quit to leave\n")
    buffer: list[str] = []
    try:
        while True:
            try:
                line = input(CONTINUE if buffer else PROMPT)
            except EOFError:
                stream.write("\n")
                break
            except KeyboardInterrupt:  # drop the statement being typed, keep the session
                stream.write("\n")
                buffer = []
                continue
            stripped = line.strip()
            if not buffer and stripped.startswith("."):
                if stripped in (".quit", ".exit"):
                    break
                stream.write(("\n".join(table_names()) if stripped == ".tables" else HELP) + "\n")
                continue
            if stripped:
                buffer.append(line)
            if not stripped.endswith(";"):
                continue
            text, buffer = "\n".join(buffer), []
            try:
                for statement in split_statements(text):
                    write_result(con, _relation(con, statement), "table", None, max_rows, stream)
            except UsageError as exc:
                stream.write(f"Error: {exc}\n")
            stream.flush()
    finally:
        con.close()
        if readline is not None:
            with contextlib.suppress(OSError):
                readline.write_history_file(HISTORY_FILE)


def _history() -> Any:
    try:
        import readline
    except ImportError:  # not on every platform
        return None
    with contextlib.suppress(OSError):
        readline.read_history_file(HISTORY_FILE)
    readline.set_history_length(1000)
    return readline
