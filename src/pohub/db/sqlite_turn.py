"""Whose turn it is to write: an advisory lock every pohub writer on a SQLite file takes around its
write transaction, so that two server processes (or two Databases) hand the write over on a kernel
wake-up instead of polling BEGIN IMMEDIATE.

Without it a writer that finds the file's write lock taken retries BEGIN IMMEDIATE on its loop's
timers (db/sqlite_lock.py, 0.5 ms doubling to 4 ms): the lock sits idle after its holder lets go
until the next try, and a holder that begins again within one turn of its loop almost always gets
it first, so the other process writes only when the holder's queue runs dry.

Here the writer first takes ``flock`` on a file beside the database (``DATABASE-pohub-write``):
free, that is three system calls and nothing else. Taken, a thread of its own blocks in
``flock`` and wakes the loop the moment the holder lets go; meanwhile the loop runs everything else.
A second file (``DATABASE-pohub-queue``) makes it a turnstile. A writer takes the turn only when it
can take the queue exclusively for a moment; one that cannot have the turn joins the queue shared,
on the loop's thread in that same try (so it is queued before it has a thread at all), and lets go
of the queue once its thread holds the write lock. So a holder that lets go and begins again at once
(its next unit) finds the queue taken and waits behind the writer that waited first: two processes
take turns instead of one starving the other. The holder also sees that someone waits (the queue
taken) and commits its group without waiting for more units (db/sqlite_units.py). Two threads
blocked on the write lock when it comes free race for it (flock keeps no order among waiters): in
two processes the one blocked longer is already in the kernel and wins; in one process, where both
need the GIL to get there, either may.

The turn orders pohub's writers only; SQLite's own lock is still what makes writes safe. A writer
that is not pohub (the sqlite3 shell) never takes the turn, and pohub's BEGIN IMMEDIATE still waits
for it as before (db/sqlite_lock.LockWait). The kernel releases ``flock`` when a process dies, and
closing the file releases it too. Where ``fcntl`` is missing (Windows) or the files cannot be opened
(a read-only directory) there is no turn: ``for_database`` gives None and writers only poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
from collections.abc import Callable

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

WRITE_SUFFIX = "-pohub-write"
QUEUE_SUFFIX = "-pohub-queue"


def _try(fd: int, mode: int = 0) -> bool:
    """flock without blocking (exclusive unless ``mode`` says shared): True when taken."""
    try:
        fcntl.flock(fd, (mode or fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class _Files:
    """One opening of both files. flock belongs to the opening, so a wait given up on keeps its own
    (its thread closes them once it gets the lock) and the turn opens fresh ones."""

    __slots__ = ("abandoned", "done", "guard", "queue", "queued", "waiting", "write")

    def __init__(self, write: int, queue: int) -> None:
        self.write = write
        self.queue = queue
        self.guard = threading.Lock()  # between the waiting thread and a loop giving up on it
        self.waiting = False  # a thread blocks on these descriptors: only it may close them
        self.done = False
        self.abandoned = False
        self.queued = False  # this opening holds the queue already (taken by try_take)

    def let_go(self) -> bool:
        """Close now, or (a thread still blocks on them: True) have the thread close once it is done."""
        with self.guard:
            if self.waiting and not self.done:
                self.abandoned = True
                return True
            self.close()
            return False

    def close(self) -> None:
        for fd in (self.write, self.queue):
            with contextlib.suppress(OSError):
                os.close(fd)  # releases whatever this opening held

    def block(self) -> None:
        """On a thread: wait in the queue (unless in it already), then for the write lock; the queue is
        let go once the write lock is ours."""
        try:
            if not self.queued:  # a writer was checking the queue just then: a moment's wait
                fcntl.flock(self.queue, fcntl.LOCK_SH)
            self.queued = True
            try:
                fcntl.flock(self.write, fcntl.LOCK_EX)
            finally:
                self.queued = False
                fcntl.flock(self.queue, fcntl.LOCK_UN)
        finally:
            with self.guard:
                self.done = True  # or failed: either way the thread is done with the descriptors
                if self.abandoned:  # no one wants the turn any more
                    self.close()


class _Waiter:
    """A daemon thread that blocks in flock for a turn's waits, one at a time. A daemon: a wait stuck
    behind a holder that never lets go cannot hold up the process's exit (the default executor's
    threads are joined at exit); given up on, the thread ends once its flock returns and the turn
    starts another."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[_Files, Callable[[BaseException | None], None]] | None]
        self._jobs = queue.SimpleQueue()
        threading.Thread(target=self._run, name="pohub-write-turn", daemon=True).start()

    def submit(self, files: _Files, done: Callable[[BaseException | None], None]) -> None:
        self._jobs.put((files, done))

    def stop(self) -> None:
        self._jobs.put(None)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            files, done = job
            error: BaseException | None = None
            try:
                files.block()
            except BaseException as exc:  # an OSError from flock: the wait fails with it
                error = exc
            done(error)
            if files.abandoned:  # the turn has a new waiter by now
                return


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


class Turn:
    """The write turn on one database file, for one writer (a Database's write units)."""

    def __init__(self, database: str) -> None:
        self.paths = (database + WRITE_SUFFIX, database + QUEUE_SUFFIX)
        self._files: _Files | None = None
        self._waiter: _Waiter | None = None
        self.held = False
        self.waits = 0  # turns that had to wait (tests and figures)

    def _open(self) -> _Files:
        files = self._files
        if files is None:
            flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
            write = os.open(self.paths[0], flags, 0o644)
            try:
                queue = os.open(self.paths[1], flags, 0o644)
            except OSError:
                os.close(write)
                raise
            files = self._files = _Files(write, queue)
        return files

    def try_take(self) -> bool:
        """Take the turn if no one holds it or waits for it (three system calls); False else, and
        then this writer is in the queue already (shared, beside any other waiter): from here the
        holder cannot take the turn again before it (``wait`` goes on from there)."""
        try:
            files = self._open()
        except OSError:  # no files to lock any more (out of descriptors ...): write as if without one
            self.held = True  # nothing to let go of: release() finds no files
            return True
        if _try(files.queue) and _try(files.write):
            fcntl.flock(files.queue, fcntl.LOCK_UN)
            self.held = True
            return True
        # The holder is writing, or others wait (they hold the queue shared, and a waiter's thread
        # lets go of it only once it holds the write lock): join them without waiting.
        files.queued = _try(files.queue, fcntl.LOCK_SH)
        return False

    def wait(self) -> asyncio.Future[None]:
        """Block on the turn's thread until the turn is ours (then call ``taken``); the loop's future
        is set the moment flock returns."""
        self.waits += 1
        files = self._open()
        files.waiting, files.done = True, False
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def done(error: BaseException | None) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: no one to tell
                loop.call_soon_threadsafe(_settle, future, error)

        if self._waiter is None:
            self._waiter = _Waiter()
        self._waiter.submit(files, done)
        return future

    def taken(self) -> None:
        """The thread's wait ended: the turn is held."""
        files = self._files
        if files is not None:
            files.waiting = False
        self.held = True

    def give_up(self) -> None:
        """A wait that ended without the turn (its deadline, or cancelled): let go of the lock once
        the thread gets it; the next turn opens the files afresh."""
        files, self._files = self._files, None
        self.held = False
        if files is not None and files.let_go():
            self._waiter = None  # it ends once its flock returns

    def contended(self) -> bool:
        """Another writer waits for the turn (it holds the queue)."""
        files = self._files
        if files is None or not self.held:
            return False
        if not _try(files.queue):
            return True
        fcntl.flock(files.queue, fcntl.LOCK_UN)
        return False

    def release(self) -> None:
        if self.held:
            self.held = False
            files = self._files
            if files is not None:
                fcntl.flock(files.write, fcntl.LOCK_UN)

    def close(self) -> None:
        self.release()
        files, self._files = self._files, None
        if files is not None:
            files.let_go()
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            waiter.stop()


def for_database(database: str | None) -> Turn | None:
    """The turn for a database file; None in memory, without fcntl, or where its files cannot be made."""
    if fcntl is None or not database or database == ":memory:" or database.startswith("file:"):
        return None
    turn = Turn(database)
    try:
        turn._open()
    except OSError:
        return None
    return turn
