"""One decoded Suricata EVE record as a normalised ``Event``.

This is the per-record hot path of EVE ingest, so it sticks to dict lookups and type checks
(``rec.get`` directly: in CPython 3.11 that beats a local alias). A value goes into a typed
``Event`` field only when it has the type the store expects; the record stays whole in
``raw``. Messages say what the columns do not: addresses and ports are in their own fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from askzero.logs.isotime import has_offset, iso_to_posix
from askzero.logs.record import MAX_RAW, Event

NAME = "eve"

KIND = {
    "alert": "alert", "drop": "drop", "anomaly": "anomaly", "flow": "flow", "dns": "dns",
    "http": "http", "tls": "tls", "fileinfo": "file", "ssh": "ssh", "stats": "stats",
}
TEXT_CAP = 2048  # characters of a free-text field (URL, user agent...) kept in ``extra``
MAX_ANSWERS = 32  # DNS answers or queries kept per record

# Suricata's protocol names; protocols without one are written as numbers ("006" or 6)
_PROTOS: dict[str, str] = {"TCP": "tcp", "UDP": "udp", "ICMP": "icmp", "IPV6-ICMP": "icmp6", "SCTP": "sctp"}
_BY_NUMBER = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmp6", 132: "sctp"}

Extra = dict[str, Any]


def proto_name(value: object) -> str | None:
    """Suricata's ``proto`` as ``Event.proto``: lower-case name, or the number as text."""
    if type(value) is str:
        known = _PROTOS.get(value)
        if known is None:
            if len(value) > 32:  # not a protocol name: keep it short and out of the cache
                return value[:32].lower()
            if value.isdigit() and value.isascii():
                number = int(value)
                known = _BY_NUMBER.get(number, str(number))
            else:
                known = value.lower()
            if len(_PROTOS) < 1000:
                _PROTOS[value] = known
        return known
    if type(value) is int:
        return _BY_NUMBER.get(value, str(value))
    return None


def build(rec: dict, number: int, offset: int, raw: str) -> Event:
    """The event of one EVE record (a JSON object) found at ``number``/``offset``."""
    event_type = rec.get("event_type")
    extra: Extra = {}
    stamp = rec.get("timestamp")
    time = iso_to_posix(stamp) if type(stamp) is str else None
    if time is None or len(stamp) != 31:
        _time_notes(stamp, time, extra)
    src, dst, sport, dport = rec.get("src_ip"), rec.get("dest_ip"), rec.get("src_port"), rec.get("dest_port")
    proto, flow_id, iface, host = rec.get("proto"), rec.get("flow_id"), rec.get("in_iface"), rec.get("host")
    # positional: about half the cost of keywords on this path (field order checked by a test)
    event = Event(
        NAME, KIND.get(event_type, "other") if type(event_type) is str else "other", time, number, offset,
        raw if len(raw) <= MAX_RAW else raw[:MAX_RAW],
        src if type(src) is str else None, dst if type(dst) is str else None,
        sport if type(sport) is int and 0 <= sport <= 65535 else None,  # a port, or not one
        dport if type(dport) is int and 0 <= dport <= 65535 else None,
        _PROTOS.get(proto) or proto_name(proto) if type(proto) is str else proto_name(proto),
        None, None, None, None, None, None,  # action, severity, signature, signature_id, category, rule
        iface if type(iface) is str else None, None,  # iface, direction
        host if type(host) is str else None, None,  # host, user
        str(flow_id) if type(flow_id) is int else None, None, extra,  # flow, message, extra
    )
    app_proto = rec.get("app_proto")
    if app_proto is not None:
        extra["app_proto"] = app_proto
    community = rec.get("community_id")
    if community is not None:
        extra["community_id"] = community
    _DETAIL.get(event.kind, _other)(event, rec, extra)
    return event


def _time_notes(stamp: object, time: float | None, extra: Extra) -> None:
    """What to say about a timestamp that is not the usual one."""
    if time is None:
        if stamp is not None:
            extra["bad_timestamp"] = str(stamp)[:64]
    elif type(stamp) is str and not has_offset(stamp):
        extra["tz"] = "assumed-utc"


# -- per event type -------------------------------------------------------------------------


def _alert(event: Event, rec: dict, extra: Extra) -> None:
    alert = rec.get("alert")
    if type(alert) is dict:
        _signature(event, alert)
    _embedded(rec, extra)
    event.message = f"alert {event.action or '?'}: {_rule(event)}{_detail(extra)}"


def _drop(event: Event, rec: dict, extra: Extra) -> None:
    alert = rec.get("alert")
    if type(alert) is dict:  # IPS mode can log the rule that dropped it
        _signature(event, alert)
    event.action = "blocked"  # the record exists because the packet was dropped
    drop = rec.get("drop")
    reason = drop.get("reason") if type(drop) is dict else None
    if reason is not None:
        extra["reason"] = reason
    rule = f" by {_rule(event)}" if event.signature_id else ""
    event.message = f"drop{rule}{f': {reason}' if reason is not None else ''}"


def _anomaly(event: Event, rec: dict, extra: Extra) -> None:
    anomaly = rec.get("anomaly")
    if type(anomaly) is dict:
        name = anomaly.get("event")
        if type(name) is str:
            event.signature = name  # groups anomalies the way signatures group alerts
        _copy(anomaly, extra, _ANOMALY_FIELDS)
    event.message = f"anomaly {event.signature or '?'} ({extra.get('anomaly_type', '?')})"


def _flow(event: Event, rec: dict, extra: Extra) -> None:
    flow = rec.get("flow")
    if type(flow) is dict:
        # the record's timestamp is when it was written, which can be before flow.start
        # (see the samples' FORMAT.md): the flow's own start is when it happened
        start, end = flow.get("start"), flow.get("end")
        began = iso_to_posix(start) if type(start) is str else None
        if began is not None:
            if event.time is not None:
                extra["logged"] = event.time
            event.time = began
        if type(end) is str:
            extra["end"] = iso_to_posix(end)
        _copy(flow, extra, _FLOW_FIELDS)
    pkts = _sum(extra.get("pkts_toserver"), extra.get("pkts_toclient"))
    size = _sum(extra.get("bytes_toserver"), extra.get("bytes_toclient"))
    reason = extra.get("reason")
    event.message = (f"flow {extra.get('app_proto') or event.proto or '?'}: {pkts} packets, {size} bytes, "
                     f"{extra.get('state', '?')}{f' ({reason})' if reason is not None else ''}")


def _dns(event: Event, rec: dict, extra: Extra) -> None:
    dns = rec.get("dns")
    if type(dns) is dict:
        _dns_fields(dns, extra)
    answers = extra.get("answers")
    rcode = extra.get("rcode")
    event.message = (f"dns {extra.get('dns_type', '?')} {extra.get('rrname', '?')} {extra.get('rrtype', '?')}"
                     f"{f' {rcode}' if rcode is not None else ''}"
                     f"{' -> ' + ' '.join(map(str, answers)) if answers else ''}")


def _http(event: Event, rec: dict, extra: Extra) -> None:
    http = rec.get("http")
    if type(http) is dict:
        _copy(http, extra, _HTTP_FIELDS)
    event.message = (f"http {extra.get('method', '?')} {extra.get('hostname', '')}{extra.get('url', '')}"
                     f" -> {extra.get('status', '?')}")


def _tls(event: Event, rec: dict, extra: Extra) -> None:
    tls = rec.get("tls")
    if type(tls) is dict:
        _tls_fields(tls, extra)
    subject = extra.get("subject")
    event.message = (f"tls {extra.get('version', '?')} sni {extra.get('sni', '?')}"
                     f"{f' subject {subject}' if subject is not None else ''}")


def _file(event: Event, rec: dict, extra: Extra) -> None:
    info = rec.get("fileinfo")
    if type(info) is dict:
        _copy(info, extra, _FILE_FIELDS)
    http = rec.get("http")
    if type(http) is dict:
        _copy(http, extra, _HTTP_FIELDS)
    host = extra.get("hostname")
    event.message = (f"file {extra.get('filename', '?')} ({extra.get('size', '?')} bytes, "
                     f"{extra.get('state', '?')}){f' from {host}' if host is not None else ''}")


def _ssh(event: Event, rec: dict, extra: Extra) -> None:
    ssh = rec.get("ssh")
    if type(ssh) is dict:
        _ssh_fields(ssh, extra)
    event.message = f"ssh client {extra.get('client_software', '?')} server {extra.get('server_software', '?')}"


def _stats(event: Event, rec: dict, extra: Extra) -> None:
    stats = rec.get("stats")
    if type(stats) is dict:
        extra["uptime"] = stats.get("uptime")
        for group, name, key in _STATS_FIELDS:
            values = stats.get(group)
            if type(values) is dict and name in values:
                extra[key] = values[name]
    event.message = (f"stats: uptime {extra.get('uptime', '?')} s, {extra.get('packets', '?')} packets, "
                     f"{extra.get('kernel_drops', '?')} kernel drops, {extra.get('alerts', '?')} alerts")


def _other(event: Event, rec: dict, extra: Extra) -> None:
    """Any other event type (smtp, ftp, smb, ...): its name, and what the common fields say."""
    event_type = rec.get("event_type")
    extra["event_type"] = event_type if type(event_type) is str else None
    alert = rec.get("alert")
    if type(alert) is dict:
        _signature(event, alert)
    _embedded(rec, extra)
    smtp = rec.get("smtp")
    if type(smtp) is dict:
        _copy(smtp, extra, _SMTP_FIELDS)
    mail = f" from {extra['mail_from']}" if "mail_from" in extra else ""
    event.message = f"{extra['event_type'] or 'record'}{mail}{_detail(extra)}"


_DETAIL: dict[str, Callable[[Event, dict, Extra], None]] = {
    "alert": _alert, "drop": _drop, "anomaly": _anomaly, "flow": _flow, "dns": _dns, "http": _http,
    "tls": _tls, "file": _file, "ssh": _ssh, "stats": _stats,
}

# -- fields shared by protocol records and the alerts that embed them ------------------------


def _signature(event: Event, alert: dict) -> None:
    action, signature, category = alert.get("action"), alert.get("signature"), alert.get("category")
    sid, severity = alert.get("signature_id"), alert.get("severity")
    event.action = action if type(action) is str else None
    event.signature = signature if type(signature) is str else None
    event.category = category if type(category) is str else None
    if type(sid) is int:
        event.signature_id = f"{alert.get('gid', 1)}:{sid}:{alert.get('rev', 0)}"
    if type(severity) is int:
        event.severity = 1 if severity < 1 else 4 if severity > 4 else severity


def _embedded(rec: dict, extra: Extra) -> None:
    """The protocol objects an alert (or another record) carries, into ``extra``."""
    dns, http, tls, info, ssh = rec.get("dns"), rec.get("http"), rec.get("tls"), rec.get("fileinfo"), rec.get("ssh")
    if type(dns) is dict:
        query, answer = dns.get("query"), dns.get("answer")
        if type(query) is list and query and type(query[0]) is dict:  # before Suricata 8
            dns = query[0]
        elif type(answer) is dict:  # an alert on a response, before Suricata 8
            dns = answer
        _dns_fields(dns, extra)
    if type(http) is dict:
        _copy(http, extra, _HTTP_FIELDS)
    if type(tls) is dict:
        _tls_fields(tls, extra)
    if type(info) is dict:
        _copy(info, extra, _FILE_FIELDS)
    if type(ssh) is dict:
        _ssh_fields(ssh, extra)


def _dns_fields(dns: dict, extra: Extra) -> None:
    """DNS in any of Suricata's versions: v1 (one record per answer, flat ``rdata``), v2
    (``answers`` array and/or ``grouped`` map), v3 (``request``/``response`` with ``queries``)."""
    kind, rrname, rrtype, rcode = dns.get("type"), dns.get("rrname"), dns.get("rrtype"), dns.get("rcode")
    if kind is not None:
        extra["dns_type"] = kind
    if rrname is None:
        queries = dns.get("queries")
        if type(queries) is list and queries and type(queries[0]) is dict:
            rrname, rrtype = queries[0].get("rrname"), queries[0].get("rrtype")
            if len(queries) > 1:
                extra["queries"] = [q.get("rrname") for q in queries[:MAX_ANSWERS] if type(q) is dict]
    if rrname is not None:
        extra["rrname"] = rrname if type(rrname) is not str or len(rrname) <= TEXT_CAP else rrname[:TEXT_CAP]
    if rrtype is not None:
        extra["rrtype"] = rrtype
    if rcode is not None:
        extra["rcode"] = rcode
    version = dns.get("version")
    if version is not None:
        extra["dns_version"] = version
    answers = dns.get("answers")
    if type(answers) is list:
        found = [a.get("rdata") for a in answers[:MAX_ANSWERS] if type(a) is dict and "rdata" in a]
    elif "rdata" in dns:
        found = [dns["rdata"]]
    else:
        grouped = dns.get("grouped")  # {"A": [...], "CNAME": [...]}
        found = ([v for values in grouped.values() if type(values) is list for v in values][:MAX_ANSWERS]
                 if type(grouped) is dict else None)
    if found:
        extra["answers"] = found


def _tls_fields(tls: dict, extra: Extra) -> None:
    _copy(tls, extra, _TLS_FIELDS)
    for key in ("ja3", "ja3s"):
        value = tls.get(key)
        if type(value) is dict:  # {"hash": ..., "string": ...}: the hash is what people match
            value = value.get("hash")
        if value is not None:
            extra[key] = value


def _ssh_fields(ssh: dict, extra: Extra) -> None:
    for side in ("client", "server"):
        peer = ssh.get(side)
        if type(peer) is dict:
            _copy(peer, extra, _SSH_FIELDS[side])
            hassh = peer.get("hassh")
            if type(hassh) is dict and "hash" in hassh:
                extra[f"{side}_hassh"] = hassh["hash"]


def _pairs(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, name) for name in names)


# (field in the EVE object, key in extra)
_HTTP_FIELDS = (("hostname", "hostname"), ("url", "url"), ("http_user_agent", "user_agent"),
                ("http_method", "method"), ("status", "status"))
_TLS_FIELDS = (*_pairs("sni", "version", "subject"), ("issuerdn", "issuer"), *_pairs("fingerprint", "ja4"))
_FILE_FIELDS = _pairs("filename", "size", "state", "magic", "sha256", "md5")
_SSH_FIELDS = {side: (("software_version", f"{side}_software"), ("proto_version", f"{side}_proto"))
               for side in ("client", "server")}
_SMTP_FIELDS = _pairs("helo", "mail_from", "rcpt_to")
_ANOMALY_FIELDS = (("type", "anomaly_type"), *_pairs("event", "layer", "code"))
_FLOW_FIELDS = _pairs("pkts_toserver", "pkts_toclient", "bytes_toserver", "bytes_toclient",
                      "age", "state", "reason", "alerted")
_STATS_FIELDS = (("decoder", "pkts", "packets"), ("capture", "kernel_packets", "kernel_packets"),
                 ("capture", "kernel_drops", "kernel_drops"), ("detect", "alert", "alerts"))


# -- small helpers ---------------------------------------------------------------------------


def _copy(source: dict, extra: Extra, names: tuple[tuple[str, str], ...]) -> None:
    for key, name in names:
        value = source.get(key)
        if value is not None:
            if type(value) is str and len(value) > TEXT_CAP:  # a megabyte URL need not be kept twice
                value = value[:TEXT_CAP]
            extra[name] = value


def _sum(a: object, b: object) -> object:
    return a + b if type(a) is int and type(b) is int else "?"


def _rule(event: Event) -> str:
    sid = f"[{event.signature_id}] " if event.signature_id else ""
    details = ", ".join(p for p in (event.category, f"severity {event.severity}" if event.severity else None) if p)
    return f"{sid}{event.signature or '(no signature)'}{f' ({details})' if details else ''}"


def _detail(extra: Extra) -> str:
    """The protocol facts an alert embeds, in a few words."""
    if "rrname" in extra:
        return f", dns {extra['rrname']}"
    if "hostname" in extra or "url" in extra:
        return f", http {extra.get('hostname', '')}{extra.get('url', '')}"
    if "sni" in extra:
        return f", tls sni {extra['sni']}"
    if "filename" in extra:
        return f", file {extra['filename']}"
    return ""
