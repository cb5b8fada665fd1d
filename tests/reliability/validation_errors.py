"""error_naming: the entry of a 422's detail that names a field. A module of its own, not
conftest.py: `from conftest import` finds whichever conftest was imported last (tests/client's
when a run collects tests/client before tests/reliability)."""
from __future__ import annotations


def error_naming(body: dict, field: str) -> dict:
    """The 422 entry whose loc (below "body") starts with the dotted `field`; its msg must be
    non-empty."""
    assert isinstance(body.get("detail"), list), body
    for err in body["detail"]:
        loc = [str(p) for p in err["loc"]]
        dotted = ".".join(loc[1:]) if loc and loc[0] == "body" else ".".join(loc)
        if dotted == field or dotted.startswith(field + "."):
            assert err["msg"], err
            return err
    raise AssertionError(f"no error names {field!r}: {body}")
