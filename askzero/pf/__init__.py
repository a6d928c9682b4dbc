"""The pf.conf engine: parse, expand, number and evaluate rulesets as pfctl and pf do.

Pure code: no I/O beyond reading the files a ruleset names, no third-party imports.
"""

from __future__ import annotations

from askzero.pf.evaluate import Evaluator, Verdict
from askzero.pf.flow import Flow, parse_flow
from askzero.pf.host import HostProfile, load_host
from askzero.pf.model import PfConfig
from askzero.pf.parser import parse_pf
from askzero.sources import Resolver, plain_resolver, rooted_resolver

__all__ = ["Evaluator", "Flow", "HostProfile", "PfConfig", "Verdict", "load_host", "parse_flow",
           "parse_pf", "plain_resolver", "Resolver", "rooted_resolver"]
