"""The bgpd.conf engine: parse and print configurations as OpenBGPD's ``bgpd -nv`` does.

Pure code: no I/O beyond reading the files a configuration names, no third-party imports.
"""

from __future__ import annotations

from askzero.bgp.model import BgpConfig, FilterRule, Peer, Source
from askzero.bgp.parser import (BgpParser, Resolver, parse_bgp, parse_bgp_text, plain_resolver,
                                rooted_resolver)
from askzero.bgp.printer import print_config

__all__ = ["BgpConfig", "BgpParser", "FilterRule", "Peer", "Resolver", "Source", "parse_bgp",
           "parse_bgp_text", "plain_resolver", "print_config", "rooted_resolver"]
