"""Long work that shows its progress and finishes whatever the user does next.

A job runs in a thread of its own, outside the page's script run: navigating away stops
the script (Streamlit stops it at its next call), never the job, so a started save is
saved. The page follows the job with a progress bar; the job object lives in the
session, so a page opened again later still reports how it ended.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Job:
    name: str
    fraction: float = 0.0
    step: str = ""
    result: Any = None
    error: BaseException | None = None
    finished: threading.Event = field(default_factory=threading.Event)

    def report(self, fraction: float, step: str = "") -> None:
        """Called by the work as it goes: how much is done (0–1) and what it is doing."""
        self.fraction, self.step = max(0.0, min(1.0, fraction)), step


def start(key: str, name: str, work: Callable[[Job], Any]) -> Job:
    """Run ``work(job)`` in its own thread and keep the job in the session under ``key``."""
    job = Job(name)

    def run() -> None:
        try:
            job.result = work(job)
        except BaseException as exc:  # noqa: BLE001 - handed to the page that follows the job
            job.error = exc
            log.info("job %s ended with %s", name, type(exc).__name__)
        finally:
            job.fraction = 1.0
            job.finished.set()

    st.session_state[key] = job
    threading.Thread(target=run, name=f"job-{name}", daemon=False).start()
    return job


def follow(job: Job, label: Callable[[str], str]) -> Job:
    """Show the job's progress until it ends (``label(step)`` is the bar's text)."""
    bar = st.progress(job.fraction, text=label(job.step))
    while not job.finished.wait(0.25):
        bar.progress(job.fraction, text=label(job.step))
    bar.empty()
    return job


def watch(key: str, label: Callable[[str], str]) -> None:
    """Show the progress of the job under ``key`` without holding up the page: a fragment
    redrawn twice a second, the rest of the page stays usable; when the job has ended the
    whole page runs again to show the result."""

    @st.fragment(run_every=0.5)
    def bar() -> None:
        job = st.session_state.get(key)
        if not isinstance(job, Job) or job.finished.is_set():
            st.rerun()
        st.progress(job.fraction, text=label(job.step))

    bar()


def running(key: str) -> bool:
    job = st.session_state.get(key)
    return isinstance(job, Job) and not job.finished.is_set()


def pending(key: str) -> Job | None:
    """The job kept under ``key`` in this session, if any (taken out once it has ended)."""
    job = st.session_state.get(key)
    if isinstance(job, Job) and job.finished.is_set():
        st.session_state.pop(key, None)
    return job if isinstance(job, Job) else None
