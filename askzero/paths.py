"""Where ask-zero keeps the files it writes.

Everything ask-zero writes (stores, indexes, models, history) lives under one data
directory: ``$ASKZERO_HOME`` when set, else the XDG user data directory.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "ASKZERO_HOME"


def data_dir() -> Path:
    """The root of everything ask-zero writes; created on first use by the writer."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("ask-zero", appauthor=False))


def models_dir() -> Path:
    """Where pulled model files are stored."""
    return data_dir() / "models"


KNOWLEDGE_ENV = "ASKZERO_KNOWLEDGE"


def knowledge_dir() -> Path | None:
    """The knowledge texts: ``$ASKZERO_KNOWLEDGE``, else the checkout's knowledge/, else the
    copy the package carries (askzero/data/knowledge)."""
    env = os.environ.get(KNOWLEDGE_ENV)
    if env:
        return Path(env).expanduser()
    package = Path(__file__).resolve().parent
    for candidate in (package.parent / "knowledge", package / "data" / "knowledge"):
        if candidate.is_dir():
            return candidate
    return None
