"""Time-based work run by `flask lms tick`: a registry of jobs, each guarded by
a lock row so that two ticks at once (two cron lines, two machines) run each
job once."""
from lms.jobs.runner import JOBS, Job, register_job, run_tick  # noqa: F401
