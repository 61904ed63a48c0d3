#!/usr/bin/env python3
"""Render a terminal capture with ANSI colours (``tmux capture-pane -e -p``) as an SVG.

Standard library only. Understands SGR sequences: reset, bold, dim, italic, underline,
reverse, the 8/16 colours, 256 colours (``38;5;n``) and truecolor (``38;2;r;g;b``, also with
colons). Other escape sequences are skipped. Wide (East Asian) characters take two cells.

    ansi2svg.py [--cols N] [--rows N] [--light] [--title T] [--replace OLD=NEW] IN OUT
"""

import argparse
import html
import re
import sys
import unicodedata

CELL_W = 8.4  # 0.6 em at 14 px: the advance of common monospace fonts
CELL_H = 18
FONT_SIZE = 14
PAD = 12
FONT = "'DejaVu Sans Mono', 'Menlo', 'Consolas', 'Noto Sans Mono CJK SC', monospace"

# The 16-colour palettes of a common editor's dark and light terminals.
SCHEMES = {
    "dark": {
        "fg": "#d4d4d4",
        "bg": "#1e1e1e",
        "palette": [
            "#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd",
            "#e5e5e5", "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6",
            "#29b8db", "#ffffff",
        ],
    },
    "light": {
        "fg": "#1e1e1e",
        "bg": "#fafafa",
        "palette": [
            "#000000", "#cd3131", "#00bc00", "#949800", "#0451a5", "#bc05bc", "#0598bc",
            "#555555", "#666666", "#cd3131", "#14ce14", "#b5ba00", "#0451a5", "#bc05bc",
            "#0598bc", "#a5a5a5",
        ],
    },
}
PALETTE16 = SCHEMES["dark"]["palette"]


def color256(n):
    if n < 16:
        return PALETTE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        r, g, b = steps[n // 36], steps[(n // 6) % 6], steps[n % 6]
        return "#%02x%02x%02x" % (r, g, b)
    v = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (v, v, v)


class Style:
    __slots__ = ("fg", "bg", "bold", "dim", "italic", "underline", "reverse")

    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.italic = self.underline = self.reverse = False

    def copy(self):
        s = Style()
        for k in self.__slots__:
            setattr(s, k, getattr(self, k))
        return s

    def resolved(self, scheme):
        """(fg, bg, bold, dim, italic, underline) with defaults and reverse applied."""
        fg = self.fg or scheme["fg"]
        bg = self.bg or scheme["bg"]
        if self.reverse:
            fg, bg = bg, fg
        return (fg, bg, self.bold, self.dim, self.italic, self.underline)


def apply_sgr(style, params):
    parts = params.replace(":", ";").split(";") if params else ["0"]
    nums = [int(p) if p.isdigit() else 0 for p in parts]
    i = 0
    while i < len(nums):
        n = nums[i]
        if n == 0:
            style.reset()
        elif n == 1:
            style.bold = True
        elif n == 2:
            style.dim = True
        elif n == 3:
            style.italic = True
        elif n in (4, 21):
            style.underline = True
        elif n == 7:
            style.reverse = True
        elif n == 22:
            style.bold = style.dim = False
        elif n == 23:
            style.italic = False
        elif n == 24:
            style.underline = False
        elif n == 27:
            style.reverse = False
        elif 30 <= n <= 37:
            style.fg = PALETTE16[n - 30]
        elif 40 <= n <= 47:
            style.bg = PALETTE16[n - 40]
        elif 90 <= n <= 97:
            style.fg = PALETTE16[n - 90 + 8]
        elif 100 <= n <= 107:
            style.bg = PALETTE16[n - 100 + 8]
        elif n == 39:
            style.fg = None
        elif n == 49:
            style.bg = None
        elif n in (38, 48):
            color = None
            if i + 2 < len(nums) and nums[i + 1] == 5:
                color = color256(nums[i + 2])
                i += 2
            elif i + 1 < len(nums) and nums[i + 1] == 2 and i + 4 < len(nums):
                r, g, b = nums[i + 2:i + 5]
                color = "#%02x%02x%02x" % (r & 255, g & 255, b & 255)
                i += 4
            if n == 38:
                style.fg = color
            else:
                style.bg = color
        i += 1


ESCAPE = re.compile(r"\x1b\[([0-9;:?]*)([A-Za-z])|\x1b[()][A-Za-z0-9]|\x1b.")


def char_width(ch):
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def parse(text):
    """Rows of cells; a cell is (char, Style) and a wide char is followed by (None, style)."""
    rows = []
    style = Style()
    for line in text.split("\n"):
        cells = []
        pos = 0
        for m in ESCAPE.finditer(line):
            add_text(cells, line[pos:m.start()], style)
            if m.group(2) == "m":
                apply_sgr(style, m.group(1))
            pos = m.end()
        add_text(cells, line[pos:], style)
        rows.append(cells)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def add_text(cells, text, style):
    for ch in text:
        if ch in "\r\x07":
            continue
        w = char_width(ch)
        if w == 0:
            continue
        s = style.copy()
        cells.append((ch, s))
        if w == 2:
            cells.append((None, s))


def replace_in_rows(rows, old, new):
    """Replace `old` with the same-width `new` inside each row, keeping the styles."""
    if not old:
        return
    if sum(map(char_width, old)) != sum(map(char_width, new)):
        sys.exit("ansi2svg: --replace needs OLD and NEW of the same width")
    for cells in rows:
        chars = "".join(c if c is not None else "\0" for c, _ in cells)
        start = chars.find(old)
        while start >= 0:
            new_cells = []
            for k, ch in enumerate(new):
                s = cells[start + min(k, len(old) - 1)][1]
                new_cells.append((ch, s))
                if char_width(ch) == 2:
                    new_cells.append((None, s))
            cells[start:start + len(old)] = new_cells
            chars = "".join(c if c is not None else "\0" for c, _ in cells)
            start = chars.find(old, start + len(new_cells))


def render(rows, cols, nrows, scheme, title):
    width = PAD * 2 + cols * CELL_W
    height = PAD * 2 + nrows * CELL_H
    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" '
        'viewBox="0 0 %.1f %.1f" font-family="%s" font-size="%d">'
        % (width, height, width, height, html.escape(FONT, quote=True), FONT_SIZE)
    ]
    if title:
        out.append("<title>%s</title>" % html.escape(title))
    out.append('<rect width="100%%" height="100%%" rx="6" fill="%s"/>' % scheme["bg"])
    texts = []
    for y, cells in enumerate(rows[:nrows]):
        cells = cells[:cols]
        top = PAD + y * CELL_H
        baseline = top + CELL_H * 0.76
        # Background runs.
        x = 0
        while x < len(cells):
            bg = cells[x][1].resolved(scheme)[1]
            end = x
            while end < len(cells) and cells[end][1].resolved(scheme)[1] == bg:
                end += 1
            if bg != scheme["bg"]:
                out.append(
                    '<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>'
                    % (PAD + x * CELL_W, top, (end - x) * CELL_W + 0.5, CELL_H, bg)
                )
            x = end
        # Text runs of one style; wide characters stand alone so each sits in its two cells.
        x = 0
        while x < len(cells):
            ch, st = cells[x]
            if ch is None or ch == " ":
                x += 1
                continue
            key = st.resolved(scheme)
            if char_width(ch) == 2:
                texts.append(text_el(ch, x, 2, baseline, key))
                x += 2
                continue
            end = x
            while (
                end < len(cells)
                and cells[end][0] is not None
                and char_width(cells[end][0]) == 1
                and cells[end][1].resolved(scheme) == key
            ):
                end += 1
            run = "".join(c for c, _ in cells[x:end]).rstrip(" ")
            texts.append(text_el(run, x, len(run), baseline, key))
            x = end
    out.append('<g xml:space="preserve">')
    out.extend(texts)
    out.append("</g></svg>")
    return "\n".join(out) + "\n"


def text_el(run, x, ncells, baseline, key):
    fg, _bg, bold, dim, italic, underline = key
    attrs = ['x="%.1f"' % (PAD + x * CELL_W), 'y="%.1f"' % baseline, 'fill="%s"' % fg]
    if ncells > 1 or len(run) > 1:
        attrs.append('textLength="%.1f" lengthAdjust="spacingAndGlyphs"' % (ncells * CELL_W))
    if bold:
        attrs.append('font-weight="bold"')
    if dim:
        attrs.append('opacity="0.6"')
    if italic:
        attrs.append('font-style="italic"')
    if underline:
        attrs.append('text-decoration="underline"')
    return "<text %s>%s</text>" % (" ".join(attrs), html.escape(run, quote=False))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input", help="capture file ('-' for stdin)")
    ap.add_argument("output", help="SVG file ('-' for stdout)")
    ap.add_argument("--cols", type=int, help="terminal width (default: widest line)")
    ap.add_argument("--rows", type=int, help="terminal height (default: number of lines)")
    ap.add_argument("--light", action="store_true", help="light terminal background")
    ap.add_argument("--title", help="SVG title")
    ap.add_argument("--replace", action="append", default=[], metavar="OLD=NEW",
                    help="replace text of the same width (e.g. a temporary path)")
    args = ap.parse_args()

    if args.input == "-":
        text = sys.stdin.read()
    else:
        with open(args.input, encoding="utf-8", errors="replace") as f:
            text = f.read()
    scheme = SCHEMES["light" if args.light else "dark"]
    global PALETTE16
    PALETTE16 = scheme["palette"]
    rows = parse(text)
    for spec in args.replace:
        old, sep, new = spec.partition("=")
        if not sep:
            sys.exit("ansi2svg: --replace wants OLD=NEW")
        replace_in_rows(rows, old, new)
    cols = args.cols or max((len(r) for r in rows), default=80)
    nrows = args.rows or len(rows)
    svg = render(rows, cols, nrows, scheme, args.title)
    if args.output == "-":
        sys.stdout.write(svg)
    else:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(svg)


if __name__ == "__main__":
    main()
