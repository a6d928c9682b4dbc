"""What happened, computed from the log store: the incident's subject (the external address
the evidence points at most), the timeline, and the figures a postmortem reports (first
malicious event, first detection, first block, time to detect and to contain, affected hosts
and services, beaconing). Every figure keeps the records it was computed from.
"""

from __future__ import annotations

import ipaddress
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from askzero.errors import SourceError
from askzero.logs import query as q
from askzero.report.timeline import (AUTH_FAILURES, CONFIG_CHANGE, Entry, _flow_state, build_entries, bursts,
                                     citations, entry_order, when)

MAX_EVENTS = 50_000  # per query: a postmortem window, not a year of logs
SEVERITY_WEIGHT = {1: 8.0, 2: 4.0, 3: 2.0, 4: 1.0}
DETECTIONS = ("alert", "drop", "notice")


@dataclass
class Moment:
    time: datetime
    what: str
    citations: list[dict[str, Any]]


@dataclass
class AffectedHost:
    address: str
    name: str
    criticality: str
    inbound: Counter = field(default_factory=Counter)  # service -> events from the subject
    outbound: Counter = field(default_factory=Counter)  # service -> events to the subject
    kinds: Counter = field(default_factory=Counter)
    citations: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Beacon:
    src: str
    dst: str
    dport: int | None
    interval: float
    count: int
    answered: int
    unanswered: int
    first: datetime
    last: datetime
    last_answered: datetime | None
    bytes_out: int
    citations: list[dict[str, Any]]
    answered_citations: list[dict[str, Any]]


@dataclass
class Incident:
    site: str
    since: datetime | None
    until: datetime | None
    span: tuple[datetime | None, datetime | None]
    subject: str | None
    subject_score: float
    entries: list[Entry]
    subject_events: list[dict[str, Any]]
    first_malicious: Moment | None = None
    first_detection: Moment | None = None
    first_block: Moment | None = None
    intel_listed: Moment | None = None
    last_through: Moment | None = None  # last subject traffic that was not stopped
    last_seen: Moment | None = None
    hosts: list[AffectedHost] = field(default_factory=list)
    beacons: list[Beacon] = field(default_factory=list)
    auth_failures: list[dict[str, Any]] = field(default_factory=list)
    auth_accepted: list[dict[str, Any]] = field(default_factory=list)
    intel: list[Any] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    candidates: list[tuple[str, float]] = field(default_factory=list)  # ranked external sources

    def seconds(self, a: Moment | None, b: Moment | None) -> float | None:
        return None if a is None or b is None else (b.time - a.time).total_seconds()

    @property
    def time_to_detect(self) -> float | None:
        return self.seconds(self.first_malicious, self.first_detection)

    @property
    def time_to_contain(self) -> float | None:
        return self.seconds(self.first_malicious, self.first_block)

    def lane_entries(self, *roles: str) -> list[Entry]:
        return [e for e in self.entries if e.role in roles]


class Network:
    """Which addresses belong to the site: the host's own addresses, the networks of its
    non-egress interfaces, and the assets the site file names."""

    def __init__(self, ctx: Any) -> None:
        self.assets = {a: dict(v) for a, v in ctx.site.assets.items()}
        self.own: set[str] = set()
        self.nets: list = []
        try:
            host = ctx.host
        except Exception:  # noqa: BLE001 - a site without a host profile still gets a report
            host = None
        if host is not None:
            for iface in host.interfaces.values():
                for a in iface.addresses:
                    self.own.add(str(a.ip))
                    if iface.driver != "lo" and "egress" not in iface.groups:
                        self.nets.append(a.network)
        self.by_name = {v.get("name"): a for a, v in self.assets.items() if v.get("name")}

    def internal(self, address: str | None) -> bool:
        if not address:
            return False
        if address in self.own or address in self.assets:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip.version == n.version and ip in n for n in self.nets)

    def names(self) -> dict[str, str]:
        return {a: v["name"] for a, v in self.assets.items() if v.get("name")}


def _fetch(store: Any, flt: q.Filter, notes: list[str]) -> list[dict[str, Any]]:
    res = q.events(store, flt, limit=MAX_EVENTS)
    if res.count > len(res.events):
        notes.append(f"only the first {len(res.events)} of {res.count} matching events were read")
    return res.events


def rank_subjects(store: Any, window: dict[str, Any], net: Network) -> list[tuple[str, float]]:
    """External addresses by weight of evidence: IDS alerts by severity, failed logins, blocks.

    Aggregated in the store (a busy firewall blocks millions of packets a day)."""
    score: Counter = Counter()
    parts = [(q.Filter(kinds=DETECTIONS, **window), "coalesce(e.severity, 3)"),
             (q.Filter(kinds=("auth",), actions=AUTH_FAILURES, **window), "0"),
             (q.Filter(kinds=("block",), **window), "-1")]
    for flt, severity in parts:
        where, params = flt.where(store)
        for src, dst, sev, n in store.sql(f"SELECT e.src, e.dst, {severity}, count(*) FROM events e "
                                          f"WHERE {where} GROUP BY ALL", params):
            weight = 1.0 if sev == 0 else 0.25 if sev == -1 else SEVERITY_WEIGHT.get(sev, 2.0)
            for a in (src, dst):
                if a and not net.internal(a):
                    score[a] += weight * n
    return sorted(score.items(), key=lambda kv: (-kv[1], kv[0]))


CONTEXT_EVENTS = 2000  # other sources' alerts and blocks listed burst by burst up to this many


def _context(store: Any, window: dict[str, Any], subject: str | None, notes: list[str]) -> tuple[list, list[Entry]]:
    """Alerts and blocks not involving the subject: as events when few, else aggregated per
    (kind, source, destination, port, rule or signature) with counts and record spans."""
    where, params = q.Filter(kinds=(*DETECTIONS, "block"), **window).where(store)
    if subject:
        mine, more = q.Filter(ip=subject).where(store)
        where, params = f"({where}) AND NOT ({mine})", params + more
    total = store.sql(f"SELECT count(*) FROM events e WHERE {where}", params)[0][0]
    if total <= CONTEXT_EVENTS:
        rows = store.sql(f"SELECT {q._select_fields()} FROM events e WHERE {where} ORDER BY e.time, e.file_id, e.line",
                         params)
        paths = q._paths(store)
        return [q._event_dict(r, paths) for r in rows], []
    paths = q._paths(store)
    groups = store.sql(
        f"SELECT e.kind, e.src, e.dst, e.dport, coalesce(e.rule, e.signature), count(*), min(e.time), max(e.time), "
        f"e.file_id, min(e.line), max(e.line) FROM events e WHERE {where} GROUP BY ALL ORDER BY 6 DESC LIMIT 40",
        params)
    notes.append(f"{total} alerts and blocks not involving the subject are summarised in the 40 largest groups")
    out = []
    for kind, src, dst, dport, label, n, first, last, file_id, lo, hi in groups:
        from askzero.report.timeline import _plural, service

        path = paths.get(file_id, "?")
        if kind == "block":
            cite = {"file": path, "record": f"record {lo}" if lo == hi else f"records {lo}-{hi}"}
            text = f"{_plural(n, 'packet')} from {src} to {dst} {service(dport)} blocked by rule {label}"
        else:
            cite = {"file": path, "line": lo} if lo == hi else {"file": path, "lines": [lo, hi]}
            text = f"{_plural(n, 'IDS alert')} \"{label}\" for {src} -> {dst} {service(dport)}"
        out.append(Entry(first.replace(tzinfo=timezone.utc), last.replace(tzinfo=timezone.utc), n,
                         "pflog" if kind == "block" else "ids", "context", text, [cite]))
    return [], out


def analyse(ctx: Any, since: datetime | None = None, until: datetime | None = None,
            ip: str | None = None) -> Incident:
    """Build the incident from the site's log store for a window (default: all its data)."""
    store = ctx.logs
    if store is None:
        raise SourceError(ctx.site.name, "no log store: the site names no logs, or an ingest is running")
    notes: list[str] = list(getattr(ctx, "log_notes", []))
    net = Network(ctx)
    first, last, _ = q.first_last(store, q.Filter(since=since, until=until))
    window = dict(since=since, until=until)
    ranked = rank_subjects(store, window, net)
    subject = ip or (ranked[0][0] if ranked else None)
    score = dict(ranked).get(subject, 0.0) if subject else 0.0

    mine = _fetch(store, q.Filter(ip=subject, **window), notes) if subject else []
    mine_keys = {_ident(e) for e in mine}
    routing = _fetch(store, q.Filter(kinds=("bgp",), **window), notes)
    config = [e for e in _fetch(store, q.Filter(kinds=("other",), sources=("syslog",), **window), notes)
              if CONFIG_CHANGE.search(e.get("message") or "") or (subject and subject in (e.get("message") or ""))]
    accepted = [e for e in _fetch(store, q.Filter(kinds=("auth",), actions=("accepted",), **window), notes)
                if _ident(e) not in mine_keys]
    context, context_groups = _context(store, window, subject, notes)

    def role_of(e: dict[str, Any]) -> str:
        if _ident(e) in mine_keys:
            if e["kind"] == "block":
                return "containment"
            return "detection" if e["kind"] in DETECTIONS else "attack"
        if e["kind"] == "bgp":
            return "routing"
        if e["kind"] == "other":
            return "config"
        if e["kind"] == "auth" and e.get("action") == "accepted":
            return "response"
        return "context"

    entries = build_entries(bursts(mine + routing + config + accepted + context), role_of, net.names())
    entries = sorted(entries + context_groups + _config_changes(ctx, store, since or first, until or last),
                     key=entry_order)
    inc = Incident(ctx.site.name, since, until, (first, last), subject, score, entries, mine, notes=notes,
                   candidates=ranked)
    if subject:
        _figures(inc, mine, config, subject)
        inc.hosts = _hosts(mine, subject, net)
        inc.beacons = _beacons(mine, subject, net)
        inc.auth_failures = [e for e in mine if e["kind"] == "auth" and e.get("action") in AUTH_FAILURES]
        inc.auth_accepted = [e for e in mine if e["kind"] == "auth" and e.get("action") == "accepted"]
        inc.intel = _intel(ctx, subject, notes)
    return inc


def _config_changes(ctx: Any, store: Any, since: datetime | None, until: datetime | None) -> list[Entry]:
    from askzero.report.configchanges import modified_files, ruleset_changes
    from askzero.report.integrity import config_files

    changes = [e for e in ruleset_changes(store) if (since is None or e.start >= since)
               and (until is None or e.start <= until)]
    try:
        files = config_files(ctx)
    except Exception:  # noqa: BLE001 - a site without a readable config still has a timeline
        files = []
    return changes + modified_files(ctx, files, since, until)


def _ident(e: dict[str, Any]) -> tuple:
    c = e["citation"]
    return (c["file"], c.get("line"), c.get("record"))


SOURCE_NAMES = {"eve": "Suricata", "zeek": "Zeek", "pflog": "pflog", "syslog": "syslog", "fastlog": "Suricata",
                "wazuh": "Wazuh", "pflogtext": "pflog"}


def describe_event(e: dict[str, Any]) -> str:
    """One event in a few words: "Suricata flow 203.0.113.7 -> 192.0.2.10 ssh/22"."""
    from askzero.report.timeline import service

    who = SOURCE_NAMES.get(e["source"], e["source"])
    what = e.get("signature") if e["kind"] in DETECTIONS else e["kind"]
    text = f"{who} {what}"
    if e.get("src"):
        text += f" {e['src']}"
    if e.get("dst"):
        text += f" -> {e['dst']} {service(e.get('dport'), e.get('proto')) if e.get('dport') else ''}".rstrip()
    return text


def _moment(events: list[dict[str, Any]], what: str) -> Moment | None:
    if not events:
        return None
    e = min(events, key=lambda x: x["time"])
    return Moment(when(e), f"{what}: {describe_event(e)}", citations([e]))


def _figures(inc: Incident, mine: list[dict[str, Any]], config: list[dict[str, Any]], subject: str) -> None:
    inc.first_malicious = _moment(mine, "first event involving " + subject)
    inc.first_detection = _moment([e for e in mine if e["kind"] in DETECTIONS], "first IDS alert")
    inc.first_block = _moment([e for e in mine if e["kind"] == "block"], "first pf block")
    named = [e for e in config if subject in (e.get("message") or "")]
    inc.intel_listed = _moment(named, "configuration change naming " + subject)
    if inc.intel_listed:  # say what the change was, in the daemon's own words
        first = min(named, key=lambda x: x["time"])
        program = (first.get("extra") or {}).get("program", "daemon")
        inc.intel_listed.what = f"{program}: {first.get('message')}"
    through = [e for e in mine if (e["kind"] == "auth") or (e["kind"] in ("ssh", "tls", "http", "dns"))
               or (e["kind"] == "flow" and _flow_state(e) == "answered")]
    if through:
        e = max(through, key=lambda x: x["time"])
        inc.last_through = Moment(when(e), "last traffic of " + subject + " that was answered", citations([e]))
    e = max(mine, key=lambda x: x["time"]) if mine else None
    if e is not None:
        inc.last_seen = Moment(when(e), "last event involving " + subject, citations([e]))


def _hosts(mine: list[dict[str, Any]], subject: str, net: Network) -> list[AffectedHost]:
    hosts: dict[str, AffectedHost] = {}
    from askzero.report.timeline import service

    for e in mine:
        other = e.get("dst") if e.get("src") == subject else e.get("src")
        if other is None and e["kind"] == "auth":
            other = net.by_name.get(e.get("host")) or e.get("host")
        if not other or not net.internal(other) and other not in net.by_name.values():
            continue
        asset = net.assets.get(other, {})
        h = hosts.setdefault(other, AffectedHost(other, asset.get("name", ""), asset.get("criticality", "")))
        h.kinds[e["kind"]] += 1
        if e.get("src") == subject:
            port = e.get("dport") if e["kind"] != "auth" else 22 if (e.get("extra") or {}).get("program") == "sshd" else None
            h.inbound[service(port, e.get("proto"))] += 1
        else:
            h.outbound[service(e.get("dport"), e.get("proto"))] += 1
    for h in hosts.values():
        h.citations = citations([e for e in mine if h.address in (e.get("src"), e.get("dst"))
                                 or (e["kind"] == "auth" and net.by_name.get(e.get("host")) == h.address)])
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    return sorted(hosts.values(), key=lambda h: (order.get(h.criticality, 9), -sum(h.kinds.values()), h.address))


def _beacons(mine: list[dict[str, Any]], subject: str, net: Network) -> list[Beacon]:
    """Connections from an internal host to the subject at a steady interval."""
    flows = [e for e in mine if e["kind"] == "flow" and e.get("dst") == subject and net.internal(e.get("src"))]
    source = "zeek" if any(e["source"] == "zeek" for e in flows) else "eve"
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for e in flows:
        if e["source"] == source:
            groups.setdefault((e.get("src"), e.get("dport")), []).append(e)
    out = []
    for (src, dport), run in sorted(groups.items(), key=lambda kv: str(kv[0])):
        run.sort(key=lambda e: e["time"])
        times = [when(e) for e in run]
        gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
        if len(gaps) < 3:
            continue
        median = statistics.median(gaps)
        spread = statistics.median([abs(g - median) for g in gaps])
        if not 5 <= median <= 86400 or spread > 0.2 * median:
            continue
        answered = [e for e in run if _flow_state(e) == "answered"]
        out.append(Beacon(src, subject, dport, median, len(run), len(answered), len(run) - len(answered),
                          times[0], times[-1], when(answered[-1]) if answered else None,
                          sum(int((e.get("extra") or {}).get("orig_bytes") or 0) for e in answered),
                          citations(run), citations(answered)))
    return out


def _intel(ctx: Any, subject: str, notes: list[str]) -> list[Any]:
    try:
        from askzero.intel import lookup

        return lookup(ctx.feeds, subject)
    except Exception as exc:  # noqa: BLE001 - intel enriches the report; its absence is noted
        notes.append(f"threat intel not consulted: {exc}")
        return []
