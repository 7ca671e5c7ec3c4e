"""The mail corpus (``tests/mail/corpus/*.eml``, described in its README): raw messages the
project wrote itself, loaded by name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

CORPUS_DIR = Path(__file__).parent / "corpus"


def corpus_names() -> list[str]:
    """Every corpus message's file name, sorted."""
    return sorted(p.name for p in CORPUS_DIR.glob("*.eml"))


def read_corpus(name: str) -> bytes:
    """The raw bytes of corpus message ``name`` (``"new-report.eml"``)."""
    return (CORPUS_DIR / name).read_bytes()


@pytest.fixture
def corpus() -> Callable[[str], bytes]:
    """``corpus("dsn-bounce.eml")`` → that message's raw bytes."""
    return read_corpus
