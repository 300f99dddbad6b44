"""The command layer's SIGTERM handling unwinds the command itself, never a forked worker."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import os, signal, sys, time
    from pipeline.cli.errors import install_signal_handlers
    install_signal_handlers()
    pid = os.fork()
    if pid == 0:          # a forked worker (a multiprocessing pool's, say), idle
        time.sleep(30)
        os._exit(0)
    time.sleep(0.3)
    os.kill(pid, signal.SIGTERM)  # what Pool.terminate() sends
    _, status = os.waitpid(pid, 0)
    print("worker:", "killed by", os.WTERMSIG(status) if os.WIFSIGNALED(status) else "exit", flush=True)
    try:
        os.kill(os.getpid(), signal.SIGTERM)  # the command itself
        time.sleep(5)
    except BaseException as exc:
        print("command:", type(exc).__name__, exc, flush=True)
    """
)


def test_a_forked_worker_dies_of_sigterm_while_the_command_unwinds():
    proc = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "worker: killed by 15" in proc.stdout
    assert "command: Terminated terminated by signal 15" in proc.stdout


POOL = textwrap.dedent(
    """
    import datetime as dt, sys
    from demo.generate import generate_dumps
    from lake.config import load_config
    from pipeline.cli.errors import install_signal_handlers
    install_signal_handlers()  # as in `lakehouse demo-data`: the command's handler is inherited by fork
    for i in range(3):  # the pool ends with terminate(): SIGTERM to workers idle in a queue lock
        generate_dumps(load_config(environ={}), sys.argv[1] + str(i), dt.date(2026, 1, 1), 2, workers=2)
    print("done", flush=True)
    """
)


def test_a_fork_pool_inside_a_command_is_stopped_without_hanging(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", POOL, str(tmp_path / "d")], capture_output=True, text=True, timeout=120
    )
    assert proc.stdout.strip() == "done", proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
