"""The offline ip2asn database: range lookups with citations, bad files named with line."""

from __future__ import annotations

import gzip
import shutil

import pytest

from askzero.assistant.context import SiteContext
from askzero.assistant.tools import lookup_intel
from askzero.errors import SourceError
from askzero.intel.asn import AsnDatabase
from askzero.site import demo_root, load_site

TSV = (
    "1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET\n"
    "203.0.113.0\t203.0.113.127\t64500\tNL\tEXAMPLE-TRANSIT\n"
    "203.0.113.128\t203.0.113.255\t0\tNone\tNot routed\n"
    "2001:db8::\t2001:db8:ffff:ffff:ffff:ffff:ffff:ffff\t64501\tFR\tEXAMPLE-V6\n"
)


def test_lookup_by_range_with_line(tmp_path):
    path = tmp_path / "ip2asn-combined.tsv"
    path.write_text(TSV)
    db = AsnDatabase(path, "geo/ip2asn.tsv")
    info = db.lookup("203.0.113.7")
    assert (info.asn, info.country, info.name, info.file, info.line) == (64500, "NL", "EXAMPLE-TRANSIT",
                                                                         "geo/ip2asn.tsv", 2)
    assert db.lookup("203.0.113.200").asn == 0
    assert db.lookup("2001:db8::1").asn == 64501
    assert db.lookup("1.0.1.0") is None and db.lookup("0.0.0.1") is None


def test_gzip_file_reads_the_same(tmp_path):
    path = tmp_path / "ip2asn.tsv.gz"
    path.write_bytes(gzip.compress(TSV.encode()))
    assert AsnDatabase(path).lookup("1.0.0.9").asn == 13335


def test_bad_line_is_named(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text(TSV + "10.0.0.9\t10.0.0.1\t1\tXX\tbackwards\n")
    with pytest.raises(SourceError) as err:
        AsnDatabase(path)
    assert err.value.line == 5


def test_site_with_an_asn_file_gets_asn_evidence(tmp_path):
    root = tmp_path / "site"
    shutil.copytree(demo_root(), root)
    (root / "geo").mkdir()
    (root / "geo" / "ip2asn.tsv").write_text(TSV)
    site_file = root / "site.toml"
    site_file.write_text(site_file.read_text() + '\n[geo]\nasn = "/geo/ip2asn.tsv"\n')
    evidence = lookup_intel(SiteContext(load_site(str(root))), "203.0.113.7")
    asn = [e for e in evidence if e.kind == "asn"]
    assert asn and "AS64500" in asn[0].summary and str(asn[0].citation) == "geo/ip2asn.tsv:2"
