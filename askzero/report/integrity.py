"""Configuration integrity: signify signatures of configuration files, and ruleset drift
between what the log store recorded at ingest and the pf ruleset on disk now."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from askzero.report.results import CheckResult
from askzero.report.signify import KEY_DIR, SignatureCheck, check_file
from askzero.report.sitefiles import cited_path


def config_files(ctx: Any, bgp: Any = None) -> list[str]:
    """Every configuration file the site reads, as cited: pf.conf and what it includes or
    loads into tables, bgpd.conf and its includes, the host profile."""
    out: list[str] = []
    site = ctx.site
    if site.pf_conf and site.real(site.pf_conf).is_file():
        out.append(site.cite(site.pf_conf))
        try:
            out += list(ctx.pf.files)
            out += [f for t in _tables(ctx.pf.main) for f in t.files]
        except Exception:  # noqa: BLE001 - a ruleset that does not parse is still a file to verify
            pass
    if site.bgpd_conf and site.real(site.bgpd_conf).is_file():
        out.append(site.cite(site.bgpd_conf))
        if bgp is not None:
            out += list(bgp.files)
    if site.host_profile and site.real(site.host_profile).is_file():
        out.append(site.cite(site.host_profile))
    seen: set[str] = set()
    return [f for f in out if not (f in seen or seen.add(f))]  # type: ignore[func-returns-value]


def _tables(ruleset: Any):
    yield from ruleset.tables.values()
    for child in ruleset.children.values():
        yield from _tables(child)


def named_keys(site: Any) -> list[str]:
    """Public keys the site names: ``[integrity] pubkey``/``pubkeys`` in its site file."""
    return [str(k) for k in getattr(site, "signify_keys", [])]


def public_keys(site: Any) -> list[tuple[Path, str]]:
    """The signify public keys: those the site names first, then /etc/signify/*.pub (as
    signify -C looks there), as (file, cited)."""
    out = [(site.real(k), site.cite(k)) for k in named_keys(site) if site.real(k).is_file()]
    directory = site.real(KEY_DIR)
    if directory.is_dir():
        out += [(p, site.cite(f"{KEY_DIR}/{p.name}")) for p in sorted(directory.glob("*.pub"))
                if p not in {r for r, _ in out}]
    return out


def signature_checks(ctx: Any, bgp: Any = None) -> list[SignatureCheck]:
    keys = public_keys(ctx.site)
    out = []
    for cited in config_files(ctx, bgp):
        verdict = check_file(cited_path(ctx.site, cited), cited, keys)
        if verdict is not None:
            out.append(verdict)
    return out


def signatures_check(ctx: Any, bgp: Any = None) -> CheckResult:
    check, title = "integrity.config_signatures", "Configuration files match their signify signatures"
    checks = signature_checks(ctx, bgp)
    evidence = [{"file": c.file, "line": 1, "note": f"{c.status}: {c.reason}"} for c in checks]
    if not checks:
        return CheckResult(check, title, "not-evaluable",
                           "No configuration file has a .sig next to it.", [])
    bad = [c for c in checks if c.status == "bad"]
    unverifiable = [c for c in checks if c.status == "unverifiable"]
    if bad:
        return CheckResult(check, title, "fail",
                           "Signature does not verify for " + ", ".join(c.file for c in bad) + ".", evidence)
    if unverifiable:
        return CheckResult(check, title, "partial",
                           "No public key to check " + ", ".join(c.file for c in unverifiable) + ".", evidence)
    return CheckResult(check, title, "pass",
                       f"{len(checks)} signed file(s) verified: " + ", ".join(c.file for c in checks) + ".", evidence)


RULESET_SQL = ("SELECT f.path, h.first_line, h.last_line, h.ruleset_hash, h.ingested_at FROM ruleset_history h "
               "JOIN files f ON f.id = h.file_id ORDER BY h.ingested_at, f.path, h.first_line")


def recorded_rulesets(ctx: Any) -> list[tuple[str, int, int, str, Any]]:
    """The ruleset digests the log store recorded per pflog span: (file, first, last, digest, when),
    oldest first. Read before anything refreshes the store when possible (a read-only handle);
    a store this process already opened is asked directly (DuckDB allows one configuration)."""
    from askzero.logs.store import LogStore, StoreBusy, site_store_path

    opened = ctx.__dict__.get("logs")  # SiteContext.logs is a cached_property
    if opened is not None:
        return [tuple(r) for r in opened.sql(RULESET_SQL)]  # type: ignore[misc]
    path = site_store_path(ctx.site)
    if not path.exists():
        return []
    try:
        with LogStore(path, read_only=True) as store:
            return [tuple(r) for r in store.sql(RULESET_SQL)]  # type: ignore[misc]
    except StoreBusy:
        return []


def drift_check(ctx: Any, recorded: list[tuple[str, int, int, str, Any]]) -> CheckResult:
    check, title = "integrity.ruleset_unchanged", "pf ruleset unchanged since the logs were indexed"
    now = ctx.ruleset_digest
    if not recorded:
        return CheckResult(check, title, "not-evaluable", "No pflog has been indexed with a ruleset digest yet.", [])
    if now is None:
        return CheckResult(check, title, "not-evaluable", "The pf ruleset on disk does not load.", [])
    file, first, last, digest, when = recorded[-1]
    pf_cited = ctx.site.cite(ctx.site.pf_conf)
    evidence = [{"file": file, "record": f"records {first}-{last}",
                 "note": f"indexed under ruleset {digest} at {str(when)[:19]}"},
                {"file": pf_cited, "line": 1, "note": f"ruleset on disk now: {now}"}]
    earlier = sorted({r[3] for r in recorded[:-1]} - {digest})
    if digest != now:
        return CheckResult(check, title, "fail",
                           f"The ruleset on disk ({now}) differs from the one recorded when pflog was last "
                           f"indexed ({digest}): explanations of those records may not hold.", evidence)
    if earlier:
        return CheckResult(check, title, "partial",
                           f"Unchanged since the last ingest ({now}), but earlier pflog spans were indexed "
                           f"under other rulesets ({', '.join(earlier)}).", evidence)
    return CheckResult(check, title, "pass", f"The ruleset on disk ({now}) is the one recorded at the last ingest.",
                       evidence)
