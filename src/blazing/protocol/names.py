"""What a user-visible name or chat line may contain, and when two names are the same.

One rule for every name people see — room names, usernames from tokens and from dev
login — so that what one path refuses no other path lets in:

- the name is NFKC-normalised (full-width letters, ligatures and other compatibility
  forms become their plain equivalents), trimmed, and inner runs of whitespace become
  one space;
- it is refused if it holds a control character, a bidirectional control (U+202E and
  friends: they reorder what is shown around them), a line or paragraph separator, a
  private-use, unassigned or surrogate code point;
- it must have at least one visible character: invisibles alone (zero-width spaces,
  joiners, fillers) are not a name;
- then its length is checked.

Two names are the same (:func:`name_key`) when they are equal after NFKC, case
folding and dropping the default-ignorable code points (zero-width and other
invisible characters), so a look-alike that differs from a taken name only by an
invisible character or by case is taken too.

Chat text (:func:`clean_chat_text`) keeps its newlines and tabs and is not
normalised (people's words as they typed them), but gets the same refusals of
controls and bidirectional overrides and must show something.

Everything here is pure and raises :class:`NameRefused` with a reason that names
what is wrong; callers turn it into their own error (``INVALID_MESSAGE``, HTTP 400,
close 4401).
"""

import re
import unicodedata

# Bidi_Control (Unicode PropList): ALM, LRM, RLM, LRE..RLO, LRI..PDI.
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                           "\u2066\u2067\u2068\u2069")
# Default_Ignorable_Code_Point (Unicode DerivedCoreProperties): shown as nothing.
_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
    (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
_IGNORABLE = re.compile("[" + "".join(
    f"\\U{low:08x}-\\U{high:08x}" for low, high in _IGNORABLE_RANGES) + "]")
# Categories never allowed: controls, surrogates, private use, unassigned, line and
# paragraph separators. Format characters (Cf) are allowed only where they are
# ignorable joiners (emoji sequences and some scripts need U+200D/U+200C), never as
# bidi controls.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn", "Zl", "Zp"})
_WHITESPACE_RUN = re.compile(r"\s+")


class NameRefused(ValueError):
    """The text breaks the rule above; the message says how."""


def _refused_character(text: str, allowed: str = "") -> str | None:
    """A description of the first character ``text`` may not hold, if any."""
    for ch in text:
        if ch in allowed:
            continue
        if ch in _BIDI_CONTROLS:
            return f"a bidirectional control character (U+{ord(ch):04X})"
        category = unicodedata.category(ch)
        if category in _REFUSED_CATEGORIES:
            kind = {"Cc": "a control", "Cs": "a surrogate", "Co": "a private-use",
                    "Cn": "an unassigned", "Zl": "a line separator",
                    "Zp": "a paragraph separator"}[category]
            return f"{kind} character (U+{ord(ch):04X})"
    return None


def _visible(text: str) -> bool:
    """Whether anything of ``text`` shows: not only whitespace and invisibles."""
    return bool(_IGNORABLE.sub("", text).strip())


def clean_name(raw: str, max_length: int, what: str = "name") -> str:
    """``raw`` as it is stored and shown (NFKC, trimmed, single spaces), or
    :class:`NameRefused` saying why it cannot be a name of 1..``max_length``
    characters. ``what`` names the field in the reason."""
    normalised = unicodedata.normalize("NFKC", raw)
    bad = _refused_character(normalised)  # before spacing: a tab is a control, not a space
    if bad is not None:
        raise NameRefused(f"{what} must be printable; it contains {bad}")
    name = _WHITESPACE_RUN.sub(" ", normalised).strip()
    if not _visible(name):
        raise NameRefused(f"{what} must contain a visible character")
    if len(name) > max_length:
        raise NameRefused(f"{what} must be 1–{max_length} characters")
    return name


def name_key(name: str) -> str:
    """What two names must share to count as the same name: NFKC, case-folded,
    without invisible characters, single-spaced."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return _WHITESPACE_RUN.sub(" ", _IGNORABLE.sub("", folded)).strip()


def clean_chat_text(raw: str, max_length: int, what: str = "text") -> str:
    """Chat text trimmed, or :class:`NameRefused`: newlines and tabs are kept, controls
    and bidirectional overrides refused, and it must show something."""
    text = raw.strip()
    bad = _refused_character(text, allowed="\n\t")
    if bad is not None:
        raise NameRefused(f"{what} contains {bad}")
    if not _visible(text):
        raise NameRefused(f"{what} must contain a visible character")
    if len(text) > max_length:
        raise NameRefused(f"{what} must be 1–{max_length} characters")
    return text
