"""Loaded by tests that prove ask-zero makes no network connection.

An audit hook sees every socket operation Python performs, including inside libraries;
each attempt is recorded in $NETGUARD_LOG and refused.
"""

import os
import sys

_LOG = os.environ.get("NETGUARD_LOG")
_EVENTS = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto", "socket.sendmsg",
           "urllib.Request", "http.client.connect"}


def _hook(event, args):
    if event not in _EVENTS:
        return
    if event == "socket.connect" and args and getattr(args[0], "family", None) == getattr(__import__("socket"), "AF_UNIX", None):
        return
    if _LOG:
        with open(_LOG, "a") as handle:
            handle.write(f"{event} {args[1:] if event == 'socket.connect' else args!r}\n")
    raise OSError(f"network access refused in test: {event}")


sys.addaudithook(_hook)
