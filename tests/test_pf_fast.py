"""The skip-step evaluator agrees with the reference evaluator, which tries every rule."""

from __future__ import annotations

import ipaddress

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from askzero.errors import ConfigError
from askzero.pf import Evaluator
from askzero.pf.evaluate import FastEvaluator
from askzero.pf.flow import Flow
from pfhelpers import HOST, load

NETS = ["any", "10.0.0.0/8", "10.1.2.3", "192.0.2.0/24", "192.0.2.10", "198.51.100.0/24", "<t>", "! 10.0.0.0/8",
        "(egress)", "em1:network", "2001:db8::/32"]
PORTS = ["", "port 22", "port 80", "port > 1024", "port 1000:2000", "port { 22 443 }", "port != 53"]
IPS = ["10.1.2.3", "10.9.9.9", "192.0.2.10", "192.0.2.77", "198.51.100.5", "203.0.113.7", "10.10.0.4"]


@st.composite
def rule(draw: st.DrawFn) -> str:
    action = draw(st.sampled_from(["pass", "block", "match"]))
    words = [action]
    words.append(draw(st.sampled_from(["", "in", "out"])))
    words.append(draw(st.sampled_from(["", "log"])))
    words.append(draw(st.sampled_from(["", "quick"])) if action != "match" else "")
    words.append(draw(st.sampled_from(["", "on em0", "on em1", "on egress", "on ! em0"])))
    words.append(draw(st.sampled_from(["", "inet", "proto tcp", "proto udp", "inet proto tcp"])))
    ports_ok = "proto" in words[-1]
    words.append("from " + draw(st.sampled_from(NETS)) + (" " + draw(st.sampled_from(PORTS)) if ports_ok else ""))
    words.append("to " + draw(st.sampled_from(NETS)) + (" " + draw(st.sampled_from(PORTS)) if ports_ok else ""))
    if action == "match" and draw(st.booleans()):
        words.append("tag T")
    if action == "pass" and draw(st.booleans()):
        words.append("tagged T")
    if action == "pass" and words[1] == "in" and "inet" in words[5] and draw(st.booleans()):
        words.append(draw(st.sampled_from(["af-to inet6 from 2001:db8::1", "af-to inet6 from (em0) to 64:ff9b::/96",
                                           "af-to inet6 from 2001:db8::1 to 2001:db8:100::/64"])))
    return " ".join(w for w in words if w)


@st.composite
def ruleset(draw: st.DrawFn) -> str:
    lines = ["table <t> { 10.0.0.0/8 !10.1.2.3 203.0.113.7 }"]
    lines += draw(st.lists(rule(), min_size=1, max_size=25))
    if draw(st.booleans()):
        at = draw(st.integers(1, len(lines)))
        lines.insert(at, 'anchor "a" in {\n' + "\n".join(draw(st.lists(rule(), min_size=1, max_size=5))) + "\n}")
    return "\n".join(lines) + "\n"


@st.composite
def flow(draw: st.DrawFn) -> Flow:
    proto = draw(st.sampled_from(["tcp", "udp"]))
    return Flow(draw(st.sampled_from(["in", "out"])), draw(st.sampled_from(["em0", "em1", "lo0"])), proto,
                ipaddress.ip_address(draw(st.sampled_from(IPS))), ipaddress.ip_address(draw(st.sampled_from(IPS))),
                sport=draw(st.sampled_from([22, 1500, 40000])), dport=draw(st.sampled_from([22, 53, 80, 443, 1500])),
                flags="S" if proto == "tcp" else "")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=ruleset(), flows=st.lists(flow(), min_size=1, max_size=8))
def test_fast_and_reference_evaluators_agree(tmp_path, text, flows):
    try:
        config = load(tmp_path, text)
    except ConfigError:  # a generated ruleset pfctl would reject (mixed families): not a case
        assume(False)
    reference, fast = Evaluator(config, HOST), FastEvaluator(config, HOST)
    for packet in flows:
        a, b = reference.evaluate(packet), fast.evaluate(packet)
        assert (a.action, a.decision, a.pflog_ref) == (b.action, b.decision, b.pflog_ref), text
        assert [m.ref for m in a.trace] == [m.ref for m in b.trace], text
        assert (a.af_to, a.uncertain) == (b.af_to, b.uncertain), text

