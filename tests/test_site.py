from __future__ import annotations

from pathlib import Path

import pytest

from askzero.errors import SiteError
from askzero.site import load_site


def test_demo_site_paths_resolve_inside_the_package():
    site = load_site("demo")
    assert site.name == "demo" and site.pf_conf == "/etc/pf.conf"
    assert site.real("/etc/pf.conf").is_file()
    assert site.cite("/etc/pf.conf") == "etc/pf.conf"


def test_missing_site_is_a_site_error(tmp_path):
    with pytest.raises(SiteError) as info:
        load_site(str(tmp_path / "nope"))
    assert info.value.exit_code == 3 and "site not found" in str(info.value)


def test_invalid_site_file(tmp_path):
    bad = tmp_path / "site.toml"
    bad.write_text("name = [\n")
    with pytest.raises(SiteError):
        load_site(str(bad))


def test_directory_without_site_file_uses_host_defaults(tmp_path):
    site = load_site(str(tmp_path))
    assert site.root == tmp_path and site.pf_conf == "/etc/pf.conf"
    assert site.real("/etc/pf.conf") == tmp_path / "etc/pf.conf"


def test_no_site_and_no_pf_conf_falls_back_to_demo_with_notice(monkeypatch):
    if Path("/etc/pf.conf").exists():
        pytest.skip("this machine has /etc/pf.conf, so it is its own site")
    site = load_site(None)
    assert site.name == "demo" and "demo" in site.notice
