"""Rules printed in pfctl's normalised form (``pfctl -nv``).

This covers the options the model holds; exact byte-for-byte conformance with the pfctl
regression suite is tracked by the conformance runner.
"""

from __future__ import annotations

from collections.abc import Callable

from askzero.pf.model import Address, PortRange, Rule, Translation
from askzero.pf.services import ICMP6_TYPES, ICMP_TYPES, PROTOCOL_NAMES, icmp_code_name, icmp_code_number, is_number

FLAG_ORDER = "FSRPAUEW"
SCRUB_ORDER = ("no-df", "random-id", "min-ttl", "set-tos", "max-mss", "reassemble")
ICMP_NAMES = {v: k for k, v in ICMP_TYPES.items()}
ICMP6_NAMES = {v: k for k, v in ICMP6_TYPES.items()}


def flags_text(flags: str) -> str:
    """TCP flags in pfctl's order (FSRPAUEW)."""
    return "".join(f for f in FLAG_ORDER if f in flags)


def icmp_type_text(value: str, v6: bool) -> str:
    names = ICMP6_NAMES if v6 else ICMP_NAMES
    return names.get(int(value), value) if is_number(value) else value


def _code(rule: Rule, v6: bool) -> str:
    table = ICMP6_TYPES if v6 else ICMP_TYPES
    kind = int(rule.icmp_type) if rule.icmp_type and is_number(rule.icmp_type) else table.get(rule.icmp_type or "", -1)
    af = "inet6" if v6 else "inet"
    number = icmp_code_number(af, kind, rule.icmp_code or "")
    return icmp_code_name(af, kind, number) if number is not None else str(rule.icmp_code)


def block_text(rule: Rule) -> str:
    """``block`` and its return mode; return-icmp shows its codes per family as pfctl does."""
    mode = rule.block_mode or "drop"
    if mode == "return-rst" and rule.return_codes:
        return f"block return-rst({' '.join(rule.return_codes)})"
    if mode not in ("return-icmp", "return-icmp6"):
        return f"block {mode}"
    codes = list(rule.return_codes) or []
    v4 = codes[0] if codes else "port-unr"
    v6 = codes[1] if len(codes) > 1 else (codes[0] if codes and rule.af == "inet6" else "port-unr")
    v4 = icmp_code_name("inet", 3, icmp_code_number("inet", 3, v4) or 0) if is_number(v4) else v4
    v6 = icmp_code_name("inet6", 1, int(v6)) if is_number(v6) else v6
    if rule.af == "inet":
        return f"block return-icmp({v4})"
    if rule.af == "inet6":
        return f"block return-icmp6({v6})"
    return f"block return-icmp({v4}, {v6})"


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


# After loading, pfctl -vvsr shows how many addresses a table or interface holds:
# <t:2>, (lo0:1), or * for none. ``Counter`` supplies that suffix for a rule's address.
Counter = Callable[[Address, Rule], str]


def address_text(addr: Address, count: str = "", af: str | None = None) -> str:
    neg = "! " if addr.negated else ""
    if addr.kind == "any":
        return f"{neg}any"
    if addr.kind in ("no-route", "urpf-failed"):
        return f"{neg}{addr.kind}"
    if addr.kind == "table":
        return f"{neg}<{addr.name}{count}>"
    if addr.kind == "dynamic":
        mod = f":{addr.modifier}" if addr.modifier else ""
        bits = f"/{addr.bits}" if addr.bits is not None and not (addr.bits > 32 and af == "inet") else ""
        return f"{neg}({addr.name}{mod}{count}){bits}"
    assert addr.net is not None
    if addr.kind == "range":
        return f"{neg}{addr.net.network_address} - {addr.name}"
    if addr.net.prefixlen == 0:  # 0/0 is any address (of its family)
        return f"{neg}any"
    full = addr.net.prefixlen == addr.net.max_prefixlen
    return f"{neg}{addr.net.network_address if full else addr.net}"


def port_text(port: PortRange) -> str:
    if port.op in (":", "><", "<>"):
        return f"{port.low} {port.op} {port.high}" if port.op != ":" else f"{port.low}:{port.high}"
    return f"{port.op} {port.low}"


def translation_text(tr: Translation, count: str = "") -> str:
    family = f"{tr.family} from " if tr.kind == "af-to" else ""
    out = f"{tr.kind} {family}{address_text(tr.address, count)}"
    if tr.destination is not None:
        out += f" to {address_text(tr.destination)}"
    if tr.port is not None:
        single = tr.port.op == "=" or (tr.port.op == ":" and tr.port.low == tr.port.high)
        out += f" port {tr.port.low}" if single else f" port {port_text(tr.port)}"
    def rank(option: str) -> int:
        word = option.split()[0]
        return POOL_ORDER.index(word) if word in POOL_ORDER else len(POOL_ORDER)

    options = sorted(tr.options, key=rank)
    pooled = tr.address.kind == "table" or (tr.address.kind == "dynamic" and tr.address.modifier != "0")
    if pooled and not any(o.split()[0] in POOL_ORDER[:5] for o in options):
        options.insert(0, "round-robin")  # pfctl's default pool type for several addresses
    return " ".join([out, *options])


LOG_ORDER = ("all", "matches", "user", "to")
POOL_ORDER = ("bitmask", "random", "source-hash", "round-robin", "least-states", "sticky-address", "static-port")
TRANSLATION_ORDER = ("divert-to", "af-to", "nat-to", "rdr-to", "binat-to", "route-to", "reply-to", "dup-to")


def _is_any(addr: Address) -> bool:
    if addr.negated:
        return False
    return addr.kind == "any" or (addr.kind == "net" and addr.net is not None and addr.net.prefixlen == 0)


def _log_options(options: tuple[str, ...]) -> list[str]:
    """log options in pfctl's order: all, matches, user, to pflogN."""
    out, words = [], list(options)
    while words:
        word = words.pop(0)
        out.append(f"to {words.pop(0)}" if word == "to" and words else word)
    return sorted(out, key=lambda o: LOG_ORDER.index(o.split()[0]) if o.split()[0] in LOG_ORDER else len(LOG_ORDER))


def default_flags(rule: Rule) -> tuple[str, str] | None:
    """pfctl gives stateful tcp pass rules ``flags S/SA`` unless told otherwise."""
    if rule.flags is not None:
        return rule.flags
    if rule.action != "pass" or rule.state == "no" or "flags any" in rule.other or "fragment" in rule.other:
        return None
    if rule.proto in (None, "tcp"):
        return ("S", "SA")
    return None


def rule_text(rule: Rule, counter: Counter | None = None) -> str:
    """The rule as ``pfctl -nv`` prints it; with ``counter``, as ``pfctl -vvsr`` after loading."""
    def addr(a: Address) -> str:
        return address_text(a, counter(a, rule) if counter else "", rule.af)

    words: list[str] = []
    if rule.action == "anchor":
        words.append(f'anchor "{rule.anchor_name}"' if rule.anchor_name and not rule.anchor_name.startswith("_") else "anchor")
    elif rule.action == "block":
        words.append(block_text(rule))
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
        if is_number(proto):
            proto = PROTOCOL_NAMES.get(int(proto), proto)
        words.append(f"proto {proto}")
    if _is_any(rule.src) and _is_any(rule.dst) and rule.src_port is None and rule.dst_port is None:
        words.append("all")
    else:
        words.append(f"from {addr(rule.src)}")
        if rule.src_port:
            words.append(f"port {port_text(rule.src_port)}")
        words.append(f"to {addr(rule.dst)}")
        if rule.dst_port:
            words.append(f"port {port_text(rule.dst_port)}")
    if rule.received_on:
        words.append(f"{'!' if rule.received_on_negated else ''}received-on {rule.received_on}")
    if rule.user:
        words.append(f"user {rule.user}")
    if rule.group:
        words.append(f"group {rule.group}")
    flags = default_flags(rule)
    if flags:
        words.append(f"flags {flags_text(flags[0])}/{flags_text(flags[1])}")
    elif "flags any" in rule.other and rule.action in ("pass", "match") and rule.state != "no":
        words.append("flags any")
    if rule.icmp_type:
        v6 = rule.icmp6
        kw = "icmp6-type" if v6 else "icmp-type"
        words.append(f"{kw} {icmp_type_text(rule.icmp_type, v6)}" + (f" code {_code(rule, v6)}" if rule.icmp_code else ""))
    if rule.tos:
        words.append(f"tos {rule.tos}")
    if rule.set_options:
        words.append(f"set ({', '.join(rule.set_options)})")
    if rule.state == "no" and rule.action == "pass":
        words.append("no state")
    elif rule.state in ("modulate", "synproxy") and rule.proto in (None, "tcp"):
        words.append(f"{rule.state} state")
    elif rule.state_options:
        words.append("keep state")
    if rule.probability_text:
        words.append(f"probability {rule.probability_text}")
    if rule.state_options:
        words.append(f"({', '.join(rule.state_options)})")
    if rule.scrub:
        words.append(f"scrub ({scrub_text(rule.scrub)})")
    for option in ("fragment", "allow-opts"):
        if option in rule.other:
            words.append(option)
    if rule.label:
        words.append(f'label "{rule.label}"')
    if "once" in rule.other:
        words.append("once")
    if rule.tag:
        words.append(f"tag {rule.tag}")
    if rule.tagged:
        words.append(f"{'! ' if rule.tagged_negated else ''}tagged {rule.tagged}")
    words.extend(o for o in rule.other if o.split()[0] in ("rtable", "max-pkt-rate", "queue"))
    ordered = sorted(rule.translations, key=lambda t: TRANSLATION_ORDER.index(t.kind))
    divert = [t for t in ordered if t.kind == "divert-to"]
    words.extend(translation_text(t, counter(t.address, rule) if counter else "") for t in divert)
    words.extend(o for o in rule.other if o.split()[0] in ("divert-packet", "divert-reply"))
    words.extend(translation_text(t, counter(t.address, rule) if counter else "") for t in ordered if t not in divert)
    return " ".join(words)
