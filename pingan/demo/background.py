"""The demo serves as `pingan` commands of their own, run side by side: the server, the task worker
(notices) and the overdue sweep on a schedule, so that the demo behaves as production does.

Each child runs in its own session, so that the terminal's Ctrl+C reaches only the demo. The demo then
sends each child SIGTERM, on which each finishes what it is doing (gunicorn its requests, the worker its
task) and exits; one that is still there after STOP_SECONDS is killed with everything it started.
"""

import os
import signal
import subprocess
import sys
import time

STOP_SECONDS = 30


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def run_together(*commands: list[str]) -> tuple[str, int] | None:
    """Run the `pingan` commands until the demo is stopped (Ctrl+C or SIGTERM: returns None) or one of
    them ends by itself (returns its command and exit code); either way the others are stopped."""
    # Set both: a program started in the background of a script begins with SIGINT ignored.
    previous = {s: signal.signal(s, _interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    children: dict[str, subprocess.Popen] = {}
    ended = None
    try:
        for argv in commands:
            command = [sys.executable, "-m", "pingan", *argv]
            children[argv[0]] = subprocess.Popen(command, start_new_session=True)  # noqa: S603
        while ended is None:
            time.sleep(0.5)
            ended = next(((name, c.returncode) for name, c in children.items() if c.poll() is not None), None)
    except KeyboardInterrupt:
        pass
    finally:
        stop(list(children.values()))
        for s, handler in previous.items():
            signal.signal(s, handler)
    return ended


def stop(children: list[subprocess.Popen]) -> None:
    # A second Ctrl+C must not leave children behind half-way through stopping them.
    signals = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for child in children:
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)  # its session: gunicorn's workers too
                child.wait()
    finally:
        for s, handler in signals.items():
            signal.signal(s, handler)
