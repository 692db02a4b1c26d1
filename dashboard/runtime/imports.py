"""The 数据导入 page's imports in the session: an upload is planned (read, checked, compared
with the database) as a job, its plan kept until the user confirms or drops it, then
committed as a job; the latest import can be undone as a job. Each job's end is collected
once, on the next run of the page, into what the page says (``Outcome``)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import streamlit as st
from sqlalchemy import Engine

from dashboard.components.import_view import effect_totals
from dashboard.runtime import jobs, uploads
from queries.ingest.doubling import DoublingSuspected
from queries.ingest.errors import ImportFailed
from queries.ingest.limits import MB, Limits
from queries.ingest.load import commit_plan, file_hash, plan_import, record_refusal
from queries.ingest.lock import ImportBusy
from queries.ingest.undo import UndoRefused, undo_latest
from queries.store import clock

log = logging.getLogger(__name__)

PLAN_JOB, COMMIT_JOB, UNDO_JOB = "im_plan_job", "im_commit_job", "im_undo_job"
# Each job and the text of its progress bar (i18n keys).
LABELS = {PLAN_JOB: "im_planning", COMMIT_JOB: "im_committing", UNDO_JOB: "im_undoing"}
_PLAN, _PATH, _NAME, _SAID = "im_plan", "im_path", "im_name", "im_said"


@dataclass
class Outcome:
    """What the page says about the last job that ended: a success (i18n key and its
    values) or the errors of a refused file."""

    flash: tuple[str, dict] | None = None
    refused: ImportFailed | None = None
    refused_name: str = ""

    @property
    def whole(self) -> bool:
        """Refused as a whole (another import running, nothing to undo, ids that look
        doubled), not for its rows: one sentence, no table of errors."""
        return isinstance(self.refused, (ImportBusy, UndoRefused, DoublingSuspected))


def _progress(job: jobs.Job):
    return lambda done, total, step: job.report(done / max(total, 1), step)


def check_upload(name: str, size: int) -> tuple[str, dict] | None:
    """Why an upload is not even read (i18n key and values), or None."""
    if uploads.kind(name) is None:
        return "im_wrong_kind", {"name": name}
    limit = Limits.from_settings().file_mb * MB
    if size > limit:
        return "im_too_big", {"name": name, "mb": size / 2**20, "limit": limit / 2**20}
    return None


def plan(engine: Engine, name: str, data: bytes) -> None:
    """Keep the upload on disk and start checking it; any earlier plan is dropped."""
    drop()
    path = uploads.stash(name, data)
    st.session_state[_PATH], st.session_state[_NAME] = str(path), name
    st.session_state.pop(_SAID, None)
    jobs.start(
        PLAN_JOB,
        "plan import",
        lambda job: _planned(engine, path, name, job),
    )


def _planned(engine: Engine, path, name: str, job: jobs.Job):
    """The plan; a file refused while planned is recorded in the history as refused (a
    dry run of the command line records nothing, a clerk's upload does)."""
    started = clock.utc_now()
    try:
        return plan_import(engine, path, file_name=name, progress=_progress(job))
    except ImportFailed as exc:
        record_refusal(engine, "import", name, file_hash(path), started, exc)
        raise


def commit(engine: Engine, allow_duplicates: bool) -> None:
    the_plan = st.session_state[_PLAN]
    st.session_state.pop(_SAID, None)
    jobs.start(
        COMMIT_JOB,
        "import",
        lambda job: _timed(
            commit_plan, engine, the_plan, allow_duplicates=allow_duplicates, progress=_progress(job)
        ),
    )


def _timed(work, *args, **kwargs):
    began = time.perf_counter()
    result = work(*args, **kwargs)
    return result, time.perf_counter() - began


def undo(engine: Engine, name: str) -> None:
    st.session_state[_NAME] = name
    st.session_state.pop(_SAID, None)
    jobs.start(UNDO_JOB, "undo import", lambda job: undo_latest(engine, progress=_progress(job)))


def drop() -> None:
    """Forget the plan and remove its upload."""
    uploads.discard(st.session_state.pop(_PATH, None))
    for key in (_PLAN, _NAME, "im_allow"):
        st.session_state.pop(key, None)


def current_plan():
    return st.session_state.get(_PLAN)


def current_name() -> str:
    return st.session_state.get(_NAME, "")


def running() -> tuple[str, str] | None:
    """The job under way in this session and its progress text's key, if any."""
    for key, label in LABELS.items():
        if jobs.running(key):
            return key, label
    return None


def collect() -> Outcome:
    """Take in the jobs that ended since the last run; what the page says stays until the
    next job starts."""
    name = current_name()

    def said(flash: tuple[str, dict]) -> None:
        st.session_state[_SAID] = Outcome(flash=flash)

    def planned(plan) -> None:
        st.session_state[_PLAN] = plan

    def committed(result) -> None:
        report, seconds = result
        totals = effect_totals(report.effect)
        said(
            (
                "im_done",
                {"name": name, "seconds": seconds, "added": totals["added"], "replaced": totals["replaced"]},
            )
        )
        drop()

    # A refused plan drops its upload; a refused commit keeps the plan (another import may
    # have run meanwhile: the user can confirm again).
    _take(PLAN_JOB, name, planned, failed=drop)
    _take(COMMIT_JOB, name, committed)
    _take(UNDO_JOB, name, lambda _report: said(("im_undone", {"name": name})))
    outcome = st.session_state.get(_SAID)
    return outcome if isinstance(outcome, Outcome) else Outcome()


def _take(key: str, name: str, succeeded, failed=lambda: None) -> None:
    """The job under ``key`` if it has ended: its result to ``succeeded``, an import's
    refusal kept for the page to show, any other error raised (after ``failed``)."""
    job = jobs.pending(key)
    if job is None or not job.finished.is_set():
        return
    if job.error is None:
        succeeded(job.result)
        return
    failed()
    if not isinstance(job.error, ImportFailed):
        raise job.error
    st.session_state[_SAID] = Outcome(refused=job.error, refused_name=name)
