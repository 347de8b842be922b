"""The jobs table as a queue, without torch: atomic claims, leases, fencing, bounded attempts."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db import session_factory
from app.demos import repository as repo
from app.demos.models import DemoEvent, DemoJob
from app.worker.lease import JobQueue
from tests.demos.conftest import ApiUser


def enqueue(db: Session, user: ApiUser, *, max_attempts: int = 3, **params: Any) -> int:
    """A committed queued job, as the API makes it."""
    job = repo.add_job(
        db,
        DemoJob(
            user_id=user.user.id,
            experiment="architecture",
            params=params or {"seed": 1},
            compare=None,
            status="queued",
            attempt=0,
            max_attempts=max_attempts,
            event_seq=0,
            cancel_requested=False,
        ),
    )
    repo.append_event(db, job.id, "queued", {})
    db.commit()
    return job.id


def queue(owner: str, lease_s: float = 30.0) -> JobQueue:
    return JobQueue(session_factory(), owner=owner, lease_s=lease_s, device_kind="cpu")


def events(job_id: int) -> list[DemoEvent]:
    with session_factory()() as session:
        return list(repo.list_events(session, job_id))


def job(job_id: int) -> DemoJob:
    with session_factory()() as session:
        found = session.get(DemoJob, job_id)
        assert found is not None
        return found


def expire_lease(job_id: int) -> None:
    with session_factory().begin() as session:
        session.execute(
            update(DemoJob).where(DemoJob.id == job_id).values(lease_expires_at=DemoJob.created_at)
        )


def test_claims_oldest_job_once_and_records_start(db: Session, alice: ApiUser) -> None:
    first, second = enqueue(db, alice), enqueue(db, alice)
    a, b = queue("worker-a"), queue("worker-b")
    lease_a, lease_b = a.claim(), b.claim()
    assert lease_a is not None and lease_b is not None
    assert (lease_a.job_id, lease_b.job_id) == (first, second)
    assert lease_a.attempt == 1
    assert a.claim() is None  # nothing left
    claimed = job(first)
    assert (claimed.status, claimed.lease_owner, claimed.attempt) == ("running", "worker-a", 1)
    kinds = [(e.seq, e.kind) for e in events(first)]
    assert kinds == [(1, "queued"), (2, "started")]
    assert events(first)[1].data["worker"] == "worker-a"


def test_heartbeat_appends_numbered_events_and_sees_cancel(db: Session, alice: ApiUser) -> None:
    job_id = enqueue(db, alice)
    q = queue("worker-a")
    lease = q.claim()
    assert lease is not None
    assert q.heartbeat(lease, [("progress", {"epoch": 0.5}), ("progress", {"epoch": 1.0})])
    assert not lease.cancel_requested
    with session_factory().begin() as session:
        assert repo.request_cancel(session, job_id)
    assert q.heartbeat(lease)
    assert lease.cancel_requested
    assert q.cancel(lease)
    assert job(job_id).status == "cancelled"
    assert [e.seq for e in events(job_id)] == [1, 2, 3, 4, 5]
    assert [e.kind for e in events(job_id)][-1] == "cancelled"


def test_lapsed_lease_moves_job_and_fences_out_old_owner(db: Session, alice: ApiUser) -> None:
    job_id = enqueue(db, alice)
    old, new = queue("worker-old"), queue("worker-new")
    old_lease = old.claim()
    assert old_lease is not None
    assert new.claim() is None  # the lease still holds
    expire_lease(job_id)
    new_lease = new.claim()
    assert new_lease is not None and new_lease.attempt == 2
    # The old owner wakes up: none of its writes lands.
    assert not old.heartbeat(old_lease, [("progress", {"epoch": 1.0, "from": "old"})])
    assert not old.finish(old_lease, {"test_accuracy": 0.1}, [])
    assert new.finish(new_lease, {"test_accuracy": 0.9}, [("progress", {"epoch": 1.0})])
    done = job(job_id)
    assert (done.status, done.attempt, done.lease_owner) == ("finished", 2, "worker-new")
    assert done.result == {"test_accuracy": 0.9}
    history = events(job_id)
    assert all(e.data.get("from") != "old" for e in history)
    assert [e.kind for e in history].count("finished") == 1
    assert [(e.kind, e.data.get("worker")) for e in history if e.kind == "started"] == [
        ("started", "worker-old"),
        ("started", "worker-new"),
    ]


def test_attempts_are_bounded_then_the_job_fails_with_a_reason(db: Session, alice: ApiUser) -> None:
    job_id = enqueue(db, alice, max_attempts=2)
    q = queue("worker-a")
    for attempt in (1, 2):
        lease = q.claim()
        assert lease is not None and lease.attempt == attempt
        expire_lease(job_id)
    assert q.claim() is None  # no attempt left
    assert q.close_lost_jobs() == 1
    failed = job(job_id)
    assert failed.status == "failed"
    assert failed.error is not None and "every attempt" in failed.error
    assert events(job_id)[-1].kind == "failed"


def test_release_hands_the_job_back(db: Session, alice: ApiUser) -> None:
    job_id = enqueue(db, alice)
    a, b = queue("worker-a"), queue("worker-b")
    lease = a.claim()
    assert lease is not None
    assert a.release(lease)
    assert job(job_id).status == "queued"
    again = b.claim()
    assert again is not None and again.job_id == job_id and again.attempt == 2
    assert not a.heartbeat(lease)


def test_concurrent_claims_never_share_a_job(db: Session, alice: ApiUser) -> None:
    job_ids = {enqueue(db, alice) for _ in range(24)}
    claims: list[tuple[str, int]] = []
    lock = threading.Lock()

    def drain(owner: str) -> None:
        q = queue(owner)
        while (lease := q.claim()) is not None:
            with lock:
                claims.append((owner, lease.job_id))
            time.sleep(0.001)

    threads = [threading.Thread(target=drain, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    claimed_ids = [job_id for _, job_id in claims]
    assert sorted(claimed_ids) == sorted(job_ids)  # every job once, none twice
    with session_factory()() as session:
        attempts = session.scalars(select(DemoJob.attempt).where(DemoJob.id.in_(job_ids))).all()
    assert set(attempts) == {1}
