"""The SQLMesh glue of the daily job: bring the warehouse up to date with the lake.

Entry point: :func:`pipeline.models.runner.run_models` (re-exported here). The modules:

* ``planning`` -- the pure decision: plan or run, T, the new days, the days to restate;
* ``runner`` -- runs one SQLMesh child process per call and returns its :class:`ModelsReport`;
* ``child`` -- the child (``python -m pipeline.models.child``): SQLMesh's Python API on the
  project, the inputs of the decision, then the plan/run/restatements;
* ``report`` -- what a run did (JSON between child and parent);
* ``failures`` -- SQLMesh errors as one line naming the audit and model.

docs/MODELS.md describes the behaviour, docs/CONTRACTS.md the contract with the lake.
"""

from __future__ import annotations

from pipeline.models.report import ModelsReport
from pipeline.models.runner import run_models

__all__ = ["ModelsReport", "run_models"]
