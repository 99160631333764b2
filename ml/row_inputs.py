"""Per-row inputs of a transactions frame, as the categorizer's state indexes them.

:func:`normalized` normalizes each distinct raw description once (with the merchant's name in
front where it names more than the line, :func:`lines_read`) and gives each row its
merchant memory key (``m:<merchant>`` when the frame has a merchant; ``raw:<line>`` for a
line with nothing readable left, so that only the same line shares it); :func:`rows_of` turns a
frame into :class:`~ml.history.Rows` (sign, log-amount, day of month, weekday, account, date,
and the row's key and brand in the state's tables). Pure functions of frames.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd

from ml import history as hs
from ml.text import key_of_normalized, normalize_description

log = logging.getLogger(__name__)


def normalized(frame: pd.DataFrame, known: dict[str, str] | None = None
                ) -> tuple[list[str], np.ndarray, np.ndarray, dict[str, str]]:
    """Distinct normalized descriptions, each row's index into them, each row's merchant key,
    and the raw -> normalized map; every distinct raw description is normalized once (or
    looked up in ``known``)."""
    raw = frame["description"].to_numpy(dtype=object)
    raw = np.where(pd.isna(raw), "", raw).astype(str).astype(object)
    if "merchant" in frame.columns:
        raw = lines_read(raw, frame["merchant"].to_numpy(dtype=object))
    codes, uniques = pd.factorize(raw, use_na_sentinel=False)
    known = known or {}
    norm_u = [known[u] if u in known else normalize_description(u) for u in uniques]
    distinct = list(dict.fromkeys(norm_u))
    pos = {t: i for i, t in enumerate(distinct)}
    text_id = np.array([pos[t] for t in norm_u], dtype=int)[codes]
    # a line with nothing readable left ("Reference 201301234") is no merchant: only the
    # same line again (a standing order's fixed reference) shares its key
    keys = np.array([key_of_normalized(t) if t else f"raw:{' '.join(u.lower().split())}"
                     for t, u in zip(norm_u, uniques, strict=True)], dtype=object)[codes]
    if "merchant" in frame.columns:
        merch = frame["merchant"].to_numpy(dtype=object)
        named = np.array([isinstance(m, str) and bool(m.strip()) for m in merch], dtype=bool)
        keys[named] = [f"m:{normalize_description(m)}" for m in merch[named]]
    return distinct, text_id, keys, dict(zip(uniques, norm_u, strict=True))


_WORD = re.compile(r"[^\W\d_]{2,}")
_NOT_LETTER = re.compile(r"[\W\d_]+")


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.casefold()))


def names_more(merchant: str, description: str) -> bool:
    """Whether ``merchant`` has a word (3+ letters) the description does not (nor a word that
    starts the same, "GMBH" for a cut-off "GM"), and its letters are not a run of the line's
    letters ("SPAR" in "EUROSPAR 12"): a name the user gave ("Hotel Okura" for "POS20SEP BV")
    or a payee column, not the importer's reading of the line itself."""
    return _flat(merchant) not in _flat(description) and _more(
        [w for w in _words(merchant) if len(w) >= 3], _words(description))


def _flat(text: str) -> str:
    return _NOT_LETTER.sub("", text.casefold())


def _more(name_words: list[str], have: tuple[str, ...]) -> bool:
    return any(not any(d.startswith(w) or w.startswith(d) for d in have) for w in name_words)


def lines_read(raw: np.ndarray, merchant: np.ndarray) -> np.ndarray:
    """The lines the text features read: the description, preceded by the merchant's name
    where it :func:`names_more` ("Hotel Okura · POS20SEP BV"); each distinct pair once, the
    letters of each distinct description and name read once."""
    dcodes, descs = pd.factorize(raw, use_na_sentinel=False)
    names = np.array(merchant, dtype=object)
    names[pd.isna(names)] = ""
    mcodes, merchants = pd.factorize(names, use_na_sentinel=False)
    name_words = [[w for w in _words(str(m)) if len(w) >= 3] for m in merchants]
    if not any(name_words):
        return raw
    pairs, inverse = np.unique(dcodes.astype(np.int64) * len(merchants) + mcodes,
                               return_inverse=True)
    d_of, m_of = np.divmod(pairs, len(merchants))
    descs = np.asarray(descs, dtype=object)
    low_d = [d.casefold() for d in descs]
    low_m = [str(m).casefold().strip() for m in merchants]
    # as names_more; first the common case, the importer's name as it stands in its line
    ask = [k for k in range(len(pairs)) if name_words[m_of[k]]
           and low_m[m_of[k]] not in low_d[d_of[k]]]
    read = descs[d_of]
    for k in ask:
        d, m = d_of[k], m_of[k]
        if names_more(str(merchants[m]), descs[d]):
            read[k] = f"{str(merchants[m]).strip()} · {descs[d]}"
    return read[inverse.ravel()]


def dates_of(frame: pd.DataFrame) -> pd.Series:
    if "date" not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    col = frame["date"]
    dates = col if pd.api.types.is_datetime64_any_dtype(col) \
        else pd.to_datetime(col, errors="coerce", format="mixed", utc=True)
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_convert(None)
    return dates.astype("datetime64[ns]")


def brand_of(key: str) -> str:
    """The first word of a merchant key when it looks like a name (3+ letters), else ""."""
    first = key.removeprefix("m:").split(" ", 1)[0]
    return first if len(first) >= 3 and first.isalpha() else ""


def rows_of(frame: pd.DataFrame, text_ids: np.ndarray, keys: np.ndarray,
          key_pos: dict[str, int], brand_pos: dict[str, int]) -> hs.Rows:
    n = len(frame)
    raw = frame["description"].to_numpy(dtype=object)
    raw = np.where(pd.isna(raw), "", raw).astype(str).astype(object)
    if "amount" not in frame.columns:
        amount = np.full(n, np.nan)
    else:
        col = frame["amount"]
        amount = pd.to_numeric(col if pd.api.types.is_numeric_dtype(col) else col.map(_to_float),
                               errors="coerce").to_numpy(dtype=float)
    dates = dates_of(frame)
    has_date = dates.notna().to_numpy()
    ns = dates.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
    day = np.where(has_date, ns / 86_400e9, np.nan)
    dom = np.where(has_date, dates.dt.day.fillna(1).to_numpy(dtype=float) - 1, -1).astype(int)
    wd = np.where(has_date, dates.dt.weekday.fillna(0).to_numpy(dtype=float), -1).astype(int)
    account = (frame["account"].astype(object).where(frame["account"].notna(), "").astype(str)
               .to_numpy(dtype=object) if "account" in frame.columns
               else np.full(n, "", dtype=object))
    codes, distinct_keys = pd.factorize(keys, use_na_sentinel=False)  # look each key up once
    return hs.Rows(text_id=text_ids, key=keys,
                   key_code=np.array([key_pos.get(k, -1) for k in distinct_keys], dtype=int)[codes],
                   brand_code=np.array([brand_pos.get(brand_of(k), -1) for k in distinct_keys],
                                       dtype=int)[codes],
                   sign=np.nan_to_num(np.sign(amount)).astype(np.int8),
                   logamt=np.log1p(np.abs(amount)), dom=dom, wd=wd, account=account,
                   raw=raw, day=day)


def _to_float(v: object) -> float:
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")
