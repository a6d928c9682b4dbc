"""The one exception hierarchy of ask-zero.

Every error the core raises is an ``AskZeroError``; the CLI maps ``exit_code`` to the
process status, so the codes below are part of the documented interface:

==== =========================================================
code meaning
==== =========================================================
0    success
1    the ruleset or configuration has errors (as pfctl exits)
2    usage error (unknown option, bad arguments)
3    the site cannot be found or its site file is invalid
4    a source file is missing, unreadable or malformed
5    a model is missing, corrupt or fails its checksum
6    a download failed (network, HTTP status)
==== =========================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field


class AskZeroError(Exception):
    """Base of every error ask-zero raises on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(AskZeroError):
    exit_code = 2


class SiteError(AskZeroError):
    """The site does not exist or its site file cannot be used."""

    exit_code = 3


class SourceError(AskZeroError):
    """A source file is missing, unreadable or malformed."""

    exit_code = 4

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line


class ModelError(AskZeroError):
    """A model is not installed, is corrupt, or does not match its checksum."""

    exit_code = 5


class DownloadError(AskZeroError):
    exit_code = 6


@dataclass(frozen=True)
class ParseIssue:
    """One error in a configuration file, printed as pfctl does: ``NAME:LINE: message``."""

    file: str
    line: int
    message: str
    column: int | None = None

    def __str__(self) -> str:
        if not self.file:  # pfctl prints some messages with no position
            return self.message
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class ConfigError(AskZeroError):
    """All errors found in one pass over a configuration (pf.conf, bgpd.conf, host profile)."""

    issues: list[ParseIssue] = field(default_factory=list)
    exit_code = 1

    def __post_init__(self) -> None:
        super().__init__("\n".join(str(i) for i in self.issues))

    def __str__(self) -> str:
        return "\n".join(str(i) for i in self.issues)
