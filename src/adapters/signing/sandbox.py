"""Reading untrusted PDFs in a child process with a time and memory limit.

A PDF is a program for a parser: a few megabytes can hold fifty thousand pages, objects
nested thousands deep or streams that inflate a thousandfold. pyHanko reads it in pure
Python, so inside the API process a hostile file would hold the interpreter (and with it
the event loop that answers /health), and the memory it made the parser take would stay
with the process. Here each reading runs in a child forked from a small fork server: the
child gets an address-space limit, the parent waits at most `seconds` and then kills it,
and whatever the child took is given back when it exits. At most `concurrency` children
run at once; further requests wait their turn, up to WAITING_PER_READER for each, and beyond
that are answered "busy" at once (a queue without end would hold every waiting request's
body in memory).

The fork server preloads the PDF modules, so a child starts in milliseconds.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import spawn
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from undersign.adapters.signing.pdf_errors import TOO_MUCH_MEMORY, refusal_for
from undersign.application.shared.errors import PdfReadersBusy, PdfTooComplex
from undersign.domain.errors import DomainError

T = TypeVar("T")

MiB = 1024 * 1024
WAITING_PER_READER = 4
CHILD_NICENESS = 10
_PRELOADED = ["undersign.adapters.signing.pdf_inspector", "undersign.adapters.signing.verification"]  # and what they import
_PARENT_MAIN = "UNDERSIGN_SANDBOX_PARENT_MAIN"


@dataclass(frozen=True, slots=True, kw_only=True)
class PdfLimits:
    """How much one PDF may make the platform do."""

    max_pages: int = 2_000
    max_objects: int = 500_000
    max_nesting: int = 100  # arrays and dictionaries inside each other
    seconds: float = 30.0
    memory_bytes: int = 1024 * MiB  # beyond what the child had when it started
    concurrency: int = 2


class PdfSandbox:
    def __init__(self, limits: PdfLimits, child_setup: Callable[[], None] | None = None) -> None:
        """`child_setup`, a module-level function, runs first in every child (the CPUs it may use, say)."""
        self.limits = limits
        self._child_setup = child_setup
        # One thread per child at most: requests beyond `concurrency` wait in its queue, holding no thread.
        self._threads = ThreadPoolExecutor(max_workers=limits.concurrency, thread_name_prefix="pdf-sandbox")
        self._capacity = limits.concurrency * (1 + WAITING_PER_READER)
        self._admitted = 0
        self._admission = threading.Lock()  # event loops of several threads may share the sandbox

    async def run(self, function: Callable[..., T], document: bytes, *args: Any) -> T:
        """`function(document, *args)` in a child; its DomainErrors come back as they were raised.

        `function` must be a module-level function (it is sent to the child by name), and
        `args` small: they are pickled, while the document goes down a pipe as it is (pickling
        50 MB would hold the interpreter, and with it the event loop, for half a second).
        Raises PdfTooComplex when the child outruns its time or memory, and the refusal its
        failure amounts to (see pdf_errors) when it fails in any other way.
        """
        with self._admitted_or_busy():
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._threads, self._run, function, document, args)

    @contextmanager
    def _admitted_or_busy(self) -> Iterator[None]:
        with self._admission:
            if self._admitted >= self._capacity:
                raise PdfReadersBusy("every PDF reader is busy and the line is full: send it again in a few seconds")
            self._admitted += 1
        try:
            yield
        finally:
            with self._admission:
                self._admitted -= 1

    def _run(self, function: Callable[..., T], document: bytes, args: tuple[Any, ...]) -> T:
        context = _fork_server()
        answers, answer = context.Pipe(duplex=True)
        child = context.Process(
            target=_child, args=(answer, self._child_setup, function, args, self.limits.memory_bytes), daemon=True
        )
        child.start()
        answer.close()
        try:
            answers.send_bytes(document)
            if not answers.poll(self.limits.seconds):
                raise PdfTooComplex(f"the PDF takes longer than {self.limits.seconds:g} s to read: it is too complex")
            outcome, value = answers.recv()
        except (EOFError, BrokenPipeError):
            # The child died without a word: the kernel refused it memory, or the parser crashed.
            raise PdfTooComplex(TOO_MUCH_MEMORY) from None
        finally:
            if child.is_alive():
                child.kill()
            child.join()
            answers.close()
        if outcome == "error":
            raise value
        return value


_context_lock = threading.Lock()


def _fork_server() -> multiprocessing.context.ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    with _context_lock:
        main = spawn.get_preparation_data("sandbox").get("init_main_from_path")
        if main is not None:
            os.environ[_PARENT_MAIN] = main  # for _pass_for_parent_main, in the fork server
        context.set_forkserver_preload(_PRELOADED)
    return context


def _pass_for_parent_main() -> None:
    """In the fork server: pass for the parent's main module, so that children skip importing it.

    Python sends every child the path of the parent's main module to import first (a console
    script, which here would import the whole application: a second or so per child), and
    never has the fork server import it once for all. A child only runs module-level
    functions of this package, so it needs none of it: a fork server whose main module says
    it is that file makes children take it as already imported. In any other process the
    path is its own main module's already, and this changes nothing.
    """
    path, main = os.environ.get(_PARENT_MAIN), sys.modules.get("__main__")
    if path and main is not None and getattr(main, "__file__", None) is None:
        main.__file__ = path


_pass_for_parent_main()


def _child(
    answer: Connection, setup: Callable[[], None] | None, function: Callable[..., Any], args: tuple[Any, ...],
    memory_bytes: int,
) -> None:
    if setup is not None:
        setup()
    # Below the API process in the CPU's queue: on a machine with as many cores as readers,
    # a reader must not keep the event loop that answers /health from its turn.
    os.nice(CHILD_NICENESS)
    document = answer.recv_bytes()
    _limit_memory(memory_bytes)  # beyond the document itself
    try:
        outcome: tuple[str, Any] = ("ok", function(document, *args))
    except DomainError as error:
        outcome = ("error", error)
    except Exception as error:  # the parser raises many kinds on malformed input
        outcome = ("error", refusal_for(error))
    answer.send(outcome)
    answer.close()


def _limit_memory(budget: int) -> None:
    """Cap the child's address space at what it maps now (the interpreter, pyHanko) plus `budget`."""
    with open("/proc/self/statm") as statm:
        mapped = int(statm.read().split()[0]) * resource.getpagesize()
    limit = mapped + budget
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
