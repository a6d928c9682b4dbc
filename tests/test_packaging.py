"""The installed package carries what it needs at run time: demo site, prompts, models.txt."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from conftest import ROOT


def test_wheel_contains_demo_site_prompts_and_registry(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    str(ROOT), "-w", str(tmp_path)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("askzero-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for member in ("askzero/demo/site.toml", "askzero/demo/etc/pf.conf", "askzero/demo/var/log/pflog",
                   "askzero/demo/intel/opencti-bundle.json", "askzero/data/models.txt",
                   "askzero/data/prompts/phrase_answer.txt", "askzero/data/services.tsv",
                   "askzero/data/knowledge/nis2.md", "askzero/data/knowledge/mapping.toml"):
        assert member in names


def test_packaged_prompts_are_the_prompts_directory():
    for path in (ROOT / "prompts").glob("*.txt"):
        assert (ROOT / "askzero/data/prompts" / path.name).read_text() == path.read_text()
