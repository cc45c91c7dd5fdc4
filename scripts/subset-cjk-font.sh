#!/usr/bin/env bash
# Makes fonts/NotoSansJP-menu.otf: Noto Sans CJK JP cut down to the glyphs
# the shipped Japanese sentences use, all kana and the CJK punctuation, so
# the menu can show Japanese without a 16 MB font in every game.
# Run it after changing client/locales/ja.txt (the menu tests check that
# every shipped sentence has its glyphs). Needs Debian's fonts-noto-cjk and
# fonttools (pip install fonttools).
set -euo pipefail
cd "$(dirname "$0")/.."
source=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
text=$(grep -v '^#' client/locales/ja.txt | cut -d= -f2-)
# Font number 0 of the collection is Japanese.
pyftsubset "$source" --font-number=0 \
  --text="$text" \
  --unicodes="U+3000-303F,U+3040-309F,U+30A0-30FF,U+FF01-FF60" \
  --layout-features='' --no-hinting \
  --output-file=fonts/NotoSansJP-menu.otf
ls -l fonts/NotoSansJP-menu.otf
