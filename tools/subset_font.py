"""Build the Korean font subset that Baeji draws badge text with (a build-time tool).

Run once when the subset must change, then commit ``badges/fonts/BaejiBadgeSans-Bold.ttf``::

    apt-get install -y fonts-nanum        # Debian's NanumGothic, SIL OFL 1.1
    .venv/bin/pip install fonttools
    .venv/bin/python tools/subset_font.py

The subset keeps the 2,350 Hangul syllables of KS X 1001 (every syllable EUC-KR can encode),
the Hangul compatibility jamo, printable ASCII and common Korean punctuation. The OFL reserves
the name "NanumGothic" for the original, so the subset is renamed "Baeji Badge Sans".
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

SOURCE = Path("/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf")
TARGET = Path(__file__).resolve().parent.parent / "badges" / "fonts" / "BaejiBadgeSans-Bold.ttf"
FAMILY = "Baeji Badge Sans"
PUNCTUATION = "·‧…‥「」『』〈〉《》【】〔〕‘’“”、。–—～※○●◎☆★□■△▲▽▼→←↑↓↔〃々〇"


def characters() -> str:
    """Every character the subset keeps."""
    hangul = []
    for code in range(0xAC00, 0xD7A4):
        # CPython's EUC-KR codec spells syllables outside KS X 1001 as 8-byte jamo sequences;
        # the 2,350 of KS X 1001 are the ones with a 2-byte code.
        if len(chr(code).encode("euc_kr")) == 2:
            hangul.append(chr(code))
    jamo = [chr(code) for code in range(0x3131, 0x318F)]
    ascii_printable = [chr(code) for code in range(0x20, 0x7F)]
    return "".join(ascii_printable + jamo + hangul) + PUNCTUATION + "\u00a0"


def main() -> int:
    """Write the subset and report its size."""
    chars = characters()
    options = subset.Options()
    options.layout_features = ["kern"]
    options.name_IDs = []  # dropped, then rewritten below with the new family name
    options.hinting = False
    options.notdef_outline = True
    font = TTFont(SOURCE)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    name = font["name"]
    for record_id, value in (
        (0, "Copyright (c) 2010, NAVER Corporation. Subset for Baeji, SIL OFL 1.1."),
        (1, FAMILY),
        (2, "Bold"),
        (3, f"{FAMILY} Bold; subset of NanumGothic Bold"),
        (4, f"{FAMILY} Bold"),
        (5, "Version 1.0"),
        (6, "BaejiBadgeSans-Bold"),
        (13, "This Font Software is licensed under the SIL Open Font License, Version 1.1."),
        (14, "https://openfontlicense.org"),
    ):
        name.setName(value, record_id, 3, 1, 0x409)
    font.save(TARGET)
    print(f"{TARGET}: {TARGET.stat().st_size} bytes, {len(chars)} characters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
