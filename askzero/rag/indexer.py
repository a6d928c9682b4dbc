"""``ask-zero index``: bring a corpus's index up to date, doing only the work that changed.

A file whose size and mtime are unchanged is not read; one whose content hash is unchanged is
not chunked; a chunk whose text is unchanged keeps its vector (vectors are keyed by content,
so a section that merely moved is not embedded again).
"""

from __future__ import annotations

import fcntl
import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from askzero.errors import SourceError
from askzero.rag.sources import Corpus, SourceFile, expand
from askzero.rag.store import SCHEMA_VERSION, FileState, Store
from askzero.rag.types import Chunk

# progress(stage, done, total): the CLI draws bars with it; the core stays free of rich.
Progress = Callable[[str, int, int], None]
MAX_FILE_BYTES = 8 * 1024 * 1024  # a knowledge file or a config larger than this is a mistake


@dataclass
class IndexReport:
    directory: str
    files: int = 0
    files_changed: int = 0
    files_removed: int = 0
    chunks: int = 0
    chunks_added: int = 0
    chunks_removed: int = 0
    embedded: int = 0
    seconds: float = 0.0
    chroma: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def chunk_file(src: SourceFile, text: str) -> list[Chunk]:
    if src.parser == "logs":
        from askzero.rag.logsummary import summarize

        return summarize(src.real)
    if src.parser == "markdown":
        from askzero.rag.markdown import chunk_markdown

        return chunk_markdown(text, src.cite)
    from askzero.rag.configs import chunk_config

    return chunk_config(text, src.cite, framework=src.parser)


def build_index(corpus: Corpus, progress: Progress | None = None, chroma: bool = True) -> IndexReport:
    """Update the corpus's index; embeds only content it has not seen."""
    began = time.monotonic()
    directory = corpus.directory()
    directory.mkdir(parents=True, exist_ok=True)
    with _exclusive(directory / "index.lock"):  # the CLI and the assistant may build at once
        report = _build(corpus, directory, progress, chroma)
    report.seconds = round(time.monotonic() - began, 3)
    return report


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _build(corpus: Corpus, directory: Path, progress: Progress | None, chroma: bool) -> IndexReport:
    store = Store(directory)
    report = IndexReport(str(store.dir))
    try:
        _sync_files(store, expand(corpus), report, progress)
        todo = store.missing_embeddings()
        if todo:
            from askzero.rag.embed import embedder, ensure_onnx, onnx_path

            if not onnx_path().is_file() and progress:
                progress("ONNX export", 0, 1)  # once per installation, about 15 s
            ensure_onnx()
            done = 0

            def advance(n: int) -> None:
                nonlocal done
                done += n
                if progress:
                    progress("embedding", done, len(todo))

            vectors = embedder().embed([t for _, t in todo], progress=advance)
            store.put_embeddings([h for h, _ in todo], vectors)
            report.embedded = len(todo)
        store.drop_unused_embeddings()
        store.commit()
        if report.files_changed or report.files_removed or store.meta("generation") is None:
            store.write_vectors()
        report.chunks = store.count()
        if chroma:
            from askzero.rag.chroma_store import sync_chroma

            report.chroma = sync_chroma(store, corpus)
    finally:
        store.close()
    return report


def _sync_files(store: Store, sources: list[SourceFile], report: IndexReport,
                progress: Progress | None) -> None:
    known = store.files()
    present = {s.cite for s in sources}
    for cite in sorted(set(known) - present):
        report.chunks_removed += store.remove_file(cite)
        report.files_removed += 1
    report.files = len(sources)
    for n, src in enumerate(sources, 1):
        if progress:
            progress("reading", n, len(sources))
        st = src.real.stat()
        old = known.get(src.cite)
        if old and (old.real, old.size, old.mtime_ns) == (str(src.real), st.st_size, st.st_mtime_ns):
            continue
        if src.parser == "logs":
            # the log store (DuckDB, possibly GBs) is summarised by query, never read whole
            data, sha = b"", f"{st.st_size}:{st.st_mtime_ns}"
        elif st.st_size > MAX_FILE_BYTES:
            raise SourceError(src.cite, f"larger than {MAX_FILE_BYTES} bytes; not indexed")
        else:
            data = src.real.read_bytes()
            sha = hashlib.sha256(data).hexdigest()
        state = FileState(str(src.real), st.st_size, st.st_mtime_ns, sha)
        if old and old.sha == sha:
            store.set_file(src.cite, state, src.parser)  # touched, not changed
            continue
        try:
            chunks = chunk_file(src, data.decode("utf-8", errors="replace"))
        except SourceError:
            if src.parser != "logs":
                raise
            continue  # the log store is busy (an ingest): summarised on the next run
        added, removed = store.replace_chunks(src.cite, chunks)
        store.set_file(src.cite, state, src.parser)
        report.files_changed += 1
        report.chunks_added += added
        report.chunks_removed += removed


def is_current(store: Store, corpus: Corpus) -> bool:
    """True when no indexed file changed and no top-level source appeared (stat only, no reads)."""
    known = store.files()
    if store.meta("schema") != SCHEMA_VERSION:
        return False
    wanted = {s.cite for s in corpus.sources}
    if not wanted <= set(known):
        return False
    for state in known.values():
        try:
            st = Path(state.real).stat()
        except OSError:
            return False
        if (st.st_size, st.st_mtime_ns) != (state.size, state.mtime_ns):
            return False
    return store.meta("generation") is not None
