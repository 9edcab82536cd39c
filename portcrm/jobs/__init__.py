"""Scheduled work: jobs are plain async functions of a JobContext; the scheduler only decides when."""
