"""What the tools read from a site, loaded on first use and kept for the process."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from askzero.errors import SourceError
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
    def pflog(self) -> list:
        from askzero.logs.pflog import read_pflog

        records = []
        for path in self.site.existing("pflog"):
            records.extend(read_pflog(self.site.real(path), display=self.site.cite(path)))
        return records
