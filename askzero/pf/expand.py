"""pfctl's rule expansion: every combination of the lists in a rule, each checked.

A combination that pf could never load (a port on a protocol without ports, ICMP of the
wrong family) is skipped with pfctl's messages; a rule left with no combination at all is
an error of its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace

from askzero.pf.model import Rule, Translation
from askzero.pf.printer import address_text

NO_COMBINATION = "rule expands to no valid combination"
ROUTING = ("route-to", "reply-to", "dup-to")
MAX_COMBINATIONS = 100_000
SKIPPING = "skipping rule due to errors"


def combination_problems(rule: Rule) -> list[str]:
    """What pfctl's rule_consistent() says of one expanded rule."""
    problems = [f"\0{a.modifier}" for a in (rule.src, rule.dst) if a.kind == "invalid"]
    if (rule.src_port or rule.dst_port) and rule.proto not in ("tcp", "udp", "6", "17"):
        problems.append("port only applies to tcp/udp")
    if rule.proto == "icmp" and rule.af == "inet6":
        problems.append("proto icmp doesn't match address family inet6")
    if rule.proto in ("icmp6", "ipv6-icmp") and rule.af == "inet":
        problems.append("proto icmp6 doesn't match address family inet")
    if rule.icmp_type is not None:
        wanted = "icmp6" if rule.icmp6 else "icmp"
        proto = "icmp6" if rule.proto in ("icmp6", "ipv6-icmp") else rule.proto
        if proto != wanted:
            problems.append("icmp-type mismatch")
    afto = next((t for t in rule.translations if t.kind == "af-to"), None)
    if afto is not None and rule.af == afto.family:
        problems.append("must indicate different address family with af-to")
    pools = {t.kind for t in rule.translations} & {"nat-to", "rdr-to", "binat-to", "af-to"}
    if pools and rule.action != "match" and (rule.action != "pass" or rule.state == "no"):
        problems.append("nat-to and rdr-to require keep state")
    if pools - {"binat-to"} and rule.direction is None:  # binat-to is given its directions later
        problems.append("nat-to and rdr-to require a direction")
    if afto is not None and rule.action == "match":
        problems.append("af-to is not supported on match rules")
    return problems


def derive(base: Rule, **changes: object) -> Rule:
    """A copy of ``base`` with ``changes``: dataclasses.replace re-runs __init__ over fifty
    fields, which dominated expanding large rulesets."""
    rule = Rule.__new__(Rule)
    rule.__dict__.update(base.__dict__)
    rule.__dict__.update(changes)
    return rule


def _mismatched(translations: tuple[Translation, ...], af: str | None) -> list[Translation]:
    """Translations none of whose addresses is of family ``af``."""
    if af is None:
        return []
    return [tr for tr in translations if tr.kind not in ("divert-to", "af-to") and tr.candidates
            and all(a.af not in (None, af) for a in tr.candidates)]


def binat_problems(rule: Rule) -> list[str]:
    """pfctl's checks of a binat-to rule: two plain addresses with the same mask."""
    binat = next((t for t in rule.translations if t.kind == "binat-to"), None)
    if binat is None:
        return []
    src, target = rule.src, binat.address
    problems = []
    if src.kind == "dynamic" and "0" not in src.modifier.split(":"):
        problems.append(f"invalid use of interface ({src.name}) as the source address of a binat-to rule")
    if any(a.kind == "dynamic" and "0" not in a.modifier.split(":") for a in (src, target)):
        problems.append("dynamic interfaces must be used with :0 in a binat-to rule")
    if problems:
        return problems
    if src.kind not in ("net", "dynamic") or target.kind not in ("net", "dynamic"):
        problems.append("binat-to requires a specified source and redirect address")
    if target.kind == "table" or (src.net is not None and target.net is not None
                                  and src.net.prefixlen != target.net.prefixlen):
        problems.append("source and redir addresess must have a matching network mask in binat-rule")
    if target.kind == "table":
        problems.append("tables cannot be used as the redirect address of a binat-to rule")
    return problems


def split_binat(rule: Rule) -> list[Rule]:
    """``binat-to`` is loaded as two rules: nat-to outbound, rdr-to back inbound."""
    binat = next((t for t in rule.translations if t.kind == "binat-to"), None)
    if binat is None:
        return [rule]
    others = tuple(t for t in rule.translations if t is not binat)
    options = binat.options if "static-port" in binat.options else (*binat.options, "static-port")
    out = replace(rule, direction="out", translations=(*others, replace(binat, kind="nat-to", options=options)))
    back = replace(binat, kind="rdr-to", address=replace(rule.src, negated=False), options=())
    inbound = replace(rule, direction="in", src=rule.dst, src_port=None, dst=replace(binat.address, negated=False),
                      dst_port=None, translations=(*others, back))
    return [out, inbound]


# Makes the table pfctl loads for a pool of several addresses; returns the translation using it.
Pool = Callable[[Translation, Rule], Translation]


def expand_rule(base: Rule, interfaces: list, protos: list, srcs: list, sports: list, dsts: list,
                dports: list, icmp_types: list | None = None,
                pool: Pool | None = None) -> tuple[list[Rule], list[str]]:
    """The rules pfctl loads for ``base`` in its loop order, and the messages it prints."""
    rules: list[Rule] = []
    messages: list[str] = []
    mixed = any(len({a.af for a in hosts if a.af}) > 1 for hosts in (srcs, dsts))
    size = 1
    for part in (interfaces, protos, icmp_types or [None], srcs, sports, dsts, dports, base.users or [None],
                 base.groups or [None]):
        size *= len(part)
    if size > MAX_COMBINATIONS:  # untrusted input is bounded: no statement may become a million rules
        return [], [f"rule expands to {size} combinations, more than {MAX_COMBINATIONS}"]
    combos = itertools.product(interfaces, protos, icmp_types or [(None, None)], srcs, sports, dsts, dports,
                               base.users or [base.user], base.groups or [base.group])
    for (ifname, ifneg), proto, (icmp_type, icmp_code), src, sport, dst, dport, user, group in combos:
        if base.af and any(t.kind not in ROUTING for t in _mismatched(base.translations, base.af)):
            messages.append("af mismatch in translation spec")  # the rule's own family: no skipping
            continue
        af = base.af
        conflict = False
        for addr in (src, dst):
            if addr.af is not None:
                if af is None:
                    af = addr.af
                elif af != addr.af:
                    conflict = True
        if conflict:
            continue
        translations = []
        for tr in base.translations:
            if tr.kind == "af-to":  # its addresses are in the target family; the rule's is the other
                af = af or ("inet" if tr.family == "inet6" else "inet6")
                translations.append(tr)
                continue
            usable = [a for a in tr.candidates if af is None or a.af in (None, af)] or list(tr.candidates)
            if usable and af is None and usable[0].af is not None:
                af = usable[0].af
            if tr.port is not None and tr.port.high == -1:  # port N:* spans the rule's port range
                width = dport.high - dport.low if dport is not None and dport.op == ":" and dport.high else 0
                tr = replace(tr, port=replace(tr.port, high=tr.port.low + width))
            if usable:
                tr = replace(tr, address=usable[0], candidates=tuple(usable))
            if pool is not None and len(usable) > 1 and tr.kind != "divert-to":
                tr = pool(tr, base)  # made before the family check, as pfctl does
            translations.append(tr)
        problems = []
        mismatched = _mismatched(base.translations, af)
        if mismatched:
            if mixed:  # a list of both families: pfctl quietly keeps the combinations that fit
                continue
            routing = mismatched[0].kind in ROUTING
            problems.append(f"af mismatch in {'routing' if routing else 'translation'} spec")
        if ifname is None and (src.scope or dst.scope):
            ifname = src.scope or dst.scope  # pfctl takes the interface from a scoped address
        flags = base.flags if proto in (None, "tcp") else None
        rule = derive(base, interface=ifname, interface_negated=ifneg, proto=proto, af=af, src=src,
                      src_port=sport, dst=dst, dst_port=dport, icmp_type=icmp_type, icmp_code=icmp_code,
                      flags=flags, translations=tuple(translations), user=user, group=group, users=(), groups=())
        problems += combination_problems(rule) + binat_problems(rule)
        if problems:
            messages += problems + [SKIPPING]
            continue
        rules.extend(split_binat(rule))
    if not rules:
        messages.append(NO_COMBINATION)
    return rules, messages


def expand_label_macros(rule: Rule, nr: int) -> None:
    """pfctl's $nr, $if, $proto, $srcaddr, $srcport, $dstaddr, $dstport in labels and tags."""
    if not any(text and "$" in text for text in (rule.label, rule.tag, rule.tagged)):
        return

    def port(p: object) -> str:
        if p is None:
            return ""
        if p.op == "=":  # type: ignore[attr-defined]
            return str(p.low)  # type: ignore[attr-defined]
        if p.op == ":":  # type: ignore[attr-defined]
            return ""  # pfctl leaves inclusive ranges out of labels
        if p.high is not None:  # type: ignore[attr-defined]
            return f"{p.low}{p.op}{p.high}"  # type: ignore[attr-defined]
        return f"{p.op}{p.low}"  # type: ignore[attr-defined]

    values = {
        "nr": str(nr), "if": rule.interface or "any", "proto": rule.proto or "ip",
        "srcaddr": address_text(rule.src), "srcport": port(rule.src_port),
        "dstaddr": address_text(rule.dst), "dstport": port(rule.dst_port),
    }
    for attr in ("label", "tag", "tagged"):
        text = getattr(rule, attr)
        if text and "$" in text:
            for name in sorted(values, key=len, reverse=True):
                text = text.replace(f"${name}", values[name])
            setattr(rule, attr, text)
