"""Chunking: heading paths, exact lines, no sentence cut in two; config statements."""

from __future__ import annotations

import re

from rag_support import NIS2, PF_CONF

from askzero.rag.configs import chunk_config, included_paths
from askzero.rag.frontmatter import split_front_matter
from askzero.rag.markdown import MAX_CHARS, chunk_markdown
from askzero.rag.sentences import sentence_spans


def _lines(text: str, start: int, end: int) -> str:
    return "\n".join(text.split("\n")[start - 1:end])


def test_front_matter_subset() -> None:
    meta, n = split_front_matter('---\nframework: NIS2\nids: [Art. 23, "21(2)(a), (b)"]\nlist:\n  - a\n  - "b"\n'
                                 'title: "X: y"\n---\nbody\n')
    assert n == 8
    assert meta == {"framework": "NIS2", "ids": ["Art. 23", "21(2)(a), (b)"], "list": ["a", "b"], "title": "X: y"}
    assert split_front_matter("# no front matter\n") == ({}, 0)


def test_markdown_heading_paths_and_lines() -> None:
    chunks = chunk_markdown(NIS2, "knowledge/nis2.md")
    headings = [c.heading for c in chunks]
    assert headings == [
        "NIS2 reporting",
        "NIS2 reporting > Art. 23(4)(a) Early warning",
        "NIS2 reporting > Art. 23(4)(b) Incident notification",
        "NIS2 reporting > Art. 23(4)(d) Final report",
    ]
    for c in chunks:
        assert c.kind == "regulation" and c.framework == "NIS2"
        # the cited lines hold the chunk's text, exactly
        assert c.text.strip() in _lines(NIS2, c.start, c.end)
        assert _lines(NIS2, c.start, c.start).strip().startswith(c.text.split("\n")[0].strip())
    notif = chunks[2]
    assert "# not a heading" in notif.text  # a code block is body text, not a heading
    assert _lines(NIS2, notif.start, notif.start) == "The incident notification follows within 72 hours and gives an initial assessment,"


def test_title_from_front_matter_without_h1() -> None:
    text = "---\ntitle: Only a title\nkind: guide\n---\nIntro line.\n\n## Part\n\nBody.\n"
    chunks = chunk_markdown(text, "k.md")
    assert [c.heading for c in chunks] == ["Only a title", "Only a title > Part"]
    assert chunks[0].start == 5 and chunks[1].start == 9


def test_long_section_is_cut_between_sentences_only() -> None:
    sentences = [f"Sentence number {i} says that Art. 21 applies to e.g. firewalls in zone {i}." for i in range(60)]
    text = "# Long\n\n" + " ".join(sentences) + "\n\n- item one\n- item two\n"
    chunks = chunk_markdown(text, "long.md")
    assert len(chunks) > 2
    body = []
    for c in chunks:
        assert len(c.text) <= MAX_CHARS
        assert c.text.strip().endswith((".", "two"))
        body.extend(s for s in re.split(r"(?<=\.) (?=Sentence)", c.text.split("\n\n- ")[0].replace("\n", " ")) if s.startswith("Sentence"))
    assert [b.strip() for b in body] == sentences


def test_sentence_spans_keep_abbreviations() -> None:
    text = "Under Art. 23 entities report. See e.g. the CSIRT. J. Smith agreed! Done"
    spans = [text[a:b] for a, b in sentence_spans(text)]
    assert spans == ["Under Art. 23 entities report.", "See e.g. the CSIRT.", "J. Smith agreed!", "Done"]


def test_pf_statements_with_comments_continuations_and_anchors() -> None:
    chunks = chunk_config(PF_CONF, "etc/pf.conf", framework="pf")
    got = [(c.heading, c.start, c.end) for c in chunks]
    assert got == [
        ("", 1, 2),  # the header comment paragraph
        ("", 4, 4),
        ("", 5, 5),
        ("", 7, 8),  # the comment belongs to the rule below it
        ("", 9, 10),  # continued with a backslash
        ('anchor "ftp-proxy/*"', 12, 12),
    ]
    assert all(c.kind == "config" and c.framework == "pf" for c in chunks)
    assert chunks[3].text == "# keep attackers out\nblock in quick on $ext_if from <bruteforce>"


def test_bgpd_blocks_sets_and_secrets() -> None:
    text = ('prefix-set bogons {\n\t10.0.0.0/8 or-longer # private\n\t192.168.0.0/16 or-longer\n}\n'
            'group "up" {\n\tneighbor 192.0.2.1 {\n\t\tremote-as 64501\n'
            '\t\ttcp md5sig password s3cret\n\t}\n}\ndeny from any prefix-set bogons\n')
    chunks = chunk_config(text, "etc/bgpd.conf", framework="bgpd")
    got = [(c.heading, c.start, c.end) for c in chunks]
    assert got == [("", 1, 4), ('group "up" > neighbor 192.0.2.1', 7, 7),
                   ('group "up" > neighbor 192.0.2.1', 8, 8), ("", 11, 11)]
    assert "s3cret" not in chunks[2].text and "password ********" in chunks[2].text


def test_included_paths() -> None:
    text = 'include "/etc/pf/extra.conf"\nanchor "x"\nload anchor "x" from "/etc/pf/x.conf"\n'
    assert included_paths(text) == ["/etc/pf/extra.conf", "/etc/pf/x.conf"]
