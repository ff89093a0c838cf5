#!/bin/sh
# check_man.sh -- the softplus(3) man pages render without warnings, index every function and match the header.
# SPDX-License-Identifier: MIT
#
# Usage: check_man.sh <man dir holding man3/> <include/softplus.h> <exported_symbols.txt>
#   1. groff -t -man -ww and man -l --warnings give no warning for softplus.3
#   2. lexgrog (what mandb indexes) finds a NAME entry for every exported function
#   3. every exported function has its own page, and `man -l` of it shows softplus(3)
#   4. the SYNOPSIS declares exactly the functions include/softplus.h declares, with the same types and
#      parameter names (whitespace aside)
#   5. at 80 columns no rendered line is wider than 80 and no identifier is hyphenated
# Exits 77 (skipped) when groff, man or lexgrog is missing.
set -eu
LC_ALL=C.UTF-8
export LC_ALL

mandir=${1:?usage: check_man.sh <man dir> <softplus.h> <exported_symbols.txt>}
header=${2:?usage: check_man.sh <man dir> <softplus.h> <exported_symbols.txt>}
symbols=${3:?usage: check_man.sh <man dir> <softplus.h> <exported_symbols.txt>}
page=$mandir/man3/softplus.3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

die() {
    echo "check_man.sh: FAIL: $*" >&2
    exit 1
}
for tool in groff man lexgrog; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "check_man.sh: SKIPPED: $tool is not installed (Debian: groff-base, man-db); the man pages were NOT checked"
        exit 77
    fi
done
[ -f "$page" ] || die "no $page"
functions=$(sed -n 's|^\(softplus_[a-z0-9_]*\)@@.*|\1|p' "$symbols")
[ -n "$functions" ] || die "no functions in $symbols"

# 1. warnings
groff -t -man -Tutf8 -ww -z "$page" 2>"$work/groff.err" || die "groff failed: $(cat "$work/groff.err")"
[ ! -s "$work/groff.err" ] || die "groff -ww warns: $(cat "$work/groff.err")"
MANWIDTH=80 man --warnings -l "$page" >"$work/page.txt" 2>"$work/man.err" || die "man -l failed: $(cat "$work/man.err")"
[ ! -s "$work/man.err" ] || die "man --warnings -l warns: $(cat "$work/man.err")"

# 2. the index
lexgrog "$page" >"$work/lexgrog.txt" || die "lexgrog cannot parse the NAME section"
for fn in softplus $functions; do
    grep -q "^$page: \"$fn - " "$work/lexgrog.txt" || die "lexgrog finds no NAME entry for $fn"
done

# 3. one page per function
for fn in $functions; do
    stub=$mandir/man3/$fn.3
    [ -f "$stub" ] || die "no page $stub"
    (cd "$mandir" && MANWIDTH=80 man -l "man3/$fn.3" 2>&1) | grep -q "^SOFTPLUS(3)" ||
        die "man -l $stub does not show softplus(3)"
done

# 4. SYNOPSIS against the header: one normalised prototype per line, sorted.
normalise() {
    tr '\n' ' ' | tr ';' '\n' | sed -e 's/[[:space:]][[:space:]]*/ /g' -e 's/^ //' -e 's/ $//' \
        -e 's/( /(/g' -e 's/ )/)/g' -e 's/ ,/,/g' -e 's/\* /*/g' | grep -v '^$' | sort
}
awk '/^SOFTPLUS_API / { on = 1 } on { print } on && /\);/ { on = 0 }' "$header" |
    sed 's/^SOFTPLUS_API //' | normalise >"$work/header.txt"
MANWIDTH=250 man -l "$page" 2>/dev/null | sed -n '/^SYNOPSIS/,/^ *Compile and link/p' |
    sed -e '1d' -e '$d' -e '/#include/d' | normalise >"$work/synopsis.txt"
[ -s "$work/header.txt" ] || die "no prototypes found in $header"
if ! cmp -s "$work/header.txt" "$work/synopsis.txt"; then
    diff -u "$work/header.txt" "$work/synopsis.txt" >&2 || true
    die "the SYNOPSIS differs from $header (- header, + man page)"
fi

# 5. layout at 80 columns
width=$(expand "$work/page.txt" | wc -L)
[ "$width" -le 80 ] || die "the page is $width columns wide at MANWIDTH=80"
# groff breaks words with U+2010 HYPHEN; the page turns hyphenation off so names stay whole.
if grep -n "$(printf '\342\200\220')" "$work/page.txt" >"$work/hyphens.txt"; then
    die "hyphenated words in the rendered page: $(cat "$work/hyphens.txt")"
fi
echo "check_man.sh: PASS: softplus(3) renders without warnings; $(echo $functions | wc -w) functions" \
    "indexed, paged and declared as in $(basename "$header")"
