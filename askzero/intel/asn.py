"""Offline address-to-AS and country data: the ip2asn TSV files (iptoasn.com's format).

Each line is ``range_start  range_end  AS_number  country_code  AS_description`` separated
by tabs; IPv4 and IPv6 files alike, plain or gzip. The file is read from disk only: ask-zero
never downloads it. Lookups are a binary search over the sorted ranges and cite the line.
"""

from __future__ import annotations

import bisect
import gzip
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from askzero.errors import SourceError
from askzero.evidence import Citation, Evidence


@dataclass(frozen=True)
class AsnInfo:
    address: str
    asn: int
    country: str
    name: str
    file: str
    line: int

    def to_evidence(self) -> Evidence:
        where = f"AS{self.asn} ({self.name})" if self.asn else "no announcing AS"
        country = f", country {self.country}" if self.country and self.country != "None" else ""
        return Evidence("asn", f"{self.address} is in {where}{country} per the offline ASN database.",
                        Citation(self.file, self.line),
                        {"asn": self.asn, "country": self.country, "as_name": self.name})


class AsnDatabase:
    """Sorted, non-overlapping ranges per address family."""

    def __init__(self, path: str | Path, display: str | None = None):
        self.file = display or str(path)
        self._starts: dict[int, list[int]] = {4: [], 6: []}
        self._rows: dict[int, list[tuple[int, int, str, str, int]]] = {4: [], 6: []}
        self._load(Path(path))

    def _load(self, path: Path) -> None:
        try:
            opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
            with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
                rows = [(n, line.rstrip("\n").split("\t")) for n, line in enumerate(fh, 1)]
        except OSError as exc:
            raise SourceError(self.file, f"cannot read: {exc.strerror or exc}") from exc
        parsed: dict[int, list[tuple[int, int, int, str, str, int]]] = {4: [], 6: []}
        for number, cols in rows:
            if not cols or not cols[0] or cols[0].startswith("#"):
                continue
            if len(cols) < 5:
                raise SourceError(self.file, "expected 5 tab-separated columns: range_start range_end "
                                  "AS_number country_code AS_description", line=number)
            try:
                lo, hi = ipaddress.ip_address(cols[0]), ipaddress.ip_address(cols[1])
                asn = int(cols[2])
            except ValueError as exc:
                raise SourceError(self.file, f"bad range or AS number: {exc}", line=number) from None
            if lo.version != hi.version or int(hi) < int(lo):
                raise SourceError(self.file, "range end before start or mixed families", line=number)
            parsed[lo.version].append((int(lo), int(hi), asn, cols[3], cols[4], number))
        for family, items in parsed.items():
            items.sort()
            self._starts[family] = [i[0] for i in items]
            self._rows[family] = [(i[1], i[2], i[3], i[4], i[5]) for i in items]

    def lookup(self, address: str) -> AsnInfo | None:
        ip = ipaddress.ip_address(address)
        starts = self._starts[ip.version]
        index = bisect.bisect_right(starts, int(ip)) - 1
        if index < 0:
            return None
        end, asn, country, name, line = self._rows[ip.version][index]
        if int(ip) > end:
            return None
        return AsnInfo(str(ip), asn, country, name, self.file, line)
