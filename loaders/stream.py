"""Read a dump source (local file or S3 object, plain or gzip) as a stream of decompressed chunks.

A background thread reads the raw bytes, hashes them (sha256, for the manifest) and inflates
them; zlib, hashlib and socket reads release the GIL, so this work runs on a second core while
the main thread parses. The queue between them is bounded, so memory stays bounded whatever
the size of the dump. Gzip is recognised by its magic bytes, not by the file name.
"""

from __future__ import annotations

import contextlib
import hashlib
import queue
import re
import threading
import zlib
from collections.abc import Iterator
from typing import BinaryIO, Callable, Optional

from lake.errors import LoadError

GZIP_MAGIC = b"\x1f\x8b"
#: raw bytes per read; inflated output is capped per chunk as well (a zip bomb stays bounded)
READ_SIZE = 1 << 20
OUT_SIZE = 4 << 20
QUEUE_CHUNKS = 8

_END = object()


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
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if self.gzip else None
        while data:
            digest.update(data)
            self.raw_bytes += len(data)
            if inflater is None:
                if not self._emit(data):
                    return
            else:
                inflater = self._inflate(inflater, data)
                if inflater is None:
                    return
            data = read(READ_SIZE)
        if inflater is not None and not inflater.eof:
            raise LoadError(f"{self.name}: corrupt gzip: the compressed stream ends early (truncated file)")
        self.sha256 = digest.hexdigest()

    def _inflate(self, inflater, data: bytes):  # type: ignore[no-untyped-def]
        """Feed `data`; returns the inflater to use next (a new one after a gzip member ends)."""
        while data:
            try:
                out = inflater.decompress(data, OUT_SIZE)
                while True:
                    if out and not self._emit(out):
                        return None
                    tail = inflater.unconsumed_tail
                    if not tail:
                        break
                    out = inflater.decompress(tail, OUT_SIZE)
            except zlib.error as exc:
                raise LoadError(f"{self.name}: corrupt gzip data ({exc})") from None
            data = b""
            if inflater.eof:
                rest = inflater.unused_data
                if rest.strip(b"\x00"):  # concatenated gzip members (`cat a.gz b.gz`)
                    if rest[:2] != GZIP_MAGIC:
                        raise LoadError(f"{self.name}: corrupt gzip: garbage after the compressed data")
                    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
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
