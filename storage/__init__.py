"""SQLite storage: one module of queries per aggregate, each returning dataclasses; imports nothing of ours."""
