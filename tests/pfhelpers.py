"""Build rulesets from text for tests."""

from __future__ import annotations

from pathlib import Path

from askzero.pf import Evaluator, parse_flow, parse_pf, plain_resolver
from askzero.pf.host import host_from_dict

HOST = host_from_dict({
    "routes": {"default": "em0"},
    "users": {"root": 0},
    "interface": [
        {"name": "lo0", "addresses": ["127.0.0.1/8", "::1/128"]},
        {"name": "em0", "addresses": ["192.0.2.10/24", "2001:db8:1::10/64"]},
        {"name": "em1", "groups": ["inside"], "addresses": ["10.10.0.1/24"]},
    ],
})


def load(tmp: Path, text: str, **files: str):
    (tmp / "pf.conf").write_text(text)
    for name, body in files.items():
        (tmp / name).write_text(body)
    return parse_pf("pf.conf", HOST, plain_resolver(tmp))


def verdict(tmp: Path, text: str, flow: str, **files: str):
    return Evaluator(load(tmp, text, **files), HOST).evaluate(parse_flow(flow))
