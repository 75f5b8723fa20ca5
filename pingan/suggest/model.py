"""The model: character n-grams of a case's words, and one linear classifier per field it suggests.

Chinese has no spaces, so the features are the case's single characters and pairs of characters
(邻里, 欠薪), weighted tf-idf, hashed into a fixed number of buckets. Hashing means the file holds no
readable text, only weights of numbered buckets, even where a description names a person; it is still
drawn from case content, so it is written owner-only like everything under var/. The
lead-unit classifier also reads where the case is (town, village) and its category, because routing
depends on both.

A model is kept as plain arrays in one `.npz` file: loading it runs no code from the file (no pickle),
and a file written by one scikit-learn version is read by another. scikit-learn itself is imported only
when a model is trained or used, so processes that never suggest do not pay for it.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FORMAT = 1
TEXT_FEATURES = 2**18
PLACE_FEATURES = 2**12
# Single characters and pairs: most Chinese words are two characters, and a three-character word (宅基地)
# is its two overlapping pairs. Runs of three added nothing on the demo's cases but tripled the file.
NGRAMS = (1, 2)
# Stochastic gradient descent on the log loss, one-vs-rest: a few passes over 20,000 cases take seconds
# on one core, and more passes did not improve held-out accuracy on the demo's data.
EPOCHS = 5
ALPHA = 1e-5
# The one-vs-rest classifiers are trained side by side on this many threads.
THREADS = 2


def text_of(title: str, description: str) -> str:
    return f"{title}\n{description}"


def place_tokens(region: str, category: str | None) -> list[str]:
    """What the lead-unit classifier reads besides the text: the town and village codes, the category."""
    tokens = [f"region:{region[:n]}" for n in (9, 12) if len(region) >= n]
    return [*tokens, f"category:{category}"] if category else tokens


def counts(texts: list[str]):
    """How often each hashed n-gram occurs in each text: the one pass over the words."""
    from sklearn.feature_extraction.text import HashingVectorizer

    hasher = HashingVectorizer(
        analyzer="char", ngram_range=NGRAMS, n_features=TEXT_FEATURES, alternate_sign=False, norm=None
    )
    return hasher.transform(texts)


def idf_of(n_gram_counts) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfTransformer

    return TfidfTransformer(smooth_idf=True).fit(n_gram_counts).idf_


def tfidf(n_gram_counts, idf: np.ndarray):
    """Sublinear tf × idf, each row scaled to length 1 (what TfidfTransformer(sublinear_tf=True) does)."""
    import scipy.sparse as sp
    from sklearn.preprocessing import normalize

    weights = n_gram_counts.astype(np.float64)
    weights.data = np.log(weights.data) + 1
    return normalize(weights @ sp.diags(idf), copy=False).tocsr()


def text_features(texts: list[str], idf: np.ndarray):
    return tfidf(counts(texts), idf)


def with_place(text_rows, places: list[list[str]]):
    """Text features with the place and category tokens beside them: what the lead-unit head reads."""
    import scipy.sparse as sp
    from sklearn.feature_extraction import FeatureHasher

    hasher = FeatureHasher(n_features=PLACE_FEATURES, input_type="string", alternate_sign=False)
    return sp.hstack([text_rows, hasher.transform(places)], format="csr")


@dataclass
class Head:
    """One trained classifier: a weight row per class, as scikit-learn's SGDClassifier leaves them."""

    classes: np.ndarray
    coef: object  # scipy.sparse.csr_matrix, classes × features
    intercept: np.ndarray

    @classmethod
    def fit(cls, features, labels: list[str]) -> "Head":
        import scipy.sparse as sp
        from sklearn.linear_model import SGDClassifier

        clf = SGDClassifier(
            loss="log_loss", alpha=ALPHA, max_iter=EPOCHS, tol=None, random_state=0, n_jobs=THREADS
        )
        clf.fit(features, labels)
        coef, intercept = clf.coef_, clf.intercept_
        if len(clf.classes_) == 2:  # one row for "the second class"; written out as two, like the rest
            coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
        return cls(clf.classes_.astype(str), sp.csr_matrix(coef), intercept)

    def probabilities(self, features) -> np.ndarray:
        """One row per case, one column per class, each row summing to 1 (one-vs-rest, normalised)."""
        scores = np.asarray((features @ self.coef.T).todense()) + self.intercept  # type: ignore[attr-defined]
        p = 1 / (1 + np.exp(-np.clip(scores, -30, 30)))
        return p / p.sum(axis=1, keepdims=True)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        coef = self.coef
        return {
            f"{prefix}_classes": self.classes,
            f"{prefix}_intercept": self.intercept,
            f"{prefix}_data": coef.data.astype(np.float32),  # type: ignore[attr-defined]
            f"{prefix}_indices": coef.indices,  # type: ignore[attr-defined]
            f"{prefix}_indptr": coef.indptr,  # type: ignore[attr-defined]
            f"{prefix}_shape": np.array(coef.shape),  # type: ignore[attr-defined]
        }

    @classmethod
    def from_arrays(cls, arrays, prefix: str) -> "Head | None":
        import scipy.sparse as sp

        if f"{prefix}_classes" not in arrays:
            return None
        coef = sp.csr_matrix(
            (arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"], arrays[f"{prefix}_indptr"]),
            shape=tuple(arrays[f"{prefix}_shape"]),
        )
        return cls(arrays[f"{prefix}_classes"], coef, arrays[f"{prefix}_intercept"])


@dataclass
class Model:
    idf: np.ndarray
    category: Head | None
    unit: Head | None
    meta: dict  # format, trained_at, case counts and held-out accuracy

    def category_probabilities(self, text: str) -> dict[str, float]:
        if self.category is None:
            return {}
        p = self.category.probabilities(text_features([text], self.idf))[0]
        return dict(zip(self.category.classes.tolist(), p.tolist(), strict=True))

    def unit_probabilities(self, text: str, places: list[str]) -> dict[str, float]:
        if self.unit is None:
            return {}
        p = self.unit.probabilities(with_place(text_features([text], self.idf), [places]))[0]
        return dict(zip(self.unit.classes.tolist(), p.tolist(), strict=True))

    def save(self, path: Path) -> None:
        """Written beside the old file and renamed over it: a process reading the model meanwhile sees
        the old one or the new one, never half of one. Owner-only, like everything under var/."""
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {"meta": np.array(json.dumps(self.meta, ensure_ascii=False)), "idf": self.idf}
        for prefix, head in (("category", self.category), ("unit", self.unit)):
            if head is not None:
                arrays |= head.arrays(prefix)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays)  # type: ignore[arg-type]
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path) -> "Model":
        """Raises ValueError for a file that is not a model of this format."""
        with np.load(path, allow_pickle=False) as arrays:
            meta = json.loads(str(arrays["meta"]))
            if meta.get("format") != FORMAT:
                raise ValueError(f"模型格式 {meta.get('format')} 与本版本（{FORMAT}）不符")
            return cls(
                idf=arrays["idf"],
                category=Head.from_arrays(arrays, "category"),
                unit=Head.from_arrays(arrays, "unit"),
                meta=meta,
            )


def top_k_accuracy(probabilities: np.ndarray, classes: np.ndarray, labels: list[str], k: int) -> float:
    """Share of cases whose true label is among the `k` most probable classes."""
    best = np.argsort(-probabilities, axis=1)[:, :k]
    hits = sum(label in classes[row] for label, row in zip(labels, best, strict=True))
    return hits / len(labels) if labels else 0.0
