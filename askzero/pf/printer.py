"""Rules printed in pfctl's normalised form (``pfctl -nv``).

This covers the options the model holds; exact byte-for-byte conformance with the pfctl
regression suite is tracked by the conformance runner.
"""

from __future__ import annotations

from askzero.pf.model import Address, PortRange, Rule, Translation
from askzero.pf.services import ICMP6_TYPES, ICMP_TYPES, PROTOCOLS

FLAG_ORDER = "FSRPAUEW"
SCRUB_ORDER = ("no-df", "min-ttl", "max-mss", "random-id", "reassemble")
ICMP_NAMES = {v: k for k, v in ICMP_TYPES.items()}
ICMP6_NAMES = {v: k for k, v in ICMP6_TYPES.items()}


def flags_text(flags: str) -> str:
    """TCP flags in pfctl's order (FSRPAUEW)."""
    return "".join(f for f in FLAG_ORDER if f in flags)


def icmp_type_text(value: str, v6: bool) -> str:
    names = ICMP6_NAMES if v6 else ICMP_NAMES
    return names.get(int(value), value) if value.isdigit() else value


def scrub_text(options: tuple[str, ...]) -> str:
    """scrub options in pfctl's order, each with its argument."""
    pairs: list[tuple[str, str]] = []
    words = list(options)
    while words:
        key = words.pop(0)
        if key in ("min-ttl", "max-mss", "reassemble", "set-tos") and words:
            pairs.append((key, f"{key} {words.pop(0)}"))
        else:
            pairs.append((key, key))
    rank = {k: i for i, k in enumerate(SCRUB_ORDER)}
    return " ".join(text for _, text in sorted(pairs, key=lambda p: rank.get(p[0], len(rank))))


def address_text(addr: Address) -> str:
    neg = "! " if addr.negated else ""
    if addr.kind == "any":
        return f"{neg}any"
    if addr.kind in ("no-route", "urpf-failed"):
        return f"{neg}{addr.kind}"
    if addr.kind == "table":
        return f"{neg}<{addr.name}>"
    if addr.kind == "dynamic":
        mod = f":{addr.modifier}" if addr.modifier else ""
        return f"{neg}({addr.name}{mod})"
    assert addr.net is not None
    full = addr.net.prefixlen == addr.net.max_prefixlen
    return f"{neg}{addr.net.network_address if full else addr.net}"


def port_text(port: PortRange) -> str:
    if port.op in (":", "><", "<>"):
        return f"{port.low} {port.op} {port.high}" if port.op != ":" else f"{port.low}:{port.high}"
    return f"{port.op} {port.low}"


def translation_text(tr: Translation) -> str:
    out = f"{tr.kind} {address_text(tr.address)}"
    if tr.port is not None:
        out += f" port {tr.port.low}" if tr.port.op == "=" else f" port {port_text(tr.port)}"
    return " ".join([out, *tr.options])


def _log_options(options: tuple[str, ...]) -> list[str]:
    out, words = [], list(options)
    while words:
        word = words.pop(0)
        out.append(f"to {words.pop(0)}" if word == "to" and words else word)
    return out


def default_flags(rule: Rule) -> tuple[str, str] | None:
    """pfctl gives stateful tcp pass rules ``flags S/SA`` unless told otherwise."""
    if rule.flags is not None:
        return rule.flags
    if rule.action != "pass" or rule.state == "no" or "flags any" in rule.other:
        return None
    if rule.proto in (None, "tcp"):
        return ("S", "SA")
    return None


def rule_text(rule: Rule) -> str:
    words: list[str] = []
    if rule.action == "anchor":
        words.append(f'anchor "{rule.anchor_name}"' if rule.anchor_name and not rule.anchor_name.startswith("_") else "anchor")
    elif rule.action == "block":
        words.append(f"block {rule.block_mode or 'drop'}")
    else:
        words.append(rule.action)
    if rule.direction:
        words.append(rule.direction)
    if rule.log:
        words.append(f"log ({', '.join(_log_options(rule.log_options))})" if rule.log_options else "log")
    if rule.quick:
        words.append("quick")
    if rule.interface:
        words.append(f"on {'! ' if rule.interface_negated else ''}{rule.interface}")
    if rule.af:
        words.append(rule.af)
    if rule.proto:
        proto = "ipv6-icmp" if rule.proto == "icmp6" else rule.proto
        words.append(f"proto {proto if proto in PROTOCOLS else proto}")
    if rule.src.kind == "any" and not rule.src.negated and rule.dst.kind == "any" and not rule.dst.negated \
            and rule.src_port is None and rule.dst_port is None:
        words.append("all")
    else:
        words.append(f"from {address_text(rule.src)}")
        if rule.src_port:
            words.append(f"port {port_text(rule.src_port)}")
        words.append(f"to {address_text(rule.dst)}")
        if rule.dst_port:
            words.append(f"port {port_text(rule.dst_port)}")
    if rule.user:
        words.append(f"user {rule.user}")
    if rule.group:
        words.append(f"group {rule.group}")
    flags = default_flags(rule)
    if flags:
        words.append(f"flags {flags_text(flags[0])}/{flags_text(flags[1])}")
    if rule.icmp_type:
        v6 = rule.icmp6
        kw = "icmp6-type" if v6 else "icmp-type"
        words.append(f"{kw} {icmp_type_text(rule.icmp_type, v6)}" + (f" code {rule.icmp_code}" if rule.icmp_code else ""))
    if rule.tagged:
        words.append(f"{'! ' if rule.tagged_negated else ''}tagged {rule.tagged}")
    if rule.state in ("modulate", "synproxy"):
        words.append(f"{rule.state} state")
    elif rule.state == "no" and rule.action == "pass":
        words.append("no state")
    if rule.scrub:
        words.append(f"scrub ({scrub_text(rule.scrub)})")
    words.extend(o for o in rule.other if o != "flags any")
    if rule.tag:
        words.append(f"tag {rule.tag}")
    if rule.label:
        words.append(f'label "{rule.label}"')
    words.extend(translation_text(t) for t in rule.translations)
    return " ".join(words)
