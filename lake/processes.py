"""Child processes that never outlive the job that started them."""

from __future__ import annotations

import contextlib
import signal


def die_with_parent_process() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (PR_SET_PDEATHSIG); no-op elsewhere.

    Call it in the child (a pool initializer, a Popen preexec_fn). The signal comes when the
    parent *thread* that started the child exits, so start children from the main thread.
    """
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
