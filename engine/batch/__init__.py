"""Batch runs: many jobs in parallel, isolated, with hard time limits, resumable by content hash."""

from engine.batch.isolate import BatchJob, JobOutcome, run_isolated
from engine.batch.runner import BatchResult, Terminated, run_batch

__all__ = ["BatchJob", "BatchResult", "JobOutcome", "Terminated", "run_batch", "run_isolated"]
