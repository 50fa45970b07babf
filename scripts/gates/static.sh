#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Static gates on what the series touches, relative to base:
#   sparse    every touched .c built with C=2 W=1 (sparse plus the extra
#             compiler warnings): no warning that base does not have
#   kerneldoc scripts/kernel-doc -none -Wall on every touched .c/.h: no
#             warning that base does not have (base itself is not clean:
#             block/bio.c alone has 12, and fixing them is not this
#             series' business); every new EXPORT_SYMBOL has kernel-doc
# Both trees are built with the x86_64 KUnit config of the run (objects
# only the x86_64-mm kernel builds: with its config), so the objects the
# suites use are the ones checked.  A touched .c that config
# does not build is listed with where it is checked instead: #included
# by another touched file, or compiled for its architecture by the cross
# gate (scripts/cross.sh); one that is neither fails the gate.

set -eu
. "$(dirname "$0")/../lib/common.sh"

need_tree
touched=$(kgit diff --name-only --diff-filter=AMR base "refs/heads/$BRANCH" |
	grep -vE '^(tools|scripts)/' || true)

base_tree() {
	detached_worktree "$BASEWT" base
}

# Warnings, with line numbers and tree locations stripped for comparison.
# Out-of-tree builds name sources relative to O= ("../../linux/mm/x.c").
normalise() {
	grep -E '(warning|error):' | sed -E \
		-e "s|$KDIR/||g" -e "s|$BASEWT/||g" -e 's|^\./||' \
		-e 's|^(\.\./)+[^/]+/||' \
		-e 's/:[0-9]+(:[0-9]+)?:/:/' | sort -u
}

# setup_build SRC OUT KUNIT: build dir OUT for tree SRC with the config of
# the KUnit kernel KUNIT (x86_64 or x86_64-mm).
setup_build() {
	src=$1 out=$2
	cfg=$BUILDDIR/kunit-$3/.config
	[ -f "$cfg" ] || die "no $3 KUnit config yet (run 'make kunit ARCH=$3')"
	mkdir -p "$out"
	cmp -s "$cfg" "$out/.config.want" 2>/dev/null || {
		cp "$cfg" "$out/.config"
		cp "$cfg" "$out/.config.want"
	}
	make -s -C "$src" O="$out" ARCH=x86_64 CC="$cc" olddefconfig >/dev/null
	make -s -C "$src" O="$out" ARCH=x86_64 CC="$cc" -j"$(nproc)" prepare >/dev/null 2>&1 ||
		die "make prepare failed in $out"
}

# Build the objects $3... from tree $1 in $2; warnings on stdout.  One
# make for all of them (-k: one that fails does not stop the others),
# each recipe's output kept together (-Otarget) so that two compiles'
# warnings cannot interleave into a line that looks new.
build_objs() {
	src=$1 out=$2
	shift 2
	for o in "$@"; do
		rm -f "$out/$o"
	done
	[ $# = 0 ] ||
		make -C "$src" O="$out" ARCH=x86_64 CC="$cc" C=2 W=1 -k \
			-j"$(nproc)" -Otarget "$@" 2>&1 || true
	for o in "$@"; do
		[ -f "$out/$o" ] || echo "$o: error: not built by the x86_64 KUnit config"
	done
}

# Sparse + W=1 on OBJS... with the config of KUNIT ($1), series vs base;
# new warnings go to $WORKDIR/static-added.txt.
sparse_with() {
	k=$1
	shift
	sfx=
	[ "$k" = x86_64 ] || sfx=-${k#x86_64-}
	setup_build "$KDIR" "$BUILDDIR/static-series$sfx" "$k"
	setup_build "$BASEWT" "$BUILDDIR/static-base$sfx" "$k"
	new=$WORKDIR/static-series$sfx.txt old=$WORKDIR/static-base$sfx.txt
	build_objs "$KDIR" "$BUILDDIR/static-series$sfx" "$@" | normalise >"$new"
	inbase=
	for o in "$@"; do
		[ ! -f "$BASEWT/${o%.o}.c" ] || inbase="$inbase $o"
	done
	# shellcheck disable=SC2086
	build_objs "$BASEWT" "$BUILDDIR/static-base$sfx" $inbase | normalise >"$old"
	comm -13 "$old" "$new" >>"$WORKDIR/static-added.txt"
	echo "sparse C=2 + W=1 ($k config): $# objects checked" \
		"($(wc -l <"$old") warnings already in base)"
}

do_sparse() {
	# The block kernel (x86_64) first; what only the mm kernel
	# (x86_64-mm, ZONE_DEVICE) builds is checked with its config.
	objs='' mmobjs='' elsewhere='' unchecked=''
	for c in $(printf '%s\n' $touched | grep '\.c$'); do
		o=${c%.c}.o
		if [ -f "$BUILDDIR/kunit-x86_64/$o" ]; then
			objs="$objs $o"
			continue
		fi
		if [ -f "$BUILDDIR/kunit-x86_64-mm/$o" ]; then
			mmobjs="$mmobjs $o"
			continue
		fi
		by=$(cd "$KDIR" && grep -l "^#include \"${c##*/}\"" \
			$(printf '%s\n' $touched | grep "^${c%/*}/[^/]*\.c$") 2>/dev/null |
			head -1) || true
		if [ -n "$by" ]; then
			elsewhere="$elsewhere $c(included by $by)"
		elif grep -qE "(^|[[:space:]'])$o([[:space:]']|$)" "$TOP/scripts/gates/cross.sh"; then
			elsewhere="$elsewhere $c(cross gate)"
		else
			unchecked="$unchecked $c"
		fi
	done
	[ -z "$elsewhere" ] ||
		echo "not built by the x86_64 KUnit configs, checked elsewhere:$elsewhere"
	[ -z "$unchecked" ] ||
		die "touched but built by no gate:$unchecked"
	if [ -z "$objs$mmobjs" ]; then
		echo "no touched C file is built by the x86_64 KUnit configs"
		return 0
	fi
	base_tree
	use_ccache
	cc="${ccache}gcc"
	kgit checkout -q "$BRANCH"
	: >"$WORKDIR/static-added.txt"
	# shellcheck disable=SC2086
	[ -z "$objs" ] || sparse_with x86_64 $objs
	# shellcheck disable=SC2086
	[ -z "$mmobjs" ] || sparse_with x86_64-mm $mmobjs
	if [ -s "$WORKDIR/static-added.txt" ]; then
		cat "$WORKDIR/static-added.txt"
		die "new sparse/W=1 warnings (above)"
	fi
	echo "sparse C=2 + W=1: no new warnings"
}

do_kerneldoc() {
	files=$(printf '%s\n' $touched | grep -E '\.(c|h)$' || true)
	if [ -z "$files" ]; then
		echo "no C files or headers touched"
		return 0
	fi
	base_tree
	new=$WORKDIR/kdoc-series.txt old=$WORKDIR/kdoc-base.txt
	kgit checkout -q "$BRANCH"
	# shellcheck disable=SC2086
	(cd "$KDIR" && ./scripts/kernel-doc -none -Wall $files 2>&1) | normalise >"$new"
	inbase=
	for f in $files; do
		[ ! -f "$BASEWT/$f" ] || inbase="$inbase $f"
	done
	: >"$old"
	[ -z "$inbase" ] ||
		(cd "$BASEWT" && ./scripts/kernel-doc -none -Wall $inbase 2>&1) | normalise >"$old"
	added=$(comm -13 "$old" "$new")
	if [ -n "$added" ]; then
		printf '%s\n' "$added"
		die "new kernel-doc warnings (above)"
	fi
	# Every function the series exports has a kernel-doc comment.
	undoc=$(kgit diff -U0 base "refs/heads/$BRANCH" | awk '
		/^\+\+\+ b\// { file = substr($0, 7) }
		/^\+EXPORT_SYMBOL(_GPL)?\(/ {
			sym = $0; sub(/^[^(]*\(/, "", sym); sub(/\).*/, "", sym)
			print file, sym
		}' | while read -r f sym; do
			# alloc_hooks() wrappers document the name without _noprof.
			doc=${sym%_noprof}
			grep -qE "^ \* $doc(\(\))? - " "$KDIR/$f" || echo "$f: $sym"
		done)
	if [ -n "$undoc" ]; then
		printf '%s\n' "$undoc"
		die "exported without a kernel-doc comment (above)"
	fi
	echo "kernel-doc -Wall: no new warnings in $(echo "$files" | wc -w) files" \
		"($(wc -l <"$old") already in base); every new export documented"
}

case ${1:-} in
sparse) do_sparse ;;
kerneldoc) do_kerneldoc ;;
*) die "usage: $0 sparse|kerneldoc" ;;
esac
