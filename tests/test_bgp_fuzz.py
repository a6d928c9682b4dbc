"""The bgpd.conf parser never fails with anything but its typed error, whatever the input."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from askzero.bgp import parse_bgp, print_config
from askzero.errors import ConfigError
from mutations import mutated
from conftest import DEMO, SHARED

SEEDS = [(DEMO / "etc/bgpd.conf").read_text()]
SEEDS += [p.read_text() for p in sorted((SHARED / "conformance" / "bgpd").glob("bgpd.conf.*.in"))]
SEED_LINES = [line for text in SEEDS for line in text.splitlines()]
TOKENS = ["{", "}", ",", "=", "/", "-", "<", ">=", "!=", "><", "$ASN", "$nope", '"', "'", "\\\n", "#",
          "\n", "neighbor", "group", "from", "to", "any", "prefix", "prefixlen", "or-longer", "set",
          "community", "ext-community", "rt", "1:2", "*:*", "local-as", "AS", "192.0.2.1", "10/8",
          "::/0", "4200000000", "0", "-1", "include", "roa-set", "source-as", "maxlen", "quick"]


def parse_text(tmp: Path, text: str) -> None:
    (tmp / "bgpd.conf").write_text(text)
    # included files resolve to the scratch dir only
    try:
        print_config(parse_bgp("bgpd.conf", lambda p: (tmp / Path(p).name, p)))
    except ConfigError:
        pass


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mutated(SEEDS, TOKENS))
def test_mutated_configs_raise_only_config_errors(tmp_path, text):
    parse_text(tmp_path, text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list("{}()<>!=,$\"'#\\\n /:.-_*ab019ASrtp")), max_size=200))
def test_random_text_raises_only_config_errors(tmp_path, text):
    parse_text(tmp_path, text)
