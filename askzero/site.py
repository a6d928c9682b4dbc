"""A site: the set of sources one installation reads.

On an OpenBSD host the defaults are the usual paths under ``/``. A site file (TOML) names
other paths; all of them are read under the site's ``root``, so a copy of a firewall's
files (like the bundled demo) reads exactly as the firewall itself would.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from askzero.errors import SiteError

SITE_ENV = "ASKZERO_SITE"
SITE_FILE = "site.toml"
HOST_DEFAULTS: dict[str, object] = {
    "pf": {"conf": "/etc/pf.conf"},
    "bgp": {"conf": "/etc/bgpd.conf"},
    "logs": {
        "pflog": ["/var/log/pflog"],
        "authlog": ["/var/log/authlog"],
        "daemon": ["/var/log/daemon"],
        "suricata": ["/var/log/suricata/eve.json"],
        "zeek": ["/var/log/zeek/current/conn.log"],
    },
}


@dataclass(frozen=True)
class FeedSpec:
    name: str
    path: str
    format: str


@dataclass
class Site:
    name: str
    root: Path
    description: str = ""
    pf_conf: str | None = None
    bgpd_conf: str | None = None
    host_profile: str | None = None
    logs: dict[str, list[str]] = field(default_factory=dict)
    intel: list[FeedSpec] = field(default_factory=list)
    assets: dict[str, dict] = field(default_factory=dict)
    asn_db: str | None = None  # an offline ip2asn TSV file ([geo] asn = "...")
    signify_keys: list[str] = field(default_factory=list)  # [integrity] pubkey(s)
    notice: str = ""  # said on stderr when the site was chosen for the user

    def real(self, path: str) -> Path:
        """The file on disk for a path as the site names it."""
        return self.root / path.lstrip("/") if self.root != Path("/") else Path(path)

    def cite(self, path: str) -> str:
        """How a path is shown in citations: as the host names it, relative to a copied root."""
        return path if self.root == Path("/") else path.lstrip("/")

    def existing(self, kind: str) -> list[str]:
        return [p for p in self.logs.get(kind, []) if self.real(p).is_file()]


def demo_root() -> Path:
    return Path(str(resources.files("askzero") / "demo"))


def load_site(spec: str | None) -> Site:
    """The site for ``--site SPEC``: ``demo``, a site file, or a directory.

    Without a spec: ``$ASKZERO_SITE``, then this machine if it has /etc/pf.conf, else the demo
    site (with a notice, since the user did not ask for it).
    """
    if spec is None:
        spec = os.environ.get(SITE_ENV) or None
    if spec is None:
        if Path("/etc/pf.conf").is_file():
            return _site_from_dict({}, Path("/"), "localhost", defaults=True)
        site = load_site("demo")
        site.notice = "ask-zero: no site configured and no /etc/pf.conf here; using the bundled demo site (--site demo)"
        return site
    if spec == "demo":
        return _site_file(demo_root() / SITE_FILE)
    path = Path(spec).expanduser()
    if path.is_dir():
        if (path / SITE_FILE).is_file():
            return _site_file(path / SITE_FILE)
        return _site_from_dict({}, path, path.name, defaults=True)
    if path.is_file():
        return _site_file(path)
    raise SiteError(f"site not found: {spec} (give --site demo, a site file, or a directory)")


def _site_file(path: Path) -> Site:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SiteError(f"{path}: cannot read site file: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SiteError(f"{path}: invalid site file: {exc}") from exc
    root = (path.parent / str(data.get("root", "."))).resolve()
    return _site_from_dict(data, root, str(data.get("name", path.parent.name)), defaults=False)


def _site_from_dict(data: dict, root: Path, name: str, defaults: bool) -> Site:
    if defaults:
        data = {**HOST_DEFAULTS, **data}
    if not root.is_dir():
        raise SiteError(f"site root is not a directory: {root}")
    try:
        site = Site(
            name=name,
            root=root,
            description=str(data.get("description", "")),
            pf_conf=data.get("pf", {}).get("conf"),
            bgpd_conf=data.get("bgp", {}).get("conf"),
            host_profile=data.get("pf", {}).get("host"),
            logs={str(k): [str(p) for p in v] for k, v in data.get("logs", {}).items()},
            intel=[FeedSpec(str(f["name"]), str(f["path"]), str(f.get("format", "list"))) for f in data.get("intel", [])],
            assets={str(k): dict(v) for k, v in data.get("assets", {}).items()},
            asn_db=data.get("geo", {}).get("asn"),
            signify_keys=_as_list(data.get("integrity", {}).get("pubkeys", data.get("integrity", {}).get("pubkey", []))),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise SiteError(f"invalid site description for {name}: {exc}") from exc
    return site


def _as_list(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)] if value else []
