"""BGP route questions: is this prefix accepted from (or sent to) a neighbor, and why?

The site's bgpd.conf is evaluated as bgpd's filters would (askzero.bgp.evaluate); each
neighbor named in the question, or every neighbor when none is, gets its decision with the
deciding rule's file and line. What the question does not say (AS path, communities) is
assumed empty, and the evaluator reports each assumption a rule depended on.
"""

from __future__ import annotations

import re

from askzero.assistant.context import SiteContext
from askzero.errors import AskZeroError
from askzero.evidence import Citation, Evidence

AS_PATH_RE = re.compile(r"\bas[- ]?path\s+((?:\d+\s*)+)", re.I)
ORIGIN_AS_RE = re.compile(r"\b(?:origin(?:ated)?(?: by)?|from)\s+AS\s?(\d+)\b", re.I)
OUTBOUND_RE = re.compile(r"\b(announce\w*|advertis\w*|sent|send|export\w*|leak\w*|to (?:the )?neighbou?r)\b", re.I)


def neighbors_named(ctx: SiteContext, question: str, prefix: str) -> list[str]:
    """Neighbors the question names: by address or by description; every one when none."""
    conf = ctx.bgp
    named = []
    for peer in conf.neighbors():
        address = peer.address
        if address and address != prefix.split("/")[0] and re.search(rf"(?<![\d.]){re.escape(address)}(?![\d.])", question):
            named.append(address)
        elif peer.descr and re.search(rf"\b{re.escape(peer.descr)}\b", question, re.I):
            named.append(address)
    return named or [p.address for p in conf.neighbors() if not p.template]


def route_check(ctx: SiteContext, prefix: str, question: str = "") -> list[Evidence]:
    """Tool: the filter decision for PREFIX from (or to) the neighbors the question names."""
    from askzero.bgp.evaluate import evaluate
    from askzero.bgp.update import parse_update

    if ctx.site.bgpd_conf is None:
        return []
    conf = ctx.bgp
    direction = "to" if OUTBOUND_RE.search(question) else "from"
    path = AS_PATH_RE.search(question)
    origin = ORIGIN_AS_RE.search(question)
    as_words = path.group(1).split() if path else ([origin.group(1)] if origin else [])
    out: list[Evidence] = []
    for neighbor in neighbors_named(ctx, question, prefix):
        path_words, assumed_path = as_words, ""
        peer_conf = conf.neighbor(neighbor)
        if not path_words and direction == "from" and peer_conf is not None and peer_conf.remote_as:
            # a route received over eBGP starts with the neighbor's AS; with nothing else said,
            # the neighbor is taken as its origin, and the answer says so
            path_words = [str(peer_conf.remote_as)]
            assumed_path = f"AS path {peer_conf.remote_as} (the neighbor originates it; the question gives no path)"
        words = f"{direction} {neighbor} prefix {prefix}" + (f" as-path {' '.join(path_words)}" if path_words else "")
        try:
            result = evaluate(conf, parse_update(words))
        except AskZeroError as exc:
            out.append(Evidence("uncertain", f"Uncertain: cannot evaluate `{words}`: {exc}.",
                                Citation(ctx.site.cite(ctx.site.bgpd_conf)), {}))
            continue
        peer = result.neighbor
        name = f"{peer.address} ({peer.descr})" if peer.descr else peer.address
        verb = "accepts" if result.decision == "allow" else "rejects"
        way = "from" if direction == "from" else "towards"
        if result.rule is not None:
            hit = result.rule.to_dict()
            cite = Citation(hit["file"], hit["line"])
            why = f"by rule `{hit['text'].strip()}` ({cite})"
        else:
            cite = Citation(ctx.site.cite(ctx.site.bgpd_conf))
            why = "by default: no allow or deny rule matches, and bgpd denies what no rule allows"
        assumptions = ([assumed_path] if assumed_path else []) + list(result.uncertain)
        assumed = f" Assumed: {'; '.join(assumptions)}." if assumptions else ""
        out.append(Evidence(
            "bgp_route", f"bgpd {verb} {prefix} {way} {name} {why}.{assumed}", cite,
            {"decision": result.decision, "neighbor": peer.address, "prefix": prefix,
             "direction": direction, "certain": result.decision_certain}))
    return out
