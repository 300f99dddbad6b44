"""`python -m pipeline.cli ...` is `lakehouse ...`."""

from pipeline.cli import run

run()
