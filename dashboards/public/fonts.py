"""The certificate's fonts: DejaVu Sans cut down to the Latin and Arabic blocks (with every OpenType
layout feature, so Arabic still shapes), about 1,300 glyphs instead of 6,000.

fpdf2 parses the font files for every document and decompiles their glyphs when it embeds them, so the
glyph count is most of a certificate's cost: 101 ms of CPU with the full fonts, 53 ms with these
(measured on one process, the same PDF text). Names outside these blocks would print as empty boxes.

Regenerate after changing the blocks: ``.venv/bin/python -m dashboards.public.fonts``.
"""

from __future__ import annotations

from pathlib import Path

FONTS = Path(__file__).resolve().parents[1] / "static" / "fonts"
SUFFIX = "-LatinArabic"
BLOCKS = (
    (0x0020, 0x024F),  # Basic Latin to Latin Extended-B
    (0x0600, 0x06FF),  # Arabic
    (0x2000, 0x206F),  # General Punctuation (dashes, bidirectional isolates)
    (0x20A0, 0x20BF),  # currency signs
    (0xFB50, 0xFDFF),  # Arabic Presentation Forms-A
    (0xFE70, 0xFEFF),  # Arabic Presentation Forms-B
)


def subset_path(name: str) -> Path:
    return FONTS / f"{name}{SUFFIX}.ttf"


def main() -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    for name in ("DejaVuSans", "DejaVuSans-Bold"):
        options = subset.Options()
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        options.name_languages = ["*"]
        options.notdef_outline = True
        options.glyph_names = True
        font = TTFont(FONTS / f"{name}.ttf")
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[c for low, high in BLOCKS for c in range(low, high + 1)])
        subsetter.subset(font)
        font.save(subset_path(name))
        print(f"{subset_path(name)}: {len(font.getGlyphOrder())} glyphs")


if __name__ == "__main__":
    main()
