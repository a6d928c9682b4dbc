"""The pf.conf engine: parse, expand, number and evaluate rulesets as pfctl and pf do.

Pure code: no I/O beyond reading the files a ruleset names, no third-party imports.
"""

from __future__ import annotations

from pathlib import Path

from askzero.pf.evaluate import Evaluator, Verdict
from askzero.pf.flow import Flow, parse_flow
from askzero.pf.host import HostProfile, load_host
from askzero.pf.model import PfConfig
from askzero.pf.parser import Resolver, parse_pf

__all__ = ["Evaluator", "Flow", "HostProfile", "PfConfig", "Verdict", "load_host", "parse_flow",
           "parse_pf", "plain_resolver", "rooted_resolver"]


def plain_resolver(base: Path) -> Resolver:
    """Paths as written, relative ones against ``base``; cited as written."""
    def resolve(path: str) -> tuple[Path, str]:
        p = Path(path)
        return (p if p.is_absolute() else base / p), path
    return resolve


def rooted_resolver(root: Path) -> Resolver:
    """Paths inside a copy of a host's file system rooted at ``root``.

    ``/etc/pf/x`` reads ``root/etc/pf/x`` and is cited as ``etc/pf/x``; paths that would
    leave the root are refused (they resolve to a name that cannot exist).
    """
    root = root.resolve()

    def resolve(path: str) -> tuple[Path, str]:
        real = (root / path.lstrip("/")).resolve()
        if root not in real.parents and real != root:
            return root / ".outside-site-root", path
        return real, str(real.relative_to(root))
    return resolve
