"""ask-zero: an offline security assistant for OpenBSD firewalls and routers."""

__version__ = "0.1.0"
