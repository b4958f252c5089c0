"""Jobs: work to do after a commit, kept in the `jobs` table and run by workers (app/jobs/worker.py).

    enqueue(session, "photos.drop_if_orphaned", {...})   # in the caller's transaction
    @handler("photos.drop_if_orphaned")                   # at import time, by the module that owns the work
    def drop(session, payload): ...

A job row is written in the transaction that asks for it: rolled back, there is no job; committed, a worker
runs it after the commit. Delivery is AT LEAST ONCE: a worker killed after claiming a job and before
recording it done leaves a lease that expires, and the job runs again. Every handler must therefore be
idempotent (running it twice does what running it once does). A handler gets a session whose transaction
also marks the job done, so database work of a handler and "done" commit together.

Chores (`@chore(name)`) are housekeeping a running worker does about once an hour, e.g. deleting jobs finished
long ago (`api.prune`).
"""

from app.jobs.api import Defer, batched, chore, chores, depths, enqueue, enqueue_committed, handler, handlers

__all__ = ["Defer", "batched", "chore", "chores", "depths", "enqueue", "enqueue_committed", "handler", "handlers"]
