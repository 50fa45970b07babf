#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Bisectability: does every patch of the series build?
#
# The default form compiles, after every patch, the objects the series can
# affect that this patch's changes reach, in the KUnit build dirs (UML,
# x86_64, x86_64-mm), and checks on x86_64 that every symbol those objects
# reference is defined somewhere at that patch.  "Objects the series can
# affect" are those whose source the series touches (compiled when any
# touched file they depend on changes), plus the includers of touched
# headers that at most $LIMIT objects include (compiled when that header
# changes; scripts/objdeps.py).  Includers of widely used headers (mm.h,
# bvec.h, pfn.h...) are compiled at the tip only, by 'make kunit': a change
# to such a header rebuilds the whole kernel, and doing that at every patch
# that touches one would cost more than the CI budget.  See
# docs/workbench.md, "Which form of build-each CI runs".
#
# FULL=1 is the thorough form: a complete incremental build of both
# kernels at base and after every patch.  Run it before sending.
#
# Prints one line per patch; fails on the first patch that breaks.
# ARCH=um|x86_64|x86_64-mm narrows to one KUnit kernel (x86_64-mm is the
# second x86_64 kernel, with ZONE_DEVICE; see kunit.sh).

set -eu
. "$(dirname "$0")/../lib/common.sh"

need_tree
# The KUnit kernels some kunitconfig of the series runs on.
kunit_arches() {
	for _a in um x86_64 x86_64-mm; do
		grep -lqE "^# arch:.*[[:space:]]$_a([[:space:]]|\$)" "$TOP"/kunit/*.kunitconfig &&
			echo "$_a"
	done
}
arches=${ARCH:-$(kunit_arches | tr '\n' ' ')}
LIMIT=${LIMIT:-50}
for a in $arches; do
	case $a in um|x86_64|x86_64-mm) ;; *) die "unknown ARCH=$a (known: um x86_64 x86_64-mm)" ;; esac
	[ -f "$BUILDDIR/kunit-$a/.config" ] ||
		die "no $a KUnit build yet (run 'make kunit ARCH=$a' first)"
done
[ -z "$(kgit status --porcelain --untracked-files=no)" ] ||
	die "$KDIR has uncommitted changes; commit or stash them"

use_ccache
cc="${ccache}gcc"
res=$WORKDIR/results
mkdir -p "$res"

for a in $arches; do
	cp "$BUILDDIR/kunit-$a/.config" "$BUILDDIR/kunit-$a/.config.tip"
done
trap 'kgit checkout -q -f "$BRANCH"; for a in $arches; do
	cp "$BUILDDIR/kunit-$a/.config.tip" "$BUILDDIR/kunit-$a/.config"; done' EXIT

# kmake ARCH ARGS...: make in the KUnit build dir of ARCH, with the
# variables kunit.sh uses (so that nothing is rebuilt for a changed
# command line).
kmake() {
	_a=$1
	shift
	make -C "$KDIR" O="$BUILDDIR/kunit-$_a" ARCH="${_a%%-*}" CC="$cc" \
		HOSTCC="$cc" "$@"
}

# keep_obj OBJ CONFIG KDIR: false if every line of OBJ's Makefile that
# names it is obj-$(CONFIG_X) with no such X set in CONFIG, i.e. if the
# config cannot build OBJ (blktrace.o, for one, has two such lines).
keep_obj() {
	_lines=$(grep -E "(^|[[:space:]=])${1##*/}([[:space:]\\\\]|$)" \
		"$3/${1%/*}/Makefile" 2>/dev/null) || return 0
	_opts=$(printf '%s\n' "$_lines" |
		sed -nE 's/^obj-\$\((CONFIG_[A-Za-z0-9_]+)\)[[:space:]]*[+:]?=.*/\1/p')
	[ "$(printf '%s\n' "$_opts" | grep -c .)" -eq \
		"$(printf '%s\n' "$_lines" | grep -c .)" ] || return 0
	for _o in $_opts; do
		grep -qE "^$_o=(y|m)$" "$2" && return 0
	done
	return 1
}

tip=$(kgit rev-parse "refs/heads/$BRANCH")
start=$(date +%s)

if [ "${FULL:-0}" = 1 ]; then
	# The full form: every object, every patch.
	build_full() {
		line=$(printf '%-62s' "$1")
		for a in $arches; do
			log=$res/build-each-$a.log
			t0=$(date +%s)
			cp "$BUILDDIR/kunit-$a/.config.tip" "$BUILDDIR/kunit-$a/.config"
			if ! { kmake "$a" olddefconfig &&
				kmake "$a" -j"$(nproc)"; } >"$log" 2>&1; then
				echo "$line $a FAILED"
				grep -E 'error|Error' "$log" | head -15
				die "$1 does not build for $a (log: $log)"
			fi
			line="$line $a $(($(date +%s) - t0))s"
		done
		echo "$line"
	}
	kgit checkout -q --detach base
	build_full base
	for c in $(kgit rev-list --reverse "base..$tip"); do
		kgit checkout -q --detach "$c"
		build_full "$(kgit log -1 --format=%s "$c" | cut -c1-60)"
	done
	echo "every patch builds (full form) for: $arches ($(($(date +%s) - start))s)"
	exit 0
fi

# 1. Both kernels complete at the tip, so that every object not rebuilt
#    below is the tip's.  Cheap right after 'make kunit'.
kgit checkout -q --detach "$tip"
for a in $arches; do
	log=$res/build-each-$a.log
	t0=$(date +%s)
	{ kmake "$a" olddefconfig && kmake "$a" -j"$(nproc)"; } >"$log" 2>&1 ||
		die "the tip does not build for $a (log: $log)"
	info "$a: tip complete ($(($(date +%s) - t0))s)"
done

# 2. The objects the series can affect, per arch.  When both arches are
#    walked, UML compiles only what x86_64 does not (arch/um, UML-only
#    options): the generic objects would only be compiled twice.
kgit diff --name-only base "$tip" >"$res/each-touched"
for a in $arches; do
	python3 "$TOP/scripts/lib/objdeps.py" "$BUILDDIR/kunit-$a" "$KDIR" \
		"$LIMIT" "$res/each-$a" <"$res/each-touched" 2>"$res/each-$a.wide"
done
case " $arches " in *" um "*)
	case " $arches " in *" x86_64 "*)
		awk 'NR == FNR { x[$1] = 1; next } !($1 in x)' \
			"$res/each-x86_64.targets" "$res/each-um.targets" \
			>"$res/each-um.only"
		mv "$res/each-um.only" "$res/each-um.targets"
		;;
	esac
	;;
esac
# x86_64-mm is x86_64 plus the mm options of parts 3 and 4 (ZONE_DEVICE,
# NUMA, SPECULATIVE_PAGE_FAULT...).  A target both kernels build is
# compiled on x86_64-mm too only when its source names an option that
# x86_64-mm sets to another value than x86_64: code only that config
# reaches.  The other shared objects (the block layer, mm/vmalloc.c...)
# would compile the same patch twice for what a header's #ifdef changes.
case " $arches " in *" x86_64-mm "*)
	case " $arches " in *" x86_64 "*)
		sort "$BUILDDIR/kunit-x86_64/.config.tip" >"$res/each-cfg-x86_64"
		grep '^CONFIG_' "$BUILDDIR/kunit-x86_64-mm/.config.tip" | sort |
			comm -23 - "$res/each-cfg-x86_64" | sed 's/=.*//' \
			>"$res/each-mm-opts"
		awk 'NR == FNR { x[$1] = 1; next } ($1 in x) { print $2 }' \
			"$res/each-x86_64.targets" "$res/each-x86_64-mm.targets" |
			(cd "$KDIR" && xargs -r grep -lwF -f "$res/each-mm-opts") \
			>"$res/each-mm-own" || :
		awk 'NR == FNR { x[$1] = 1; next }
			FILENAME == ARGV[2] { own[$1] = 1; next }
			!($1 in x) || ($2 in own)' \
			"$res/each-x86_64.targets" "$res/each-mm-own" \
			"$res/each-x86_64-mm.targets" >"$res/each-mm.only"
		mv "$res/each-mm.only" "$res/each-x86_64-mm.targets"
		;;
	esac
	;;
esac
for a in $arches; do
	info "$a: $(wc -l <"$res/each-$a.targets") objects to compile per patch;" \
		"$(wc -l <"$res/each-$a.wide") headers compiled at the tip only" \
		"(list: $res/each-$a.wide)"
done

# 3. x86_64 symbol check: what the rest of vmlinux defines at the tip.
#    Objects that are not in vmlinux (vDSO, boot code, host tools) are not
#    checked.
defined() {
	nm "$@" 2>/dev/null | awk 'NF == 3 && $2 ~ /^[A-TV-Z]$/ { print $3 }'
}
symcheck=
case " $arches " in *" x86_64 "*) symcheck=1 ;; esac
if [ -n "$symcheck" ]; then
	xb=$BUILDDIR/kunit-x86_64
	# ar lists the members with the build dir's path; the targets are
	# relative to it.
	ar t "$xb/vmlinux.a" | sed "s|^$xb/||" | sort -u >"$res/each-linked"
	cut -d' ' -f1 "$res/each-x86_64.targets" | sort |
		comm -12 - "$res/each-linked" | grep -q . ||
		die "no target is linked into vmlinux: the symbol check would check nothing"
	cut -d' ' -f1 "$res/each-x86_64.targets" | sort |
		comm -12 - "$res/each-linked" >"$res/each-checked"
	# Defined by the linked objects that are not targets, plus what only
	# the link defines (linker script symbols).
	comm -23 "$res/each-linked" "$res/each-checked" >"$res/each-others"
	(cd "$xb" && xargs -r nm <"$res/each-others" 2>/dev/null) |
		awk 'NF == 3 && $2 ~ /^[A-TV-Z]$/ { print $3 }' | sort -u \
		>"$res/each-rest"
	(cd "$xb" && xargs -r nm <"$res/each-linked" 2>/dev/null) |
		awk 'NF == 3 && $2 ~ /^[A-TV-Z]$/ { print $3 }' | sort -u \
		>"$res/each-objs"
	defined "$xb/vmlinux" | sort -u | comm -23 - "$res/each-objs" |
		sort -u - "$res/each-rest" -o "$res/each-rest"
fi

# build_arch ARCH LABEL: compile, at the current checkout, the targets of
# ARCH whose source exists and that this patch's changes trigger: a
# target whose source the series touches, for any touched file it
# depends on; an includer of a narrow header, for that header.  (An
# includer's wide headers are compiled at the tip, as for every other
# includer.)  Writes "-" (nothing to compile) or the seconds it took to
# $res/each-res-ARCH; fails if the patch does not build.
build_arch() {
	a=$1
	bdir=$BUILDDIR/kunit-$a
	cand=$res/each-cand-$a present=$res/each-present-$a now=$res/each-now-$a
	echo - >"$res/each-res-$a"
	# The targets this patch's changes trigger (objdeps.py's .why).
	awk 'FILENAME == ARGV[1] { c[$1] = 1; next }
		FILENAME == ARGV[2] { t[$1] = 1; next }
		($1 in t) && ($2 in c) { print $1 }' "$res/each-changed" \
		"$res/each-$a.targets" "$res/each-$a.why" >"$cand"
	kconf=
	grep -qE '(^|/)(Kconfig[^/]*|Makefile|Kbuild)$' \
		"$res/each-changed" && kconf=1
	[ -s "$cand" ] || [ -n "$kconf" ] || return 0
	t0=$(date +%s)
	log=$res/build-each-$a.log
	: >"$log"
	# The tip's config, less the options this patch does not have yet:
	# made at the first step and again after a Kconfig change (in
	# between, the last step's config is this patch's).
	if [ ! -f "$res/each-cfg-$a" ] ||
		grep -q 'Kconfig' "$res/each-changed"; then
		cp "$bdir/.config.tip" "$bdir/.config"
		kmake "$a" olddefconfig >"$log" 2>&1 ||
			die "$2: olddefconfig failed for $a (log: $log)"
	fi
	# Options that appeared or went since the last step, or a changed
	# file base..tip does not list (a file a patch adds and a later one
	# removes): every target whose source the series touches, too.
	if ! cmp -s "$bdir/.config" "$res/each-cfg-$a" ||
		grep -qvxF -f "$res/each-touched" "$res/each-changed"; then
		awk 'NR == FNR { t[$1] = 1; next } ($2 in t) { print $1 }' \
			"$res/each-touched" "$res/each-$a.targets" >>"$cand"
	fi
	cp "$bdir/.config" "$res/each-cfg-$a"
	# Targets whose source exists at this patch.
	while read -r o s; do
		[ -f "$KDIR/$s" ] && echo "$o"
	done <"$res/each-$a.targets" >"$present" || :
	sort -u "$cand" | grep -xF -f - "$present" >"$now" || :
	[ -s "$now" ] || return 0
	# What this patch's config does not build is not compiled, as in a
	# bisect build: an object whose Makefile line needs an option the
	# patch cannot enable yet (an arch selects it later).
	while read -r o; do
		keep_obj "$o" "$bdir/.config" "$KDIR" && echo "$o"
	done <"$now" >"$now.cfg"
	mv "$now.cfg" "$now"
	[ -s "$now" ] || return 0
	if ! kmake "$a" -j"$(nproc)" $(cat "$now") >>"$log" 2>&1; then
		echo FAILED >"$res/each-res-$a"
		grep -E 'error|Error' "$log" | head -15
		die "$2 does not build for $a (log: $log)"
	fi
	if [ "$a" = x86_64 ] && [ -n "$symcheck" ]; then
		grep -xF -f "$now" "$res/each-checked" \
			>"$res/each-now-checked" || :
		# Defined: by every checked target whose source exists at this
		# patch (compiled now, or at the last patch that triggered it),
		# and by the rest of vmlinux.
		grep -xF -f "$res/each-checked" "$present" >"$res/each-exist" || :
		(cd "$bdir" && xargs -r nm <"$res/each-exist") 2>/dev/null |
			awk 'NF == 3 && $2 ~ /^[A-TV-Z]$/ { print $3 }' |
			sort -u >"$res/each-def"
		(cd "$bdir" && xargs -r nm <"$res/each-now-checked") \
			2>/dev/null | awk '$1 == "U" { print $2 }' | sort -u |
			comm -23 - "$res/each-def" |
			comm -23 - "$res/each-rest" >"$res/each-undef"
		if [ -s "$res/each-undef" ]; then
			echo FAILED >"$res/each-res-$a"
			echo "undefined at this patch:" $(head -20 "$res/each-undef")
			die "$2 would not link for $a"
		fi
	fi
	echo "$(($(date +%s) - t0))s" >"$res/each-res-$a"
}

# build_step LABEL: build_arch for every kernel, side by side: most steps
# compile a handful of objects, and make's own start in a 1400-object
# build dir is one CPU's work, so one kernel alone leaves a core idle.
# Each runs in a subshell without the EXIT trap (which would check the
# branch out under the others).
build_step() {
	pids=
	for a in $arches; do
		(trap - EXIT; build_arch "$a" "$1") &
		pids="$pids $!"
	done
	ok=1
	for p in $pids; do
		wait "$p" || ok=
	done
	line=$(printf '%-62s' "$1")
	for a in $arches; do
		line="$line $a $(cat "$res/each-res-$a")"
	done
	echo "$line"
	[ -n "$ok" ] || die "$1 does not build (above)"
}

# 4. Every patch but the tip, which step 1 built completely.
#    The build dirs hold the tip's objects: the first patch's changes are
#    counted from the tip, so that every target whose sources differ
#    from the tip's is compiled there, and from then on a target's object
#    is that of the last patch that triggered it.
for a in $arches; do
	rm -f "$res/each-cfg-$a"
done
prev=$tip
for c in $(kgit rev-list --reverse "base..$tip^"); do
	kgit checkout -q --detach "$c"
	kgit diff --name-only "$prev" "$c" >"$res/each-changed"
	build_step "$(kgit log -1 --format=%s "$c" | cut -c1-60)"
	prev=$c
done

# 4b. Each part alone onto base (refs/pagewise/partN, from 'series.sh
#     alone'): the targets its files reach compile without the other parts.
#     A part whose tree is the tip's (the only part) was built above.
for n in $(series_parts); do
	ref=$(part_ref "$n")
	kgit rev-parse -q --verify "$ref" >/dev/null ||
		die "no $ref: run 'scripts/tree/series.sh alone' first"
	if [ "$(kgit rev-parse "$ref^{tree}")" = "$(kgit rev-parse "$tip^{tree}")" ]; then
		echo "part $n alone: the series' tree, built above"
		continue
	fi
	kgit checkout -q --detach "$ref"
	kgit diff --name-only "$prev" "$ref" >"$res/each-changed"
	build_step "part $n alone ($(part_patches "$n" | wc -l) patches)"
	prev=$ref
done

# 5. Back to the tip: recompile the targets, then mark every other object
#    up to date again (they were built at the tip in step 1; only the
#    checkouts above made the headers look newer), so the next 'make kunit'
#    does not recompile the kernel.
kgit checkout -q --detach "$tip"
kgit diff --name-only "$prev" "$tip" >"$res/each-changed"
build_step "$(kgit log -1 --format=%s "$tip" | cut -c1-60)"
for a in $arches; do
	bdir=$BUILDDIR/kunit-$a
	cut -d' ' -f1 "$res/each-$a.targets" | sed 's|^|./|' >"$res/each-skip"
	(cd "$bdir" && find . -name '*.o' | grep -vxF -f "$res/each-skip" |
		xargs -r touch)
done
echo "every patch builds for: $arches ($(($(date +%s) - start))s)"
