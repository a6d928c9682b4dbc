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
