"""Batch evaluation gives the reference evaluator's answer for every flow.

Random rulesets (IPv4 and IPv6 rules, tables holding both families, ranges, tags, icmp
types, user, probability, anchors) and random flows of both families, decided through the
Flow-object API and through numpy columns; the decision, the rule number and whether the
answer is uncertain must all equal the reference's.
"""

from __future__ import annotations

import dataclasses
import ipaddress

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from askzero.errors import ConfigError
from askzero.pf import Evaluator
from askzero.pf.batch import BatchEvaluator
from askzero.pf.flow import Flow
from askzero.pf.flowarrays import FlowArrays, flag_bits, packed_halves
from pfhelpers import HOST, load

NETS4 = ["10.0.0.0/8", "10.1.2.3", "192.0.2.0/24", "192.0.2.10", "! 10.0.0.0/8", "em1:network",
         "10.1.2.0 - 10.1.2.10", "0.0.0.0/0"]
NETS6 = ["2001:db8::/32", "2001:db8:1::10", "! 2001:db8::/32", "2001:db8:1:0:8000::/65", "2001:db8::1 - 2001:db8::ff",
         "::/0", "2001:db8:1::/48"]
ANY_FAMILY = ["any", "<t>", "! <t>", "(egress)", "self", "no-route", "<missing>"]
PORTS = ["", "port 22", "port 80", "port > 1024", "port 1000:2000", "port { 22 443 }", "port != 53", "port 1000 >< 2000",
         "port 1000 <> 2000"]
IPS4 = ["10.1.2.3", "10.1.2.5", "10.9.9.9", "192.0.2.10", "192.0.2.77", "198.51.100.5", "203.0.113.7", "10.10.0.4"]
IPS6 = ["2001:db8::5", "2001:db8:1::10", "2001:db8:1:0:8000::1", "2001:db8:1:0:7fff::1", "2001:db8:2::1", "2001:db9::1",
        "fe80::1"]
TABLE = ("table <t> { 10.0.0.0/8 !10.1.2.3 203.0.113.7 2001:db8::/32 !2001:db8:1::/48 2001:db8:1::10 "
         "2001:db8:1:0:8000::/65 }")


@st.composite
def rule(draw: st.DrawFn) -> str:
    action = draw(st.sampled_from(["pass", "block", "match"]))
    words = [action, draw(st.sampled_from(["", "in", "out"])), draw(st.sampled_from(["", "log"]))]
    words.append(draw(st.sampled_from(["", "quick"])) if action != "match" else "")
    words.append(draw(st.sampled_from(["", "on em0", "on em1", "on egress", "on ! em0", "on any"])))
    family = draw(st.sampled_from(["", "inet", "inet6"]))
    proto = draw(st.sampled_from(["", "proto tcp", "proto udp", "icmp"]))
    if proto == "icmp":
        family = family or draw(st.sampled_from(["inet", "inet6"]))
        kind = "icmp" if family == "inet" else "icmp6"
        proto = f"proto {kind}" + draw(st.sampled_from(["", f" {kind}-type echoreq", f" {kind}-type unreach code 3",
                                                         f" {kind}-type 3"]))
    icmp_part = proto.split(" ", 2)[2] if proto.count(" ") >= 2 else ""
    words.append(f"{family} {proto.split(' ')[0]} {proto.split(' ')[1]}" if proto else family)
    pool = ANY_FAMILY + (NETS4 if family == "inet" else NETS6 if family == "inet6" else [])
    with_ports = proto in ("proto tcp", "proto udp")
    for side in ("from", "to"):
        words.append(f"{side} {draw(st.sampled_from(pool))}" + (f" {draw(st.sampled_from(PORTS))}" if with_ports else ""))
    words.append(icmp_part)
    if draw(st.integers(0, 5)) == 0:
        words.append(draw(st.sampled_from(["tag T", "tag U", "tagged T", "! tagged T", "probability 50%",
                                           "received-on em1", "! received-on em1", "flags S/S", "flags any",
                                           "no state"] + (["user root"] if with_ports else []))))
    return " ".join(w for w in words if w)


@st.composite
def ruleset(draw: st.DrawFn) -> str:
    lines = [TABLE] + draw(st.lists(rule(), min_size=1, max_size=25))
    if draw(st.booleans()):
        at = draw(st.integers(1, len(lines)))
        quick = draw(st.sampled_from(["", " quick"]))
        lines.insert(at, f'anchor "a"{quick} in {{\n' + "\n".join(draw(st.lists(rule(), min_size=1, max_size=5))) + "\n}")
    if draw(st.integers(0, 4)) == 0:
        lines.insert(0, "set skip on em1")
    return "\n".join(lines) + "\n"


@st.composite
def flow(draw: st.DrawFn) -> Flow:
    v6 = draw(st.booleans())
    ips = IPS6 if v6 else IPS4
    proto = draw(st.sampled_from(["tcp", "udp", "icmp6" if v6 else "icmp"]))
    src, dst = (ipaddress.ip_address(draw(st.sampled_from(ips))) for _ in range(2))
    common = {"tags": frozenset(["T"]) if draw(st.integers(0, 4)) == 0 else frozenset()}
    if proto in ("icmp", "icmp6"):
        return Flow(draw(st.sampled_from(["in", "out"])), draw(st.sampled_from(["em0", "em1", "lo0"])), proto, src, dst,
                    flags="", icmp_type=draw(st.sampled_from([None, 0, 3, 8, 128, 1])),
                    icmp_code=draw(st.sampled_from([None, 0, 3])), **common)
    return Flow(draw(st.sampled_from(["in", "out"])), draw(st.sampled_from(["em0", "em1", "lo0"])), proto, src, dst,
                sport=draw(st.sampled_from([22, 1500, 40000])), dport=draw(st.sampled_from([22, 53, 80, 443, 1500])),
                flags=draw(st.sampled_from(["S", "SA", "A"])) if proto == "tcp" else "",
                received_on="em1" if draw(st.integers(0, 9)) == 0 else None, **common)


def _reference(config, flows: list[Flow]) -> list[tuple[tuple[str, str], bool]]:
    reference = Evaluator(config, HOST)
    out = []
    for packet in flows:
        v = reference.evaluate(packet)
        out.append(((v.action, "skip" if v.decision == "skip" else v.pflog_ref), bool(v.uncertain)))
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=ruleset(), flows=st.lists(flow(), min_size=1, max_size=12))
def test_batch_agrees_with_the_reference_on_flows_and_arrays(tmp_path, text, flows):
    try:
        config = load(tmp_path, text)
    except ConfigError:  # a generated ruleset pfctl would reject: not a case
        assume(False)
    expected = _reference(config, flows)
    batch = BatchEvaluator(config, HOST)
    assert batch.supported, batch.unsupported
    assert batch.decide(flows) == [decision for decision, _ in expected], text
    decided = batch.decide_arrays(FlowArrays.from_flows(flows))
    assert decided.as_list() == [decision for decision, _ in expected], text
    assert decided.uncertain.tolist() == [doubt for _, doubt in expected], text


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=ruleset(), flows=st.lists(flow(), min_size=1, max_size=12))
def test_columns_built_without_flow_objects_decide_the_same(tmp_path, text, flows):
    """FlowArrays.ipv4 (what a pflog reader fills) decides as the Flow objects do."""
    flows = [dataclasses.replace(f, tags=frozenset(), received_on=None) for f in flows if f.src.version == 4]
    assume(flows)
    try:
        config = load(tmp_path, text)
    except ConfigError:
        assume(False)
    names = sorted({f.ifname for f in flows})
    arrays = FlowArrays.ipv4(
        [f.direction == "in" for f in flows], [names.index(f.ifname) for f in flows], names,
        [{"tcp": 6, "udp": 17, "icmp": 1}[f.proto] for f in flows], [int(f.src) for f in flows],
        [int(f.dst) for f in flows], [-1 if f.sport is None else f.sport for f in flows],
        [-1 if f.dport is None else f.dport for f in flows], [flag_bits(f.flags) for f in flows],
        [-1 if f.icmp_type is None else f.icmp_type for f in flows],
        [-1 if f.icmp_code is None else f.icmp_code for f in flows])
    assert [arrays.flow(i) for i in range(len(flows))] == flows
    expected = _reference(config, flows)
    assert BatchEvaluator(config, HOST).decide_arrays(arrays).as_list() == [d for d, _ in expected], text


def test_ipv6_table_longest_prefix_beyond_64_bits(tmp_path):
    config = load(tmp_path, "block all\n" + TABLE + "\npass in from <t>\n")
    addresses = {"2001:db8::5": "1", "2001:db8:1::5": "0", "2001:db8:1::10": "1", "2001:db8:1:0:8000::1": "1",
                 "2001:db8:1:0:7fff::1": "0", "2001:db9::1": "0", "10.1.2.3": "0", "10.1.2.4": "1"}
    flows = [Flow("in", "em0", "udp", ipaddress.ip_address(a), ipaddress.ip_address("2001:db8::1" if ":" in a else "10.0.0.1"),
                  sport=1, dport=53, flags="") for a in addresses]
    decided = BatchEvaluator(config, HOST).decide(flows)
    assert [ref for _, ref in decided] == list(addresses.values())
    assert decided == [d for d, _ in _reference(config, flows)]


def test_blocked_mask_and_empty_batch(tmp_path):
    config = load(tmp_path, "block in on em0\npass in on em0 proto tcp to port 22\n")
    batch = BatchEvaluator(config, HOST)
    arrays = FlowArrays.ipv4([True, True, False], [0, 0, 0], ["em0"], [6, 6, 6], [1, 2, 3], [4, 5, 6],
                             [1000] * 3, [22, 23, 23], [2, 2, 2])
    decided = batch.decide_arrays(arrays)
    assert decided.as_list() == [("pass", "1"), ("block", "0"), ("pass", "def")]
    assert decided.blocked().tolist() == [False, True, False]
    empty = FlowArrays.ipv4([], [], ["em0"], [], [], [])
    assert len(batch.decide_arrays(empty)) == 0


def test_rows_the_columns_cannot_describe_go_one_by_one(tmp_path):
    """A flow with a socket owner: decided by the per-flow evaluator, with its answer."""
    config = load(tmp_path, "block all\npass in proto tcp to port 22 user root\n")
    flows = [Flow("in", "em0", "tcp", ipaddress.ip_address("10.1.2.3"), ipaddress.ip_address("192.0.2.10"),
                  sport=1000, dport=22, user=user) for user in (None, "root", "www")]
    decided = BatchEvaluator(config, HOST).decide_arrays(FlowArrays.from_flows(flows))
    assert decided.as_list() == [("block", "0"), ("pass", "1"), ("block", "0")]
    assert decided.uncertain.tolist() == [True, False, False]
    assert np.array_equal(FlowArrays.from_flows(flows).irregular, [False, True, True])


def test_rulesets_the_walk_does_not_model_fall_back_per_flow(tmp_path):
    config = load(tmp_path, "match in on em0 proto tcp rdr-to 10.10.0.5 port 80\nblock all\n"
                            "pass in proto tcp to 10.10.0.5 port 80\n")
    batch = BatchEvaluator(config, HOST)
    assert not batch.supported and "match" in (batch.unsupported or "")
    flows = [Flow("in", "em0", "tcp", ipaddress.ip_address("198.51.100.1"), ipaddress.ip_address("192.0.2.10"),
                  sport=40000, dport=8080)]
    assert batch.decide(flows) == [("pass", "2")]
    assert batch.decide_arrays(FlowArrays.from_flows(flows)).as_list() == [("pass", "2")]


def test_af_to_rulesets_fall_back_per_flow(tmp_path):
    config = load(tmp_path, "block all\npass in on em0 inet af-to inet6 from 2001:db8::1\n")
    batch = BatchEvaluator(config, HOST)
    assert not batch.supported and "af-to" in (batch.unsupported or "")
    flows = [Flow("in", "em0", "tcp", ipaddress.ip_address("192.0.2.7"), ipaddress.ip_address("198.51.100.100"),
                  sport=4000, dport=80)]
    assert batch.decide_arrays(FlowArrays.from_flows(flows)).as_list() == [("pass", "1")]


def test_ipv6_columns_from_packed_addresses(tmp_path):
    """What a pflog reader holds: 16-byte addresses back to back, no Flow objects."""
    config = load(tmp_path, "block all\n" + TABLE + "\npass in on em0 inet6 proto tcp from <t> to port 443\n")
    sources = ["2001:db8::5", "2001:db8:1::5", "2001:db8:1:0:8000::1", "2001:db9::1"]
    src_hi, src_lo = packed_halves(b"".join(ipaddress.ip_address(a).packed for a in sources), 16)
    dst_hi, dst_lo = packed_halves(ipaddress.ip_address("2001:db8:ffff::1").packed * 4, 16)
    n = len(sources)
    arrays = FlowArrays(np.ones(n, dtype=bool), np.zeros(n, dtype=np.int32), ["em0"], np.full(n, 6, dtype=np.uint8),
                        np.full(n, 6, dtype=np.int16), src_hi, src_lo, dst_hi, dst_lo, np.full(n, 40000, dtype=np.int32),
                        np.full(n, 443, dtype=np.int32), np.full(n, flag_bits("S"), dtype=np.uint8),
                        np.full(n, -1, dtype=np.int16), np.full(n, -1, dtype=np.int16), np.full(n, -1, dtype=np.int32))
    flows = [arrays.flow(i) for i in range(n)]
    assert [str(f.src) for f in flows] == sources
    decided = BatchEvaluator(config, HOST).decide_arrays(arrays).as_list()
    assert decided == [d for d, _ in _reference(config, flows)] == [("pass", "1"), ("block", "0"), ("pass", "1"),
                                                                    ("block", "0")]
    assert packed_halves(bytes([192, 0, 2, 1]), 4)[1].tolist() == [int(ipaddress.ip_address("192.0.2.1"))]
