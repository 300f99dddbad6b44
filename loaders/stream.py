"""Read a dump source (local file or S3 object, plain or gzip) as a stream of decompressed chunks.

A background thread reads the raw bytes, hashes them (sha256, for the manifest) and inflates
them; the inflater, hashlib and socket reads release the GIL, so this work runs on a second core
while the main thread parses. The queue between them is bounded, so memory stays bounded whatever
the size of the dump. Gzip is recognised by its magic bytes, not by the file name.

Inflating is done by ISA-L (the `isal` package) where it is installed, by zlib otherwise: ISA-L
inflates a realistic dump ~4x faster than gzip, which takes about a quarter off its `ingest`
(docs/benchmarks/ingest.md). `isal` has wheels for the usual platforms only; `isal.isal_zlib`
has zlib's `decompressobj` API, so both go through the same code and a platform without isal
still loads its dumps, only slower.
"""

from __future__ import annotations

import contextlib
import hashlib
import queue
import re
import threading
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO, Callable, NamedTuple, Optional

from lake.errors import LoadError

try:
    from isal import isal_zlib
except ImportError:  # no isal wheel for this platform: zlib below
    isal_zlib = None

GZIP_MAGIC = b"\x1f\x8b"
#: raw bytes per read; inflated output is capped per chunk as well (a zip bomb stays bounded)
READ_SIZE = 1 << 20
OUT_SIZE = 4 << 20
QUEUE_CHUNKS = 8

_END = object()


class Inflate(NamedTuple):
    """A gzip inflater library: `new()` returns a zlib-style decompress object for one member."""

    name: str
    new: Callable[[], Any]
    #: what it raises on corrupt data
    errors: tuple[type[Exception], ...]


ZLIB = Inflate("zlib", lambda: zlib.decompressobj(16 + zlib.MAX_WBITS), (zlib.error,))
ISAL: Optional[Inflate] = (
    None
    if isal_zlib is None
    else Inflate(
        "isal",
        lambda: isal_zlib.decompressobj(16 + isal_zlib.MAX_WBITS),
        (isal_zlib.error, zlib.error),  # isal_zlib.error is no zlib.error
    )
)
#: the inflater every ChunkStream uses (read when a stream starts: tests swap it)
INFLATE: Inflate = ISAL or ZLIB

# isal words some errors differently from zlib; a rejected dump reads the same on every platform
_ISAL_REASONS = {
    "incorrect checksum found": "incorrect data check",  # the member's CRC32 or length
    "gzip/zlib wrapper specifies unsupported compress method": "unknown compression method",
    "invalid gzip/zlib wrapper found": "incorrect header check",
}


def _reason(exc: Exception) -> str:
    """The cause of an inflate error without the library's error number (`incorrect data check`).

    zlib says "Error -3 while decompressing data: incorrect data check", isal "Error -6 Incorrect
    checksum found": the number is the library's, not the operator's concern.
    """
    text = re.sub(r"^Error -?\d+ (while decompressing data: )?", "", str(exc))
    return _ISAL_REASONS.get(text.lower(), text)


class ChunkStream:
    """Decompressed chunks of one source, produced by a background thread.

    Use as a context manager; after the chunks are exhausted, :attr:`sha256`, :attr:`raw_bytes`
    and :attr:`gzip` describe the source as read.
    """

    def __init__(self, raw: BinaryIO, name: str) -> None:
        self.name = name
        self.sha256: Optional[str] = None
        self.raw_bytes = 0
        self.out_bytes = 0
        self.gzip = False
        self._raw = raw
        self._queue: queue.Queue = queue.Queue(maxsize=QUEUE_CHUNKS)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"read {name}", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ producer (thread)

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            self._produce()
            self._put(_END)
        except LoadError as exc:
            self._put(exc)
        except Exception as exc:  # I/O of a file or an S3 stream: name the source
            self._put(LoadError(f"{self.name}: read failed: {type(exc).__name__}: {exc}"))
        finally:
            with contextlib.suppress(Exception):  # closing a broken stream is best effort
                self._raw.close()

    def _produce(self) -> None:
        digest = hashlib.sha256()
        read = self._raw.read
        data = read(READ_SIZE)
        self.gzip = data[:2] == GZIP_MAGIC
        inflate = INFLATE
        inflater = inflate.new() if self.gzip else None
        while data:
            digest.update(data)
            self.raw_bytes += len(data)
            if inflater is None:
                if not self._emit(data):
                    return
            else:
                inflater = self._inflate(inflate, inflater, data)
                if inflater is None:
                    return
            data = read(READ_SIZE)
        if inflater is not None and not inflater.eof:
            raise LoadError(f"{self.name}: corrupt gzip: the compressed stream ends early (truncated file)")
        self.sha256 = digest.hexdigest()

    def _inflate(self, inflate: Inflate, inflater: Any, data: bytes) -> Any:
        """Feed `data`; returns the inflater to use next (a new one after a gzip member ends)."""
        while data:
            try:
                out = inflater.decompress(data, OUT_SIZE)
                while True:
                    if out and not self._emit(out):
                        return None
                    tail = inflater.unconsumed_tail
                    # at a member's end zlib may leave the next member in unconsumed_tail too
                    # (when that call also filled OUT_SIZE): feeding it again returns nothing and
                    # appends it to unused_data, forever; it is read from unused_data below
                    if not tail or inflater.eof:
                        break
                    out = inflater.decompress(tail, OUT_SIZE)
            except inflate.errors as exc:
                raise LoadError(f"{self.name}: corrupt gzip data ({_reason(exc)})") from None
            data = b""
            if inflater.eof:
                rest = inflater.unused_data
                if rest.strip(b"\x00"):  # concatenated gzip members (`cat a.gz b.gz`)
                    if rest[:2] != GZIP_MAGIC:
                        raise LoadError(f"{self.name}: corrupt gzip: garbage after the compressed data")
                    inflater = inflate.new()
                    data = rest
        return inflater

    def _emit(self, chunk: bytes) -> bool:
        self.out_bytes += len(chunk)
        return self._put(chunk)

    # ------------------------------------------------------------------ consumer

    def chunks(self) -> Iterator[bytes]:
        while True:
            item = self._queue.get()
            if item is _END:
                self._thread.join()
                return
            if isinstance(item, BaseException):
                self._thread.join()
                raise item
            yield item

    def close(self) -> None:
        """Stop the reader thread (also when the parser gave up half-way)."""
        self._stop.set()
        self._thread.join(timeout=30)

    def __enter__(self) -> ChunkStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ChunkReader:
    """Statement-level access to a chunk stream: peek, read or skip up to a marker.

    Lines can be longer than a chunk (MySQL writes a whole extended INSERT on one line), so
    nothing here assumes a line fits a chunk; a skipped statement is never joined into one
    bytes object.
    """

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._searchers: dict[bytes, Callable[..., Optional[re.Match]]] = {}
        self._chunks = chunks
        self._buf = b""
        self._pos = 0
        self.eof = False

    def _more(self) -> bool:
        """Append the next chunk to the unread rest of the buffer; False at the end."""
        if self.eof:
            return False
        for chunk in self._chunks:
            self._buf = self._buf[self._pos :] + chunk
            self._pos = 0
            return True
        self.eof = True
        return False

    def peek(self, n: int) -> bytes:
        """Up to `n` unread bytes (fewer only at the end of the stream), not consumed."""
        while len(self._buf) - self._pos < n and self._more():
            pass
        return self._buf[self._pos : self._pos + n]

    def at_end(self) -> bool:
        return not self.peek(1)

    def _search(self, marker: bytes) -> Callable[..., Optional[re.Match]]:
        # re's literal-prefix scan beats bytes.find for short markers whose last byte is
        # frequent (b";\n" in a dump with a row per line): ~3x faster here
        found = self._searchers.get(marker)
        if found is None:
            found = self._searchers[marker] = re.compile(re.escape(marker)).search
        return found

    def _find(self, marker: bytes) -> int:
        m = self._search(marker)(self._buf, self._pos)
        return -1 if m is None else m.start()

    def read_until(self, marker: bytes) -> tuple[bytes, bool]:
        """Bytes up to and including `marker`, and whether it was found (False: the rest)."""
        pieces = []
        keep = len(marker) - 1
        while True:
            i = self._find(marker)
            if i >= 0:
                end = i + len(marker)
                pieces.append(self._buf[self._pos : end])
                self._pos = end
                return b"".join(pieces), True
            cut = max(self._pos, len(self._buf) - keep)
            pieces.append(self._buf[self._pos : cut])
            self._pos = cut
            if not self._more():
                pieces.append(self._buf[self._pos :])
                self._pos = len(self._buf)
                return b"".join(pieces), False

    def skip_until(self, marker: bytes) -> bool:
        """Consume up to and including `marker`; False when the stream ends first."""
        keep = len(marker) - 1
        while True:
            i = self._find(marker)
            if i >= 0:
                self._pos = i + len(marker)
                return True
            self._pos = max(self._pos, len(self._buf) - keep)
            if not self._more():
                self._pos = len(self._buf)
                return False

    def readline(self) -> bytes:
        return self.read_until(b"\n")[0]
