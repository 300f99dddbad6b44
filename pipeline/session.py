"""The warehouse session: the one way any command reads or writes the warehouse (SPEC §6).

``with WarehouseSession(config, "lakehouse daily") as session: ...`` does, in order:

1. **lock** -- takes the warehouse lock (pipeline/lock.py), renewed by a heartbeat while the
   session lives; a second session waits for nobody: it fails at once naming the holder;
2. **fetch** -- with ``warehouse.persist_uri``, replaces the local file with the persisted
   version (pipeline/persist.py); an unusable copy is reported and rebuilt from the lake;
3. **work** -- the body (ingest, models, publish, a SQLMesh command) runs; SQLMesh children get
   ``$LAKEHOUSE_SESSION`` = :attr:`id` so the project knows it runs inside a session;
4. **persist** -- only when the body succeeded, the lock is still ours and the session may
   write: the local copy is uploaded as a new version and the pointer moved to it;
5. **release** -- in every exit path: success, error, Ctrl-C, SIGTERM (the command layer turns
   it into :class:`lake.errors.Terminated`, so this ``finally`` runs). A kill -9 cannot release;
   the next run on the same host takes the dead pid's lock at once, elsewhere after the TTL.

Without ``persist_uri`` the local file is the warehouse itself and step 2/4 do nothing; a run
that dies there leaves SQLMesh state that the next run completes, and the days whose lake
content differs from what the warehouse computed are restated (pipeline/models/planning.py).
"""

from __future__ import annotations

import logging
import os
import uuid
from typing import Optional

from lake.config import Config
from pipeline import persist
from pipeline.lock import WarehouseLock

log = logging.getLogger(__name__)


class WarehouseSession:
    """Lock -> fetch -> work -> persist on success -> release (see the module docstring).

    `writes=False` (e.g. a publish, a dry run) skips the upload: the body only reads.
    `fetch=False` (ingest) takes the lock only: the body does not use the warehouse.
    """

    def __init__(self, config: Config, purpose: str, writes: bool = True, fetch: bool = True) -> None:
        self.config = config
        self.purpose = purpose
        self.writes = writes
        self.fetch = fetch
        self.id = uuid.uuid4().hex
        self.lock = WarehouseLock(config, purpose=purpose)
        self.started_from: Optional[persist.Pointer] = None
        self.fetched = ""
        self.persisted: Optional[persist.Pointer] = None
        #: persisted already, or discarded: nothing more to persist at the end
        self._settled = False

    @property
    def persisted_remotely(self) -> bool:
        return bool(self.config.warehouse.persist_uri)

    def __enter__(self) -> WarehouseSession:
        self.lock.acquire()
        try:
            os.makedirs(os.path.dirname(self.config.warehouse.path) or ".", exist_ok=True)
            if self.persisted_remotely and self.fetch:
                self.started_from = persist.read_pointer(self.config)
                self.fetched = persist.fetch(self.config, self.started_from)
                log.info("%s", self.fetched)
        except BaseException:
            self.lock.release()
            raise
        return self

    def commit(self) -> None:
        """Persist the warehouse now (the work so far succeeded); later steps only read it.

        The daily job commits after the models, so a failing publish does not discard them.
        """
        if self.persisted_remotely:
            self.lock.check()  # a run whose lock was taken over must not persist
            self.persisted = persist.persist(self.config, self.started_from, self.id)
            self.started_from = self.persisted
        self._settled = True

    def discard(self) -> None:
        """The work failed without raising (e.g. a child's exit code): persist nothing."""
        self._settled = True

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if exc_type is None and self.writes and not self._settled:
                self.commit()
        finally:
            self.lock.release()
