"""Reading the local machine's interfaces, from OpenBSD ifconfig and Linux ip output."""

from __future__ import annotations

from askzero.pf.localhost import local_host, parse_ip_json, parse_openbsd_ifconfig

IFCONFIG = """\
lo0: flags=2008049<UP,LOOPBACK,RUNNING,MULTICAST,LRO> mtu 32768
\tindex 5 priority 0 llprio 3
\tgroups: lo
\tinet6 ::1 prefixlen 128
\tinet6 fe80::1%lo0 prefixlen 64 scopeid 0x5
\tinet 127.0.0.1 netmask 0xff000000
em0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500
\tlladdr 52:54:00:12:34:56
\tgroups: em egress
\tinet 192.0.2.10 netmask 0xffffff00 broadcast 192.0.2.255
"""


def test_openbsd_ifconfig():
    interfaces = parse_openbsd_ifconfig(IFCONFIG)
    assert [str(a) for a in interfaces["lo0"].addresses] == ["::1/128", "fe80::1/64", "127.0.0.1/8"]
    assert interfaces["em0"].groups == ["egress"] and str(interfaces["em0"].addresses[0]) == "192.0.2.10/24"


def test_linux_ip_json_marks_the_default_route_interface_egress():
    addresses = '[{"ifname": "eth0", "addr_info": [{"local": "192.0.2.2", "prefixlen": 24}]}]'
    interfaces = parse_ip_json(addresses, '[{"dst": "default", "dev": "eth0"}]')
    assert interfaces["eth0"].groups == ["egress"] and str(interfaces["eth0"].addresses[0]) == "192.0.2.2/24"


def test_local_host_runs_on_this_machine():
    host = local_host()
    assert host.users.get("root") == 0
    assert any(i.addresses for i in host.interfaces.values())
