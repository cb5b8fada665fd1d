"""Join codes: 6 characters a room can read off a projector and type on a phone — no
0/O, 1/I/L — unique among the live classes, case and spaces forgiven when typed."""
from __future__ import annotations

import secrets
from collections.abc import Container

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"      # 31 characters: no 0 O 1 I L
LENGTH = 6


def new_code(taken: Container[str]) -> str:
    """A random code not in `taken` (31^6 ≈ 8.9·10^8 codes: a clash is rare, retried)."""
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        if code not in taken:
            return code


def normalise(typed: str) -> str:
    """What a student typed, as a code: upper case, without spaces or dashes."""
    return "".join(ch for ch in typed.upper() if ch not in " -\t")
