"""Tokens and hashed features of the person-name tagger, shared bit for bit with the hub.

The hub evaluates the exported model in TypeScript (src/datasets/pii/ner/tokenize.ts and
features.ts), so every rule here has a twin there: the raw-text tokenizer, the word lists' flags,
the feature strings and the hash. tests/test_ner.py and test/datasets/ner-parity.test.ts check both against one fixture.

A feature is a string ("w:müller", "x3:ler") seen at an offset from the tagged token (-2..2), or
a conjunction of two or three neighbours' strings. Its weight row is at
``fmix32(crc32(utf8(string)) ^ salt) & (buckets - 1)``: no feature dictionary is shipped, and the
hub computes each word's rows once and caches them.
"""

from __future__ import annotations

import unicodedata
import zlib
from dataclasses import dataclass
from pathlib import Path

import regex

FEATURE_VERSION = 1

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]

# Word-list flags, as in src/datasets/pii/name-lexicon.ts.
FIRST, LAST, COMMON, STOP = 1, 2, 4, 8

BOS, EOS, NEWLINE = "<s>", "</s>", "\n"

# Which feature kinds are looked at on the token itself and on its neighbours.
OFFSET_KINDS: dict[int, tuple[str, ...]] = {
    0: ("b", "w", "s", "c", "g", "p", "x2", "x3", "x4", "l"),
    -1: ("w", "s", "c", "g", "x3"),
    1: ("w", "s", "c", "g", "x3"),
    -2: ("w", "c", "g"),
    2: ("w", "c", "g"),
}
# Conjunctions: (salt id, ((offset, kind), ...)).
CONJUNCTIONS: tuple[tuple[int, tuple[tuple[int, str], ...]], ...] = (
    (3, ((-1, "c"), (0, "c"), (1, "c"))),
    (4, ((-1, "g"), (0, "g"), (1, "g"))),
    (5, ((-1, "w"), (0, "c"), (0, "g"))),
    (6, ((0, "c"), (0, "g"), (1, "w"))),
)
KINDS = ("b", "w", "s", "c", "g", "p", "x2", "x3", "x4", "l")

# A trailing period stays on these words ("Dr.", "Mr.", an initial "J.").
ABBREVIATIONS = frozenset(["mr", "mrs", "ms", "mx", "dr", "prof", "st", "jr", "sr", "fr", "hr", "nr", "str", "bzw",
                           "ca", "vgl", "inc", "ltd", "co", "corp", "gmbh", "usw", "etc", "z", "b"])

_TOKEN = regex.compile(
    r"(?P<nl>[^\S\n]{0,64}\n\s*)"
    r"|(?P<email>[\p{L}\p{N}._%+'-]{1,64}@[\p{L}\p{N}.-]{1,255}\.\p{L}{2,63})"
    r"|(?P<handle>[@#][\p{L}\p{N}_]+)"
    r"|(?P<url>(?:https?://|www\.)[^\s<>\"]*[\p{L}\p{N}/])"
    r"|(?P<word>[\p{L}\p{M}\p{N}]+(?:[-'’&][\p{L}\p{M}\p{N}]+)*)"
    r"|(?P<other>\S)"
)


def tokenize(text: str) -> list[tuple[int, int, str]]:
    """(start, end, token) of raw text; a line break is the token "\\n". Mirrors tokenizeForNer() in
    tokenize.ts: an email, an @handle or #tag, a URL stay one token (as the tweet corpora have
    them); words keep inner hyphens and apostrophes but give up a possessive 's, and keep a
    trailing period only when they are an initial or a listed abbreviation."""
    out: list[tuple[int, int, str]] = []
    for m in _TOKEN.finditer(text):
        start, end = m.span()
        kind = m.lastgroup
        if kind == "nl":
            out.append((start, end, NEWLINE))
            continue
        if kind != "word":
            out.append((start, end, m.group()))
            continue
        word = m.group()
        if len(word) > 2 and word[-2] in "'’" and word[-1] in "sS":
            out.append((start, end - 2, word[:-2]))
            out.append((end - 2, end, word[-2:]))
            continue
        if text[end:end + 1] == "." and (len(word) == 1 and word.isalpha() or word.lower() in ABBREVIATIONS):
            out.append((start, end + 1, word + "."))
            continue
        out.append((start, end, word))
    # A period kept on a word is not a token of its own: drop the "other" match that follows it.
    cleaned: list[tuple[int, int, str]] = []
    for tok in out:
        if cleaned and tok[0] < cleaned[-1][1]:
            continue
        cleaned.append(tok)
    return cleaned


def crc32(s: str) -> int:
    return zlib.crc32(s.encode("utf-8")) & 0xFFFFFFFF


def fmix32(h: int) -> int:
    """MurmurHash3's finaliser: spreads the bits of a 32-bit value."""
    h &= 0xFFFFFFFF
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return h


def offset_salt(offset: int) -> int:
    return (0x9E3779B1 * (offset + 3)) & 0xFFFFFFFF


def conj_salt(ident: int) -> int:
    return (0x7FEB352D * (ident + 11)) & 0xFFFFFFFF


def combine(a: int, b: int) -> int:
    return fmix32(((a * 0x01000193) & 0xFFFFFFFF) ^ b)


# str.isupper/islower on one character are Unicode's Uppercase/Lowercase properties (\p{Uppercase}
# and \p{Lowercase} in JavaScript), isdecimal is \p{Nd} and isalpha is \p{L}.


def shape(token: str) -> str:
    """Character classes with repeats collapsed ("Müller" → "Xx", "U.S." → "X.X.", "4:26" → "d:d")."""
    out: list[str] = []
    for ch in token:
        if ch.isupper():
            c = "X"
        elif ch.islower():
            c = "x"
        elif ch.isdecimal():
            c = "d"
        elif ch.isalpha():
            c = "a"  # letters without case (CJK, …)
        else:
            c = ch
        if not out or out[-1] != c:
            out.append(c)
        if len(out) >= 6:
            break
    return "".join(out)


def cap_class(token: str) -> str:
    first = token[0]
    if first.isupper():
        return "A" if len(token) > 1 and all(not ch.islower() for ch in token) else "U"
    if first.islower():
        return "l"
    if first.isdecimal():
        return "d"
    if first.isalpha():
        return "a"
    return "n" if token == NEWLINE else "p"


def length_bucket(n: int) -> str:
    return "1" if n == 1 else "2" if n == 2 else "4" if n <= 4 else "8" if n <= 8 else "9"


def strip_accents(word: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", word) if not unicodedata.category(ch).startswith("M"))


def _read_list(path: Path) -> list[str]:
    words: list[str] = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith("#"):
            continue
        words.extend(w.lower() for w in line.split() if w)
    return words


@dataclass(frozen=True)
class Lexicon:
    flags: dict[str, int]
    first: list[str]
    last: list[str]
    sha256: str

    def flag(self, lower: str) -> int:
        f = self.flags.get(lower, 0)
        if not lower.isascii():
            f |= self.flags.get(strip_accents(lower), 0) & (FIRST | LAST)
        return f


LEXICON_FILES = ("first-names.txt", "census-first-names.txt", "last-names.txt", "census-last-names.txt",
                 "common-words-en.txt", "common-words-de.txt", "function-words.txt")


def load_lexicon(folder: Path) -> Lexicon:
    """The hub's word lists (src/datasets/pii/data), flagged as name-lexicon.ts does."""
    import hashlib

    digest = hashlib.sha256()
    for name in LEXICON_FILES:
        digest.update(name.encode() + b"\0" + (folder / name).read_bytes() + b"\0")

    def with_plain(words: list[str]) -> set[str]:
        out = set(words)
        out.update(strip_accents(w) for w in words if not w.isascii())
        return out

    first = _read_list(folder / "first-names.txt") + _read_list(folder / "census-first-names.txt")
    last = _read_list(folder / "last-names.txt") + _read_list(folder / "census-last-names.txt")
    flags: dict[str, int] = {}
    sets = ((with_plain(first), FIRST), (with_plain(last), LAST),
            (set(_read_list(folder / "common-words-en.txt") + _read_list(folder / "common-words-de.txt")), COMMON),
            (set(_read_list(folder / "function-words.txt")), STOP))
    for words, bit in sets:
        for w in words:
            flags[w] = flags.get(w, 0) | bit
    return Lexicon(flags=flags, first=first, last=last, sha256=digest.hexdigest())


def word_features(token: str, lexicon: Lexicon, gazetteer: bool = True, word: bool = True) -> dict[str, str]:
    """The feature strings of one token, by kind. Training sometimes hides the word lists
    (`gazetteer=False`) or the word itself (`word=False`), so that the model also learns names
    that no list has and words it has never seen; the hub always computes the full features."""
    lw = token.lower()
    n = len(lw)
    feats = {"b": "b", "w": "w:" + (lw if word else "<unk>"), "s": "s:" + shape(token), "c": "c:" + cap_class(token),
             "g": "g:" + str(lexicon.flag(lw) if gazetteer else 0), "l": "l:" + length_bucket(n)}
    if n >= 4:
        feats["p"] = "p:" + lw[:3]
        feats["x3"] = "x3:" + lw[-3:]
    if n >= 3:
        feats["x2"] = "x2:" + lw[-2:]
    if n >= 5:
        feats["x4"] = "x4:" + lw[-4:]
    return feats


def word_hashes(token: str, lexicon: Lexicon, gazetteer: bool = True, word: bool = True) -> dict[str, int]:
    return {k: crc32(v) for k, v in word_features(token, lexicon, gazetteer, word).items()}


def feature_rows(tokens: list[str], lexicon: Lexicon, buckets: int) -> list[list[int]]:
    """Weight rows of every token of one sequence (the slow, plain version used by tests and for
    the parity fixture; training builds the same rows with numpy in dataset.py)."""
    mask = buckets - 1
    hashes = [word_hashes(t, lexicon) for t in tokens]
    bos = word_hashes(BOS, lexicon)
    eos = word_hashes(EOS, lexicon)

    def at(i: int) -> dict[str, int]:
        return bos if i < 0 else eos if i >= len(tokens) else hashes[i]

    rows: list[list[int]] = []
    for i in range(len(tokens)):
        row: list[int] = []
        for offset, kinds in OFFSET_KINDS.items():
            h = at(i + offset)
            for kind in kinds:
                if kind in h:
                    row.append(fmix32(h[kind] ^ offset_salt(offset)) & mask)
        for ident, parts in CONJUNCTIONS:
            acc = conj_salt(ident)
            for offset, kind in parts:
                acc = combine(acc, at(i + offset)[kind])
            row.append(fmix32(acc) & mask)
        rows.append(row)
    return rows
