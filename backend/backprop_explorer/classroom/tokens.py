"""Roles in a class: the teacher (who opened it) and the students (who joined with the
code). Each holds a bearer token: 192 random bits from `secrets`, compared in constant
time. A token is only ever given to its holder, in the response that created it."""
from __future__ import annotations

import hmac
import secrets
from enum import Enum


class Role(str, Enum):
    teacher = "teacher"
    student = "student"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def same(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a.encode(), b.encode())
