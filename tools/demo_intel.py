"""The demo site's threat intelligence: an OpenCTI STIX 2.1 export and a CSV blocklist.

Used by make_demo.py. The indicators of the pf table file etc/pf/threat_feeds.txt (what
feed2pf exported at 02:15 with minimum confidence 70) appear here with the same ids; the
bundle also holds what feed2pf did not export (a domain, a URL, low-confidence scanners,
an expired indicator), so that lookups can show why.
"""

from __future__ import annotations

import uuid
from typing import Any

NAMESPACE = uuid.UUID("6b1d3c9e-2f4a-4f0e-9d51-7a3e0c2b8f41")
OPENCTI_EXT = "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba"
TLP_AMBER = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
C2_DOMAIN = "sync.telemetry-cdn.example"

# (indicator id, value, label, confidence) exactly as in etc/pf/threat_feeds.txt
TABLE_INDICATORS = (
    ("indicator--2f0c7a4e-5b1d-4e8e-9a55-0d8c2f1b7a10", "198.18.7.0/24", "scanner", 75),
    ("indicator--7d2b9c61-3f4e-4c1a-8f0b-6a2e91d4c5e3", "203.0.113.7", "c2-server", 85),
    ("indicator--a1e5f3d2-9c8b-4a7e-b6d5-3c2b1a0f9e8d", "203.0.113.64/26",
     "bulletproof-hosting", 70),
    ("indicator--5c4b3a29-1807-4f6e-9d5c-4b3a2918f7e6", "198.51.100.200", "phishing", 80),
    ("indicator--e9d8c7b6-a5f4-4e3d-8c2b-1a0f9e8d7c6b", "2001:db8:bad::/48", "c2-server", 90),
)

_DESCRIPTIONS = {
    "198.18.7.0/24": "Mass-scanning range: RDP and SMB sweeps against utilities' perimeter "
                     "hosts, seen by the sector honeypots since October.",
    "203.0.113.7": "Command-and-control server (Cobalt Strike team server) used against "
                   f"water-sector victims; beacons over TLS on 443 with SNI {C2_DOMAIN}. "
                   "The same host brute-forces SSH on exposed firewalls.",
    "203.0.113.64/26": "Bulletproof hosting netblock; hosts RDP brute-force and loader "
                       "infrastructure. 203.0.113.66 is a known partner endpoint.",
    "198.51.100.200": "Phishing kit host serving fake Microsoft 365 login pages to staff "
                      "of regional utilities.",
    "2001:db8:bad::/48": "IPv6 range of the same command-and-control operator "
                         "(Cobalt Strike redirectors).",
}

_CREATED = {
    "198.18.7.0/24": "2026-10-14T09:12:40.000Z",
    "203.0.113.7": "2026-11-20T02:11:38.000Z",
    "203.0.113.64/26": "2026-09-30T16:45:02.000Z",
    "198.51.100.200": "2026-11-02T08:20:11.000Z",
    "2001:db8:bad::/48": "2026-11-12T13:05:57.000Z",
}
_UNTIL = {
    "198.18.7.0/24": "2027-01-12T09:12:40.000Z",
    "203.0.113.7": "2027-02-18T02:11:38.000Z",
    "203.0.113.64/26": "2027-03-30T16:45:02.000Z",
    "198.51.100.200": "2026-12-02T08:20:11.000Z",
    "2001:db8:bad::/48": "2027-02-10T13:05:57.000Z",
}


def _sid(kind: str, key: str) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, kind + ':' + key)}"


IDENTITY = _sid("identity", "north-river-cert")


def _indicator(
    ident: str, pattern: str, name: str, labels: list[str], confidence: int, created: str,
    valid_until: str, description: str, observable: str, detection: bool = True,
) -> dict[str, Any]:
    internal = str(uuid.uuid5(NAMESPACE, "opencti:" + ident))
    return {
        "id": ident,
        "spec_version": "2.1",
        "revoked": False,
        "confidence": confidence,
        "created": created,
        "modified": created,
        "pattern_type": "stix",
        "pattern": pattern,
        "name": name,
        "description": description,
        "valid_from": created,
        "valid_until": valid_until,
        "x_opencti_score": confidence,
        "x_opencti_detection": detection,
        "x_opencti_main_observable_type": observable,
        "labels": labels,
        "x_opencti_id": internal,
        "x_opencti_type": "Indicator",
        "type": "indicator",
        "created_by_ref": IDENTITY,
        "object_marking_refs": [TLP_AMBER],
        "extensions": {
            OPENCTI_EXT: {
                "extension_type": "property-extension",
                "id": internal,
                "type": "Indicator",
                "created_at": created,
                "updated_at": created,
                "is_inferred": False,
                "score": confidence,
                "detection": detection,
                "main_observable_type": observable,
            }
        },
    }


def _relationship(kind: str, src: str, dst: str, created: str) -> dict[str, Any]:
    return {
        "id": _sid("relationship", f"{kind}:{src}:{dst}"),
        "spec_version": "2.1",
        "created": created,
        "modified": created,
        "relationship_type": kind,
        "source_ref": src,
        "target_ref": dst,
        "confidence": 85,
        "type": "relationship",
        "created_by_ref": IDENTITY,
        "object_marking_refs": [TLP_AMBER],
    }


def stix_bundle() -> dict[str, Any]:
    """The OpenCTI export the 02:15 feed refresh read."""
    objects: list[dict[str, Any]] = [
        {
            "id": TLP_AMBER,
            "spec_version": "2.1",
            "created": "2017-01-20T00:00:00.000Z",
            "definition_type": "TLP",
            "name": "TLP:AMBER",
            "definition": {"tlp": "amber"},
            "x_opencti_order": 3,
            "x_opencti_color": "#ffc000",
            "type": "marking-definition",
        },
        {
            "id": IDENTITY,
            "spec_version": "2.1",
            "identity_class": "organization",
            "name": "North River Regional CERT",
            "description": "Regional CERT for the water and wastewater sector; runs the "
                           "OpenCTI instance that member utilities pull indicators from.",
            "created": "2025-03-04T10:00:00.000Z",
            "modified": "2026-06-01T08:30:00.000Z",
            "type": "identity",
        },
    ]
    for ident, value, label, confidence in TABLE_INDICATORS:
        observable = "IPv6-Addr" if ":" in value else "IPv4-Addr"
        objects.append(_indicator(
            ident, f"[{observable.lower()}:value = '{value}']", value, [label], confidence,
            _CREATED[value], _UNTIL[value], _DESCRIPTIONS[value], observable,
        ))
    domain_ind = _sid("indicator", "domain:" + C2_DOMAIN)
    objects.append(_indicator(
        domain_ind, f"[domain-name:value = '{C2_DOMAIN}']", C2_DOMAIN, ["c2-server"], 85,
        "2026-11-20T02:11:38.000Z", "2027-02-18T02:11:38.000Z",
        "TLS SNI of the Cobalt Strike command-and-control server at 203.0.113.7.",
        "Domain-Name",
    ))
    url = f"https://{C2_DOMAIN}/jquery-3.3.1.min.js"
    objects.append(_indicator(
        _sid("indicator", "url:" + url), f"[url:value = '{url}']", url, ["c2-server"], 75,
        "2026-11-20T02:11:38.000Z", "2027-02-18T02:11:38.000Z",
        "Beacon check-in URL of the Cobalt Strike malleable profile (jQuery disguise).",
        "Url",
    ))
    objects.append(_indicator(
        _sid("indicator", "scanners:198.51.100.77+198.51.100.143"),
        "[ipv4-addr:value = '198.51.100.77' OR ipv4-addr:value = '198.51.100.143']",
        "Opportunistic scanners (telnet, SMB, RDP)", ["scanner"], 40,
        "2026-11-18T14:02:19.000Z", "2026-12-18T14:02:19.000Z",
        "Internet-wide scanners seen by the sector honeypots; low confidence, "
        "not for blocking.", "IPv4-Addr", detection=False,
    ))
    objects.append(_indicator(
        _sid("indicator", "expired:198.51.100.99"), "[ipv4-addr:value = '198.51.100.99']",
        "198.51.100.99", ["malicious-activity"], 75,
        "2026-07-03T11:40:00.000Z", "2026-10-01T11:40:00.000Z",
        "Former Emotet loader host; taken down in September.", "IPv4-Addr", detection=False,
    ))
    malware = _sid("malware", "cobalt-strike")
    infra = _sid("infrastructure", "c2-203.0.113.7")
    address = _sid("ipv4-addr", "203.0.113.7")
    c2_indicator = TABLE_INDICATORS[1][0]
    created = "2026-11-20T02:11:38.000Z"
    objects += [
        {
            "id": malware,
            "spec_version": "2.1",
            "created": "2025-05-12T09:00:00.000Z",
            "modified": "2026-11-20T02:11:38.000Z",
            "name": "Cobalt Strike",
            "description": "Commercial adversary-simulation framework; its Beacon payload "
                           "is the implant most often seen in the sector's intrusions.",
            "malware_types": ["remote-access-trojan"],
            "is_family": True,
            "type": "malware",
            "created_by_ref": IDENTITY,
            "object_marking_refs": [TLP_AMBER],
        },
        {
            "id": infra,
            "spec_version": "2.1",
            "created": created,
            "modified": created,
            "name": f"Cobalt Strike team server 203.0.113.7 ({C2_DOMAIN})",
            "description": "Command-and-control server of the November 2026 campaign "
                           "against water utilities.",
            "infrastructure_types": ["command-and-control"],
            "first_seen": "2026-11-19T21:30:00.000Z",
            "type": "infrastructure",
            "created_by_ref": IDENTITY,
            "object_marking_refs": [TLP_AMBER],
        },
        {
            "id": address,
            "spec_version": "2.1",
            "value": "203.0.113.7",
            "x_opencti_score": 85,
            "type": "ipv4-addr",
            "object_marking_refs": [TLP_AMBER],
        },
        _relationship("based-on", c2_indicator, address, created),
        _relationship("indicates", c2_indicator, malware, created),
        _relationship("indicates", domain_ind, malware, created),
        _relationship("beacons-to", malware, infra, created),
        _relationship("consists-of", infra, address, created),
    ]
    return {"type": "bundle", "id": _sid("bundle", "export-2026-11-20T02:15"),
            "objects": objects}


BLOCKLIST_CSV = """\
indicator,type,label,confidence,first_seen,source
203.0.113.7,ipv4,c2,90,2026-11-19T23:41:00Z,watershare-isac
sync.telemetry-cdn.example,domain,c2,80,2026-11-19T23:41:00Z,watershare-isac
198.51.100.200,ipv4,phishing,70,2026-11-02T08:15:00Z,phish-watch
198.18.7.0/24,cidr,scanner,60,2026-10-28T00:00:00Z,honeypot-net
198.51.100.143,ipv4,scanner,55,2026-11-18T14:02:00Z,honeypot-net
203.0.113.99,ipv4,rdp-bruteforce,65,2026-11-16T19:27:00Z,honeypot-net
"""
