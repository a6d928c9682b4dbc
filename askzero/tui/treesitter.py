"""Highlighting with tree-sitter, for the formats that have a grammar installed (markdown: the
knowledge texts answers cite). Returns styles per line so the evidence view can keep drawing
line by line; without the grammar, nothing is styled."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

Span = tuple[int, int, str]  # start and end column (characters) and a rich style

# node type -> style; a node styles every row it covers (a heading, a code block)
MARKDOWN_STYLES = {
    "atx_heading": "bold #5f87d7",
    "setext_heading": "bold #5f87d7",
    "fenced_code_block": "#87af87",
    "indented_code_block": "#87af87",
    "list_marker_minus": "bold yellow",
    "list_marker_plus": "bold yellow",
    "list_marker_star": "bold yellow",
    "list_marker_dot": "bold yellow",
    "list_marker_parenthesis": "bold yellow",
    "block_quote_marker": "#808080",
    "thematic_break": "#808080",
    "pipe_table_header": "bold",
}


@lru_cache(maxsize=1)
def _markdown_parser() -> Any:
    import tree_sitter
    import tree_sitter_markdown

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_markdown.language()))


def markdown_spans(lines: list[str]) -> list[list[Span]]:
    """Styles for each line of a markdown text ([] everywhere when tree-sitter is missing)."""
    spans: list[list[Span]] = [[] for _ in lines]
    try:
        parser = _markdown_parser()
    except ImportError:
        return spans
    encoded = [line.encode("utf-8") for line in lines]
    tree = parser.parse(b"\n".join(encoded) + b"\n")
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        style = MARKDOWN_STYLES.get(node.type)
        if style is not None:
            (row0, col0), (row1, col1) = node.start_point, node.end_point
            for row in range(row0, min(row1, len(lines) - 1) + 1):
                if row == row1 and col1 == 0 and row1 > row0:
                    break  # the node ends at the start of this row: nothing of it is here
                start = col0 if row == row0 else 0
                end = col1 if row == row1 else len(encoded[row])
                spans[row].append((_chars(encoded[row], start), _chars(encoded[row], end), style))
        stack.extend(node.children)
    return spans


def _chars(line: bytes, byte_column: int) -> int:
    """tree-sitter counts bytes; rich counts characters."""
    return len(line[:byte_column].decode("utf-8", errors="ignore"))
