"""What the tools read from a site, loaded on first use and kept for the process."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from askzero.errors import AskZeroError, SourceError
from askzero.pf import HostProfile, PfConfig, load_host, parse_pf
from askzero.pf.evaluate import FastEvaluator
from askzero.site import Site


class SiteContext:
    def __init__(self, site: Site) -> None:
        self.site = site

    def _readable(self, path: str) -> Path:
        real = self.site.real(path)
        if not real.is_file():
            raise SourceError(self.site.cite(path), "no such file")
        try:
            with real.open("rb"):
                pass
        except OSError as exc:
            raise SourceError(self.site.cite(path), f"cannot read: {exc.strerror}") from exc
        return real

    def _resolve(self, path: str) -> tuple[Path, str]:
        real = self.site.real(path)
        root = self.site.root.resolve()
        if root != Path("/") and root not in real.resolve().parents:
            return root / ".outside-site-root", path
        return real, self.site.cite(path)

    @cached_property
    def host(self) -> HostProfile:
        if self.site.host_profile is None:
            return HostProfile()
        path = self._readable(self.site.host_profile)
        return load_host(path, self.site.cite(self.site.host_profile))

    @cached_property
    def pf(self) -> PfConfig:
        if self.site.pf_conf is None:
            raise SourceError(self.site.name, "the site names no pf.conf")
        self._readable(self.site.pf_conf)
        return parse_pf(self.site.pf_conf, self.host, self._resolve)

    @cached_property
    def bgp(self):
        """The site's bgpd.conf, parsed as bgpd would."""
        if self.site.bgpd_conf is None:
            raise SourceError(self.site.name, "the site names no bgpd.conf")
        from askzero.bgp.parser import parse_bgp

        self._readable(self.site.bgpd_conf)
        return parse_bgp(self.site.bgpd_conf, self._resolve)

    @cached_property
    def evaluator(self) -> FastEvaluator:
        return FastEvaluator(self.pf, self.host)

    @cached_property
    def feeds(self) -> list:
        from askzero.intel import load_feed

        feeds = []
        for spec in self.site.intel:
            real = self._readable(spec.path)
            feeds.append(load_feed(real, spec.name, spec.format, display=self.site.cite(spec.path)))
        return feeds

    @cached_property
    def asn(self):
        """The offline ASN database the site names, if any (never downloaded)."""
        if not self.site.asn_db:
            return None
        from askzero.intel.asn import AsnDatabase

        return AsnDatabase(self._readable(self.site.asn_db), self.site.cite(self.site.asn_db))

    @cached_property
    def logs(self):
        """The site's log store, brought up to date first (only what was appended is read).

        None when another process holds the store (an ingest running): the answer then says
        the logs were not consulted rather than waiting.
        """
        from askzero.logs.ingest import ingest
        from askzero.logs.sitelogs import open_store, site_sources
        from askzero.logs.store import StoreBusy

        if not self.site.logs:
            return None

        try:
            store = open_store(self.site)
        except StoreBusy:
            self.log_notes.append("the log store is busy (an ingest is running): logs not consulted")
            return None
        for report in ingest(store, site_sources(self.site, self.ruleset_digest)):
            if report.malformed:
                self.log_notes.append(f"{report.path}: {report.malformed} malformed records skipped")
        return store

    @cached_property
    def ruleset_digest(self) -> str | None:
        """The fingerprint of the pf ruleset on disk now (see askzero.pf.digest)."""
        if not self.site.pf_conf:
            return None
        from askzero.pf.digest import ruleset_digest

        try:
            return ruleset_digest(self.pf)
        except AskZeroError:  # a ruleset that does not load has no digest
            return None

    @cached_property
    def log_notes(self) -> list[str]:
        return []
