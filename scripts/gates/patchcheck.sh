#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Review gates on the patch files themselves (no kernel build needed):
#   checkpatch  checkpatch.pl --strict: no errors, warnings or checks except
#               those in scripts/checkpatch.allow, each with a reason
#   format      subject prefix, a body that explains, Pagewise authorship
#               and Signed-off-by on every patch

set -eu
. "$(dirname "$0")/../lib/common.sh"

ALLOW=$TOP/scripts/gates/checkpatch.allow

do_checkpatch() {
	need_tree
	bad=0
	# Allowlist lines: "<patch file> <TYPE> <one-line reason>".
	if [ -f "$ALLOW" ]; then
		if grep -vE '^[[:space:]]*(#|$)' "$ALLOW" | awk 'NF < 3 { exit 1 }'; then :; else
			die "$ALLOW: every entry needs a patch, a checkpatch type and a reason"
		fi
	fi
	# checkpatch.pl output depends only on the patch and on checkpatch.pl
	# and its data files: keep it per content hash, so that a warm run
	# checks only the patches that changed.
	cache=$WORKDIR/checkpatch-cache
	mkdir -p "$cache"
	tool=$(cd "$KDIR" && cat scripts/checkpatch.pl scripts/spelling.txt \
		scripts/const_structs.checkpatch 2>/dev/null | sha256sum | cut -c1-16)
	# Fill the cache first, one checkpatch.pl per CPU (each is a
	# single-threaded perl run of a second or two per patch).
	for p in $(series_patches); do
		key=$cache/$tool-$(sha256sum <"$TOP/patches/$p" | cut -c1-40)
		[ -f "$key" ] || printf '%s %s\n' "$TOP/patches/$p" "$key"
	done | (cd "$KDIR" && xargs -r -n2 -P"$(nproc)" sh -c \
		'{ ./scripts/checkpatch.pl --strict --terse --show-types \
			--no-summary "$1" 2>&1 || :; } >"$2.tmp" && mv "$2.tmp" "$2"' sh)
	for p in $(series_patches); do
		key=$cache/$tool-$(sha256sum <"$TOP/patches/$p" | cut -c1-40)
		[ -f "$key" ] || die "checkpatch.pl gave no result for $p"
		out=$(cat "$key")
		printf '%s\n' "$out" | grep -E ': (ERROR|WARNING|CHECK):' | while IFS= read -r line; do
			type=$(printf '%s\n' "$line" | sed -n 's/.*: \(ERROR\|WARNING\|CHECK\):\([A-Z0-9_]*\):.*/\2/p')
			if [ -f "$ALLOW" ] && grep -qE "^${p##*/}[[:space:]]+$type[[:space:]]" "$ALLOW"; then
				continue
			fi
			echo "$line"
		done >"$WORKDIR/checkpatch.$$"
		if [ -s "$WORKDIR/checkpatch.$$" ]; then
			sed "s|^|$p: |" "$WORKDIR/checkpatch.$$"
			bad=1
		fi
		rm -f "$WORKDIR/checkpatch.$$"
	done
	[ $bad = 0 ] || die "checkpatch --strict is not clean"
	echo "checkpatch --strict clean on $(series_patches | wc -l) patches"
}

do_format() {
	bad=0
	for p in $(series_patches); do
		f=$TOP/patches/$p
		fail() { info "$p: $*"; bad=1; }
		subj=$(patch_subject "$f")
		printf '%s\n' "$subj" | grep -qE '^[a-zA-Z0-9_./, -]+: [^ ]' ||
			fail "subject '$subj' lacks a 'subsystem: ' prefix"
		[ ${#subj} -le 75 ] || fail "subject longer than 75 characters"
		grep -qxF "From: $AUTHOR_ID" "$f" || fail "author is not $AUTHOR_ID"
		# The message body: after the first blank line, before the '---'.
		body=$(awk 'h && /^---$/ { exit } h { print } /^$/ { h = 1 }' "$f")
		words=$(printf '%s\n' "$body" | grep -vE '^[A-Za-z-]+: ' | wc -w)
		[ "$words" -ge 20 ] || fail "commit message body too short to say why ($words words)"
		printf '%s\n' "$body" | grep -qxF "Signed-off-by: $AUTHOR_ID" ||
			fail "no 'Signed-off-by: $AUTHOR_ID'"
	done
	[ $bad = 0 ] || die "patch format check failed"
	echo "subject, body, author and Signed-off-by fine on $(series_patches | wc -l) patches"
}

case ${1:-} in
checkpatch) do_checkpatch ;;
format) do_format ;;
*) die "usage: $0 checkpatch|format" ;;
esac
