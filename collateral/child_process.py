"""Run `python -m <module> ...` in a child process limited in memory and time.

Reading or rendering an uploaded file runs third-party parsers on bytes a stranger chose. Doing it
in a child capped by RLIMIT_AS and a timeout means a hostile file costs one failed child, never
the web worker. The parent half is `run_in_child`; the child half is `limit_child`, which each
child module's entry point calls first. Knows nothing of Flask or the models.
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import shlex
import signal
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

_REPO_ROOT = Path(__file__).resolve().parents[1]
_STDERR_TAIL_BYTES = 4000


class ChildFailed(RuntimeError):
    """The child timed out, ran out of memory, was killed or exited with an error.

    The message says which, in words a person can act on; `partial_stdout` holds what the
    child wrote before it failed, for children that write one result after another.
    """

    def __init__(self, message: str, partial_stdout: bytes = b"") -> None:
        super().__init__(message)
        self.partial_stdout = partial_stdout


@dataclass(frozen=True)
class ChildOutput:
    """What a child that exited normally wrote: all of stdout, and the end of stderr for logs."""

    stdout: bytes
    stderr_tail: str


def run_in_child(
    module: str,
    arguments: Sequence[str],
    *,
    task: str,
    worker: str,
    timeout_seconds: float,
    memory_mb: int,
) -> ChildOutput:
    """Run `python -m module --memory-mb N *arguments`; raise ChildFailed unless it exits 0.

    `task` ("Extraction") and `worker` ("the reader") name the job in the error messages.
    """
    command = [sys.executable, "-m", module, "--memory-mb", str(memory_mb), *arguments]
    with tempfile.TemporaryFile() as stderr:
        # stderr goes to a file so a chatty child cannot fill the parent's memory. The child
        # leads its own process group, so whatever it starts (LibreOffice) is killed with it.
        with subprocess.Popen(
            command,
            cwd=_REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            start_new_session=True,
        ) as child:
            try:
                stdout, _ = child.communicate(timeout=timeout_seconds)
            except subprocess.TimeoutExpired:
                _kill_group(child.pid)
                stdout, _ = child.communicate()
                message = f"{task} took longer than {timeout_seconds:g} s."
                raise ChildFailed(message, stdout or b"") from None
            finally:
                _kill_group(child.pid)  # no grandchild outlives its parent
        done = subprocess.CompletedProcess(command, child.returncode, stdout)
        stderr.seek(max(0, stderr.seek(0, os.SEEK_END) - _STDERR_TAIL_BYTES))
        stderr_tail = stderr.read().decode("utf-8", "replace")
    if done.returncode == 0:
        return ChildOutput(done.stdout, stderr_tail)
    shown = shlex.join(["-m", module, *arguments])
    logger.warning("Child %s exited %s: %s", shown, done.returncode, stderr_tail)
    if done.returncode > 0 and "MemoryError" in stderr_tail:
        raise ChildFailed(out_of_memory_message(task, memory_mb), done.stdout)
    if done.returncode < 0:
        number = -done.returncode
        name = signal.Signals(number).name if number in signal.valid_signals() else str(number)
        raise ChildFailed(
            f"{task} failed: {worker} was stopped by {name}; the file may be "
            f"damaged or need more than {memory_mb} MB of memory.",
            done.stdout,
        )
    message = f"{task} failed: {worker} exited with code {done.returncode}."
    raise ChildFailed(message, done.stdout)


def _kill_group(pid: int) -> None:
    """Kill every process left in the child's group (none, usually)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def out_of_memory_message(task: str, memory_mb: int) -> str:
    """The error for a child that ran out of memory."""
    return f"{task} needed more than {memory_mb} MB of memory."


def is_out_of_memory(exc: BaseException | None) -> bool:
    """Whether an exception, or one it arose from, means an allocation failed."""
    while exc is not None:
        lxml = sys.modules.get("lxml.etree")
        if (
            isinstance(exc, MemoryError)
            or "map segment" in str(exc)  # a shared library that could not be loaded
            or "allocate memory" in str(exc)
            or (lxml and isinstance(exc, lxml.XMLSyntaxError) and exc.code == 2)  # ERR_NO_MEMORY
        ):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def limit_child(memory_mb: int) -> int:
    """In the child: cap the address space, send stray output to stderr, silence warnings.

    Returns a file descriptor for the real stdout, which must carry only the result: libraries
    that print (to fd 1, even from C) land on stderr instead.
    """
    limit = memory_mb * 1024 * 1024
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    result_fd = os.dup(1)
    os.dup2(2, 1)
    warnings.simplefilter("ignore")
    return result_fd
