"""Real pf.conf files from public repositories load, or fail as pfctl would.

Every top-level pf.conf in ../shared/samples/pf-wild is parsed on one host (WILD_HOST) and
the outcome compared with tools/pf_wild_expected.txt, which records what pfctl on current
OpenBSD does with it: "ok", or the first error it prints with a position. That file was
written by reading the samples against pf.conf(5) and pfctl's sources, never from our
output; where the engine disagrees, the sample is listed under "# known engine failures"
there and its case here is a strict xfail, so a fix shows up as XPASS (and fails the run
until the entry is removed).
"""

from __future__ import annotations

import csv
from pathlib import Path, PurePosixPath

import pytest

from askzero.errors import ConfigError
from askzero.pf import parse_pf
from askzero.pf.host import host_from_dict

WILD = Path(__file__).resolve().parents[2] / "shared" / "samples" / "pf-wild"
EXPECTED = Path(__file__).resolve().parents[1] / "tools" / "pf_wild_expected.txt"
KNOWN_HEADER = "# known engine failures"

# The firewall the samples are loaded on: the interfaces they name, with addresses where a
# rule takes them from the interface (em1:network, to athn0, from em0, ...). em0 is the
# egress interface and, as on most WAN links today, has an IPv6 address too; gre0 and
# vether0 hold IPv4 only; tun1 is a point-to-point link in group "nsd". The tor and iperf3
# packages are installed (users _tor and _iperfd). There is no DNS: "localhost" resolves
# from /etc/hosts (the profile's default [hosts]), other names do not.
WILD_HOST = host_from_dict({
    "routes": {"default": "em0", "default6": "em0"},
    "users": {"root": 0, "_tor": 835, "_iperfd": 836},
    "groups": {"wheel": 0},
    "interface": [
        {"name": "lo0", "addresses": ["127.0.0.1/8", "::1/128", "fe80::1/64"]},
        {"name": "em0", "addresses": ["203.0.113.2/24", "2001:db8:100::2/64"]},
        {"name": "em1", "addresses": ["192.168.1.1/24"]},
        {"name": "em2", "addresses": ["192.168.2.1/24"]},
        {"name": "em3", "addresses": ["192.168.3.1/24"]},
        {"name": "athn0", "addresses": ["192.168.4.1/24"]},
        {"name": "ix0", "addresses": ["10.0.0.1/24"]},
        {"name": "vio0", "addresses": ["198.51.100.2/24"]},
        {"name": "vmx0", "addresses": ["198.51.100.3/24"]},
        {"name": "vmx1", "addresses": ["10.1.0.1/24"]},
        {"name": "vr0", "addresses": ["198.51.100.5/24"]},
        {"name": "vr1", "addresses": ["10.2.0.1/24"]},
        {"name": "alc0", "addresses": ["10.0.1.1/24"]},
        {"name": "pppoe0", "addresses": ["198.51.100.4/32"], "peer": ["198.51.100.1/32"]},
        {"name": "gre0", "addresses": ["10.10.0.1/30"]},
        {"name": "vether0", "addresses": ["10.20.0.1/24"]},
        {"name": "enc0"},
        {"name": "tun0"},
        {"name": "tun1", "groups": ["nsd"], "addresses": ["10.10.10.1/32"], "peer": ["10.10.10.2/32"]},
    ],
})

# Table files an operator keeps by hand, which the repositories do not carry: present and
# empty on the test host (a fresh host without them fails with 'cannot load "...": No such
# file or directory' at the table line instead).
STAND_INS = ("/etc/pf/blocklist", "/etc/pf/martians", "/etc/pf/private", "/etc/pita",
             "/var/db/whitelist", "/etc/mail/whitelist.txt")


def sources() -> list[dict[str, str]]:
    with (WILD / "sources.tsv").open(newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def samples() -> list[str]:
    """The top-level rulesets: files whose path in their repository is a pf.conf."""
    if not (WILD / "sources.tsv").is_file():
        return []
    return sorted(row["file"] for row in sources() if PurePosixPath(row["path"]).name == "pf.conf")


def read_expected() -> tuple[dict[str, str], dict[str, str]]:
    """(outcome by file, reason by file for known engine failures)."""
    expected: dict[str, str] = {}
    known: dict[str, str] = {}
    section = expected
    for line in EXPECTED.read_text().splitlines():
        if line.strip() == KNOWN_HEADER:
            section = known
            continue
        if not line.strip() or line.startswith("#"):
            continue
        name, _, rest = line.partition(" ")
        assert name not in section, f"{EXPECTED.name}: {name} listed twice"
        section[name] = rest.strip()
    return expected, known


def resolver(sample: str, standins: Path):
    """Paths as the sample names them: its companion files (same repository, same file
    name), the stand-in tables, else a file that does not exist. Cited as written."""
    rows = sources()
    repo = next(row["repo"] for row in rows if row["file"] == sample)
    companions = {PurePosixPath(row["path"]).name: WILD / row["file"]
                  for row in rows if row["repo"] == repo and row["file"] != sample}

    def resolve(path: str) -> tuple[Path, str]:
        if path == sample:
            return WILD / sample, path
        if path in STAND_INS:
            return standins / path.lstrip("/"), path
        name = PurePosixPath(path).name
        if PurePosixPath(path).is_absolute() and name in companions:
            return companions[name], path
        return standins / "does-not-exist" / name, path
    return resolve


def outcome(sample: str, standins: Path) -> str:
    """"ok", or "error LINE MESSAGE" for the first error with a position."""
    try:
        parse_pf(sample, WILD_HOST, resolver(sample, standins))
    except ConfigError as exc:
        placed = [i for i in exc.issues if i.file]
        if not placed:
            return f"error - {exc.issues[0].message}" if exc.issues else "error - (no message)"
        first = placed[0]
        line = str(first.line) if first.file == sample else f"{first.file}:{first.line}"
        return f"error {line} {first.message}"
    return "ok"


def cases():
    if not WILD.is_dir():
        return []
    _, known = read_expected()
    return [pytest.param(name, marks=pytest.mark.xfail(reason=known[name], strict=True))
            if name in known else name for name in samples()]


@pytest.fixture
def standins(tmp_path: Path) -> Path:
    for path in STAND_INS:
        target = tmp_path / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("")
    return tmp_path


pytestmark = pytest.mark.skipif(not WILD.is_dir(), reason=f"{WILD} is not present")


def test_expected_file_covers_every_sample():
    expected, known = read_expected()
    assert sorted(expected) == samples(), f"{EXPECTED.name} must list each sample once"
    assert set(known) <= set(expected), "known engine failures must be samples"
    for name, want in expected.items():
        assert want == "ok" or want.startswith("error "), f"{name}: bad outcome {want!r}"


@pytest.mark.parametrize("sample", cases())
def test_sample_loads_or_fails_as_pfctl_does(sample: str, standins: Path):
    expected, _ = read_expected()
    assert outcome(sample, standins) == expected[sample]
