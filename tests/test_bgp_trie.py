"""Prefix-set and ROA matching against OpenBSD's regress data (regress/usr.sbin/bgpd/unittests).

The Makefile there runs ``rde_trie_test [FLAGS] rde_trie_test.N.in rde_trie_test.N.check`` and
diffs stdout against ``rde_trie_test.N.out``. What rde_trie_test.c does, reproduced here:

- without ``-r``: each .in line is ``prefix [min [max]]`` (min defaults to the prefix length,
  max to 32 or 128) and goes through trie_add(); each .check line is a prefix, printed as
  ``ADDR/LEN MATCH`` or ``ADDR/LEN miss`` after trie_match(..., orlonger) (``-o`` sets
  orlonger: test 4);
- with ``-r`` (tests 5, 6): .in lines are ROAs ``prefix P source-as AS [maxlen M]``; .check
  lines are ``P [source-as AS]`` (AS 0 when absent), printed as ``P source-as AS is VALID``,
  ``is invalid`` or ``is not found`` after trie_roa_check().

The files are read from the shared conformance tree, never copied into the repository.
"""

from __future__ import annotations

import re

import pytest

from askzero.bgp.addr import AID_INET6, host, log_addr
from askzero.bgp.model import ROA_INVALID, ROA_NOTFOUND, ROA_VALID
from askzero.bgp.prefixset import PrefixTrie, RoaTable
from conftest import SHARED

TRIE = SHARED / "conformance" / "bgpd" / "unittests-trie"
FLAGS = {n: "" for n in range(1, 7)} | {4: "-o", 5: "-r", 6: "-r"}  # TRIEn_FLAGS in the Makefile
KNOWN_FAILURES: dict[int, str] = {}  # none: every case matches the .out file line for line
ROA_WORDS = {ROA_VALID: "VALID", ROA_INVALID: "invalid", ROA_NOTFOUND: "not found"}


def _host(text: str):
    parsed = host(text)
    assert parsed is not None, f"could not parse prefix {text!r}"
    return parsed


def _lines(path) -> list[str]:
    """fparseln(3) without comments: logical lines, blank ones dropped by the callers."""
    return [line for line in path.read_text().splitlines() if line.strip()]


def run_prefix_test(n: int) -> list[str]:
    trie = PrefixTrie()
    for line in _lines(TRIE / f"rde_trie_test.{n}.in"):
        words = line.split()
        addr, plen = _host(words[0])
        maskmax = 128 if addr.aid == AID_INET6 else 32
        lo = int(words[1]) if len(words) > 1 else plen
        hi = int(words[2]) if len(words) > 2 else maskmax
        trie.add(addr, plen, lo, hi)
    orlonger = "-o" in FLAGS[n]
    out = []
    for line in _lines(TRIE / f"rde_trie_test.{n}.check"):
        addr, plen = _host(line.strip())
        out.append(f"{log_addr(addr)}/{plen} {'MATCH' if trie.match(addr, plen, orlonger) else 'miss'}")
    return out


def run_roa_test(n: int) -> list[str]:
    table = RoaTable()
    for line in _lines(TRIE / f"rde_trie_test.{n}.in"):
        m = re.fullmatch(r"\s*prefix\s+(\S+)\s+source-as\s+(\d+)(?:\s+maxlen\s+(\d+))?\s*", line)
        assert m, line
        addr, plen = _host(m[1])
        table.add(addr, plen, int(m[2]), int(m[3]) if m[3] else plen)
    out = []
    for line in _lines(TRIE / f"rde_trie_test.{n}.check"):
        text, _, rest = line.partition(" ")
        addr, plen = _host(text)
        m = re.search(r"source-as\s*(\d+)", rest)
        asn = int(m[1]) if m else 0
        out.append(f"{log_addr(addr)}/{plen} source-as {asn} is {ROA_WORDS[table.check(addr, plen, asn)]}")
    return out


def _cases() -> list[int]:
    found = sorted(int(p.name.split(".")[1]) for p in TRIE.glob("rde_trie_test.*.in"))
    return found or [0]


@pytest.mark.parametrize("n", _cases())
def test_trie_regress_case(n: int) -> None:
    if n == 0:
        pytest.skip(f"no trie regress data under {TRIE}")
    if n in KNOWN_FAILURES:
        pytest.xfail(KNOWN_FAILURES[n])
    got = run_roa_test(n) if "-r" in FLAGS.get(n, "") else run_prefix_test(n)
    expected = _lines(TRIE / f"rde_trie_test.{n}.out")
    assert got == expected


def test_every_case_is_run() -> None:
    """The Makefile's TRIE_TESTS list (1 to 6) is what the data directory holds."""
    assert _cases() == sorted(FLAGS)
