#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The workbench's own tests: bad input gets a one-line error, a non-zero
# exit, and changes nothing.  Runs on a scratch copy of this repository
# and a scratch work dir that shares the real base tree's objects
# (KERNEL_SRC), so neither the real branch nor the real patches/ move.

set -u
. "$(dirname "$0")/../lib/common.sh"

need_tree
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pagewise-selftest.XXXXXX")
trap 'umount "$tmp/full" 2>/dev/null; rm -rf "$tmp"' EXIT
repo=$tmp/repo
mkdir -p "$repo"
(cd "$TOP" && git ls-files -z | xargs -0 tar -cf - 2>/dev/null) | tar -xf - -C "$repo"
ok=0 bad=0

pass() { ok=$((ok + 1)); echo "ok   $1"; }
fail() { bad=$((bad + 1)); echo "FAIL $1"; }

# expect_error <name> <regex> <cmd...>: non-zero exit, one-line message
# matching <regex>, and the scratch repo unchanged.
expect_error() {
	name=$1 re=$2
	shift 2
	before=$(cd "$repo" && find . -type f -exec sha256sum {} + | sort | sha256sum)
	out=$("$@" 2>&1) && { fail "$name: succeeded"; return; }
	after=$(cd "$repo" && find . -type f -exec sha256sum {} + | sort | sha256sum)
	msg=$(printf '%s\n' "$out" | grep -E 'error:' | head -1)
	if [ -z "$msg" ] || ! printf '%s\n' "$msg" | grep -qE "$re"; then
		fail "$name: unexpected output: $(printf '%s' "$out" | tail -3)"
	elif [ "$before" != "$after" ]; then
		fail "$name: changed the repository"
	else
		pass "$name: $msg"
	fi
}

# The mail header of a hand-made test patch; $1 is its subject.
mail_head() {
	printf 'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n'
	printf 'From: %s\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n' "$AUTHOR_ID"
	printf 'Subject: [PATCH] %s\n' "$1"
}

mk() { make -s -C "$repo" WORKDIR="$tmp/work" KERNEL_SRC="$KDIR" BASE_REF=base "$@"; }
# The scratch work dir uses the real one's tools (sparse): no second build.
mkdir -p "$tmp/work"
touch "$tmp/work/deps.stamp"

# A scratch work dir whose base is the real base (shared objects).
if ! mk apply >"$tmp/setup.log" 2>&1; then
	cat "$tmp/setup.log"
	die "could not set up the scratch work dir"
fi
pass "KERNEL_SRC clone applies the series: $(git -C "$tmp/work/linux" rev-list --count base..series) patches"

# Re-exporting an unchanged branch leaves patches/ byte-identical.
before=$(cd "$repo" && find patches series -type f -exec sha256sum {} + | sort | sha256sum)
mk export >/dev/null 2>&1
after=$(cd "$repo" && find patches series -type f -exec sha256sum {} + | sort | sha256sum)
[ "$before" = "$after" ] && pass "export of an unchanged branch changes nothing" ||
	fail "export of an unchanged branch changed patches/ or series"

# Series and patches/ disagree.
first=$(series_patches | head -1)
if [ -n "$first" ]; then
	mv "$repo/patches/$first" "$tmp/held.patch"
	expect_error "series entry without a file" "series lists .* does not exist" mk status
	mv "$tmp/held.patch" "$repo/patches/$first"
fi
cp "$repo/series" "$tmp/series.held"
touch "$repo/patches/0000-stray.patch"
expect_error "patch file not in series" "not listed in series" mk status
rm "$repo/patches/0000-stray.patch"

# The first part's folder and header, for hand-made test patches.
p1dir=$(series_patches | head -1 | sed 's|/.*||')
p1hdr=$(grep -m1 '^# Part [0-9]*:' "$repo/series")
# add_first FILE: list patches/$p1dir/FILE first in the first part.
add_first() {
	awk -v h="$p1hdr" -v e="$p1dir/$1" '{ print } $0 == h { print e }' \
		"$tmp/series.held" >"$repo/series"
}

# A patch that does not apply: the branch must stay where it was.
head_before=$(git -C "$tmp/work/linux" rev-parse series)
{ mail_head "lib: a patch whose context is not in the tree"; cat; } \
	>"$repo/patches/$p1dir/zz-broken.patch" <<'PATCH'

Signed-off-by: Pagewise <pagewise@example.org>
---
 lib/Makefile | 1 +
 1 file changed, 1 insertion(+)

diff --git a/lib/Makefile b/lib/Makefile
--- a/lib/Makefile
+++ b/lib/Makefile
@@ -1,3 +1,4 @@
 this line is not in lib/Makefile
+obj-y += nothing.o
 neither is this one
 nor this
PATCH
# First in the series, so that the apply fails at once rather than after
# the whole series.
add_first zz-broken.patch
expect_error "patch that does not apply" "zz-broken.patch does not apply" mk apply FORCE=1
[ "$(git -C "$tmp/work/linux" rev-parse series)" = "$head_before" ] &&
	[ ! -d "$tmp/work/linux/.git/rebase-apply" ] &&
	[ -z "$(git -C "$tmp/work/linux" status --porcelain --untracked-files=no)" ] &&
	pass "failed apply left the branch and tree as they were" ||
	fail "failed apply left state behind"
rm "$repo/patches/$p1dir/zz-broken.patch"
cp "$tmp/series.held" "$repo/series"

# A series entry outside a part's folder, and a part spread over two.
{ cat "$tmp/series.held"; echo "loose.patch"; } >"$repo/series"
touch "$repo/patches/loose.patch"
expect_error "series entry outside a part folder" "must be <partN-folder>/" mk status
rm "$repo/patches/loose.patch"
cp "$tmp/series.held" "$repo/series"

# A part that does not apply alone: part 99 changes a file the first
# part creates, so it applies after it but not alone.
f=$(git -C "$tmp/work/linux" diff --name-only --diff-filter=A base series -- '*.c' | head -1)
if [ -n "$f" ]; then
	mkdir -p "$repo/patches/part99-dep"
	git -C "$tmp/work/linux" show "series:$f" >"$tmp/dep.old"
	{ cat "$tmp/dep.old"; echo "/* depends on the part before */"; } >"$tmp/dep.new"
	{
		mail_head "lib: a part that needs the part before it"
		printf '\nThis part changes a file the first part changes, so it does not apply alone.\n\n'
		printf 'Signed-off-by: %s\n---\n' "$AUTHOR_ID"
		(cd "$tmp" && diff -u --label "a/$f" --label "b/$f" dep.old dep.new) || :
	} >"$repo/patches/part99-dep/zz-dep.patch"
	{ cat "$tmp/series.held"; printf '\n# Part 99: dep\npart99-dep/zz-dep.patch\n'; } >"$repo/series"
	expect_error "part that does not apply alone" "part 99 does not apply alone onto base: patches/part99-dep/zz-dep.patch fails on $f" \
		sh -c "TOP='$repo' WORKDIR='$tmp/work' '$repo/scripts/tree/series.sh' alone"
	rm -r "$repo/patches/part99-dep"
	cp "$tmp/series.held" "$repo/series"
else
	fail "part that does not apply alone: the series creates no .c file"
fi

# b4 for a part that does not exist.
expect_error "PART naming no part" "PART=99 names no part of the series" mk b4 PART=99

# make vmemmap-hmm: an unknown mode, quotes in the kernel arguments.
expect_error "vmemmap-hmm: unknown mode" "VMH_MODES: unknown mode bogus" \
	mk vmemmap-hmm VMH_MODES=bogus
expect_error "mm-selftests: quote in SPF_APPEND" "SPF_APPEND: no quotes" \
	mk spf-selftests "SPF_APPEND=a'b"

# make bench-vmalloc's counted boots, make vmemmap-fsdax: bad sizes and
# counts are refused before any build.
expect_error "bench-vmalloc: size 0" "COUNT_SIZES: '0' is not a positive number of pages" \
	mk bench-vmalloc "COUNT_SIZES=1 0"
expect_error "bench-vmalloc: too many rounds" "COUNT_ROUNDS=65: need 1-64" \
	mk bench-vmalloc COUNT_ROUNDS=65
expect_error "bench-vmalloc: nothing to boot" "n 0 -c 0: nothing to boot" \
	mk bench-vmalloc BOOTS=0 PWCOUNT_BOOTS=0
expect_error "bench-bio: no counted boot" "c 0: need a positive number of boots" \
	mk bench-bio PWCOUNT_BOOTS=0
expect_error "bench-bio: a part 1 ref that is no commit" "part 1 ref 'no-such-ref' is not a commit" \
	mk bench-bio BIO_REF=no-such-ref
expect_error "part1-identity without a part 1 tree" "P1_TREE=<a checkout of part 1 alone> is needed" \
	mk part1-identity
expect_error "vmemmap-fsdax: size 0" "FSDAX_SIZE=0: need a positive whole number" \
	mk vmemmap-fsdax FSDAX_SIZE=0
expect_error "vmemmap-fsdax: pmem below 4 GiB" "FSDAX_START=2: the pmem range must start at 4 GiB" \
	mk vmemmap-fsdax FSDAX_START=2
expect_error "vmemmap-fsdax: bad FSDAX_ONDEMAND" "FSDAX_ONDEMAND=yes: 0 or 1" \
	mk vmemmap-fsdax FSDAX_ONDEMAND=yes

# make mutate: unknown part or mutant, a named case that does not exist,
# a mutant that no longer applies.  Each is refused before any build.
expect_error "mutate: PART naming no part" "PART=99 names no part of the series" \
	mk mutate PART=99
expect_error "mutate: unknown MUTANT" "MUTANT=no-such-mutant: no such mutant" \
	mk mutate MUTANT=no-such-mutant
mfile=$(ls "$repo"/kunit/mutants/*/*.patch 2>/dev/null | head -1)
if [ -n "$mfile" ]; then
	mname=$(basename "$mfile" .patch)
	cp "$mfile" "$tmp/mutant.held"
	sed -i 's/^Catches: .*/Catches: no_suite.no_case/' "$mfile"
	expect_error "mutate: a case that does not exist" "names suite no_suite, which does not exist" \
		mk mutate MUTANT="$mname"
	cp "$tmp/mutant.held" "$mfile"
	# A context line of the diff no longer matches the tree.
	awk '!d && /^ / { print " pagewise-selftest: no such line"; d = 1; next } { print }' \
		"$tmp/mutant.held" >"$mfile"
	expect_error "mutate: a mutant that no longer applies" "mutant $mname no longer applies to the series \\(.* changed\\)" \
		mk mutate MUTANT="$mname"
	# ... also when make check's rotation would not pick it today.
	expect_error "mutate: a stale mutant outside the rotation" "mutant $mname no longer applies to the series \\(.* changed\\)" \
		mk mutate MUTATE_ROTATE=1
	cp "$tmp/mutant.held" "$mfile"
	# A usertest guest that does not exist, a test it does not have.
	sed -i -e 's/^Catches: .*/Catches: usertest:no_guest:1/' -e 's/^Arch: .*/Arch: x86_64/' "$mfile"
	expect_error "mutate: a usertest guest that does not exist" "no usertest guest no_guest" \
		mk mutate MUTANT="$mname"
	sed -i -e 's/^Catches: .*/Catches: usertest:spf:99/' -e 's/^Arch: .*/Arch: x86_64/' "$mfile"
	expect_error "mutate: a usertest test that does not exist" "the spf usertest has tests 1\\.\\.[0-9]+" \
		mk mutate MUTANT="$mname"
	# The fsdax harness boots x86_64 only.
	sed -i -e 's/^Catches: .*/Catches: fsdax/' -e 's/^Arch: .*/Arch: um/' "$mfile"
	expect_error "mutate: an fsdax mutant for UML" "fsdax runs on x86_64 only" \
		mk mutate MUTANT="$mname"
	cp "$tmp/mutant.held" "$mfile"
else
	fail "mutate: no mutant in kunit/mutants/"
fi
expect_error "usertest: a guest that does not exist" "USERTEST_GUEST: no guest no_guest" \
	mk usertest USERTEST_GUEST=no_guest

# The review gates catch a style error and a missing sign-off.
{ mail_head "lib: add a badly formatted comment"; cat; } \
	>"$repo/patches/$p1dir/zz-style.patch" <<'PATCH'

This patch exists only to show that the checkpatch gate and the format
gate reject what a reviewer would reject: trailing whitespace and a
missing sign-off.
---
 lib/Makefile | 1 +
 1 file changed, 1 insertion(+)

diff --git a/lib/Makefile b/lib/Makefile
--- a/lib/Makefile
+++ b/lib/Makefile
@@ -1,3 +1,4 @@
 # SPDX-License-Identifier: GPL-2.0
+# trailing whitespace here 
 #
 # Makefile for some libs needed in the kernel.
PATCH
add_first zz-style.patch
# checkpatch.pl's results are kept per patch content: start from the real
# work dir's, so that only the new patch is checked.
[ ! -d "$WORKDIR/checkpatch-cache" ] ||
	cp -r "$WORKDIR/checkpatch-cache" "$tmp/work/"
expect_error "checkpatch finding" "checkpatch --strict is not clean" \
	sh -c "TOP='$repo' WORKDIR='$tmp/work' '$repo/scripts/gates/patchcheck.sh' checkpatch"
expect_error "missing Signed-off-by" "patch format check failed" \
	sh -c "TOP='$repo' '$repo/scripts/gates/patchcheck.sh' format"
rm "$repo/patches/$p1dir/zz-style.patch"
cp "$tmp/series.held" "$repo/series"

# Unknown ARCH or SUITE: refused before anything is built.
expect_error "unknown ARCH" "unknown ARCH=arm64" mk kunit ARCH=arm64
expect_error "unknown SUITE" "matches no suite" mk kunit SUITE=no_such_suite
expect_error "SUITE not on that ARCH" "matches no suite" mk kunit SUITE='no_such*' ARCH=um

# KERNEL_SRC that is not a git tree, or that has uncommitted changes.
mkdir -p "$tmp/notgit"
expect_error "KERNEL_SRC not a git tree" "not a git tree" \
	make -s -C "$repo" WORKDIR="$tmp/work2" KERNEL_SRC="$tmp/notgit" base
git init -q "$tmp/dirty"
echo clean >"$tmp/dirty/Makefile"
git -C "$tmp/dirty" add Makefile
git -C "$tmp/dirty" -c user.name=t -c user.email=t@t commit -q -m t
echo dirty >>"$tmp/dirty/Makefile"
expect_error "KERNEL_SRC with uncommitted changes" "uncommitted changes" \
	make -s -C "$repo" WORKDIR="$tmp/work3" KERNEL_SRC="$tmp/dirty" base
[ ! -e "$tmp/work3/linux" ] && pass "refused KERNEL_SRC created no tree" ||
	fail "refused KERNEL_SRC left a tree behind"
# KERNEL_SRC at another kernel version than the series'.
git init -q "$tmp/old"
printf 'VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 0\n' >"$tmp/old/Makefile"
git -C "$tmp/old" add Makefile
git -C "$tmp/old" -c user.name=t -c user.email=t@t commit -q -m t
expect_error "KERNEL_SRC at another version" "is Linux 6.12; the series applies to Linux $SERIES_VERSION" \
	make -s -C "$repo" WORKDIR="$tmp/work4" KERNEL_SRC="$tmp/old" base
# The base package's suite not reachable (a suite that does not exist).
expect_error "base package not reachable" "needs Debian's no-such-suite suite" \
	make -s -C "$repo" WORKDIR="$tmp/work5" BASE_SUITE=no-such-suite deps

# A full disk in the work dir (a 1 MiB tmpfs).
mkdir -p "$tmp/full"
if mount -t tmpfs -o size=1m tmpfs "$tmp/full" 2>/dev/null; then
	expect_error "full work dir" "MiB free" \
		make -s -C "$repo" WORKDIR="$tmp/full" KERNEL_SRC="$KDIR" base
else
	fail "full work dir: cannot mount a tmpfs to simulate it (needs root)"
fi

# build-each's target selection (objdeps.py) on a made-up build: a
# touched source, a narrow header (2 includers) and a wide one (3, over a
# limit of 2), an #included .c, and an object that depends on none.
od=$tmp/objdeps
mkdir -p "$od/src" "$od/b/d"
cmdfile() { # obj source deps...
	o=$1 s=$2
	shift 2
	{
		echo "source_d/$o.o := ../src/$s"
		echo "deps_d/$o.o := \\"
		for d in "$@"; do echo "  ../src/$d \\"; done
		echo "    \$(wildcard include/config/FOO) \\"
		echo
		echo "d/$o.o: \$(deps_d/$o.o)"
	} >"$od/b/d/.$o.o.cmd"
}
cmdfile a a.c wide.h
cmdfile b b.c narrow.h wide.h
cmdfile c c.c narrow.h wide.h
cmdfile e e.c inc.c
cmdfile f f.c other.h
printf 'a.c\nnarrow.h\nwide.h\ninc.c\n' |
	python3 "$TOP/scripts/lib/objdeps.py" "$od/b" "$od/src" 2 "$od/out" \
	2>"$od/err"
if [ "$(tr '\n' ' ' <"$od/out.targets")" = \
	"d/a.o a.c d/b.o b.c d/c.o c.c d/e.o e.c " ] &&
	grep -q "wide.h: 3 includers" "$od/err" &&
	grep -qx narrow.h "$od/out.deps" && ! grep -qx other.h "$od/out.deps"; then
	pass "build-each picks touched sources and includers of narrow headers only"
else
	fail "build-each target selection: $(tr '\n' ' ' <"$od/out.targets")"
fi
# What triggers a target at a patch: anything touched for a touched
# source, the narrow header (not the wide one) for an includer.
if [ "$(tr '\n' ' ' <"$od/out.why")" = \
	"d/a.o a.c d/a.o wide.h d/b.o narrow.h d/c.o narrow.h d/e.o inc.c " ]; then
	pass "build-each compiles an includer for its narrow header only"
else
	fail "build-each triggers: $(tr '\n' ' ' <"$od/out.why")"
fi

# The KUnit verdict: a case listed as must-pass fails the run when it
# skips (a lost kernel argument must not turn a test into a skip).
kr=$tmp/kunit-report
mkdir -p "$kr"
printf '%s' '{"sub_groups": [{"name": "s", "test_cases": [
	{"name": "a", "status": "PASS"}, {"name": "b", "status": "SKIP"}]}]}' \
	>"$kr/r.json"
: >"$kr/log"
report() {
	python3 "$TOP/scripts/lib/kunit-report.py" --arch x86_64 \
		--json "$kr/r.json" --log "$kr/log" "$@" s >/dev/null 2>"$kr/err"
}
if report --must-pass=s.a && ! report --must-pass=s.b &&
	grep -q "s.b: SKIP (must pass" "$kr/err" && report; then
	pass "kunit verdict fails on a skipped must-pass case only"
else
	fail "kunit verdict and --must-pass: $(cat "$kr/err")"
fi

echo "workbench selftest: $ok passed, $bad failed"
[ $bad = 0 ]
