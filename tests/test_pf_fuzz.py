"""The parser never fails with anything but its typed error, whatever the input."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from askzero.errors import ConfigError
from askzero.pf import parse_pf
from mutations import mutated
from conftest import DEMO
from pfhelpers import HOST

SEED_TEXT = (DEMO / "etc/pf.conf").read_text()
SEED_LINES = SEED_TEXT.splitlines()
TOKENS = ["{", "}", "(", ")", "<", ">", "!", "=", ",", "$lan_if", "$nope", '"', "\\\n", "port", "from", "to",
          "any", "all", "quick", "log", "anchor", "table", "<x>", "10.0.0.0/8", "::1", "em0:network", "(egress)",
          "rdr-to", "nat-to", "1:2", "><", "flags", "S/SA", "icmp-type", "code", "#", "\n", "include", "set skip on"]


def parse_text(tmp: Path, text: str) -> None:
    (tmp / "pf.conf").write_text(text)
    # files named inside the ruleset resolve to the scratch dir only
    try:
        parse_pf("pf.conf", HOST, lambda p: (tmp / Path(p).name, p))
    except ConfigError:
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mutated([SEED_TEXT], TOKENS))
def test_mutated_rulesets_raise_only_config_errors(tmp_path, text):
    parse_text(tmp_path, text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list("{}()<>!=,$\"'#\\\n /:.-_ab01pqs")), max_size=200))
def test_random_text_raises_only_config_errors(tmp_path, text):
    parse_text(tmp_path, text)
