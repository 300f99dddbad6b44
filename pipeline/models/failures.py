"""SQLMesh failures as one line naming the audit and the model (or the model and its error).

SQLMesh reports failed nodes through its console and raises many exception types; the child
captures the console's failed nodes and turns both into the message of one ModelsError.
"""

from __future__ import annotations

from typing import Any, Optional

from lake.errors import ModelsError


def describe_failure(error: Any) -> str:
    """'audit <name> failed on model <model> (<n> rows)' or 'model <model> failed: <error>'."""
    from sqlmesh.utils.errors import AuditError, NodeAuditsErrors

    cause = error.__cause__ if error.__cause__ is not None else error
    node = getattr(error, "node", None)
    name = getattr(node, "snapshot_name", None) or str(node or "?")
    if isinstance(cause, NodeAuditsErrors):
        return "; ".join(describe_audit(e) for e in cause.errors)
    if isinstance(cause, AuditError):
        return describe_audit(cause)
    text = " ".join(str(cause).split())
    return f"model {name} failed: {text[:500]}"


def describe_audit(e: Any) -> str:
    model = e.model.name if getattr(e, "model", None) is not None else "?"
    return f"audit {e.audit_name} failed on model {model} ({e.count} offending rows)"


def raise_if_failed(what: str, failures: list[str]) -> None:
    if failures:
        raise ModelsError(failure_message(what, failures))


def failure_message(what: str, failures: list[str], exc: Optional[BaseException] = None) -> str:
    if failures:
        return f"{what} failed: " + "; ".join(dict.fromkeys(failures))
    if exc is not None:
        from sqlmesh.utils.errors import AuditError, NodeAuditsErrors

        if isinstance(exc, (AuditError, NodeAuditsErrors)):
            errs = exc.errors if isinstance(exc, NodeAuditsErrors) else [exc]
            return f"{what} failed: " + "; ".join(describe_audit(e) for e in errs)
        text = " ".join(str(exc).split())
        return f"{what} failed: {type(exc).__name__}: {text[:800]}"
    return f"{what} failed (see the log above)"
