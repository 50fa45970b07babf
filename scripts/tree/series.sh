#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Keep the kernel branch 'series' and patches/ + series in step.
#
#   apply     branch 'series' := base + every patch, in series order
#   export    patches/ + series := the commits base..series
#   status    do the branch and patches/ agree?  non-zero when not
#   sync      apply if the branch is missing or behind patches/; refuse if
#             both moved; keep unexported branch work (with a warning)
#   verify    git am the patch files onto base on a scratch HEAD and check
#             the result is the branch's tree
#   sync-verify  the "applies" gate: sync, then verify unless sync has
#             just applied the patch files (that apply is the check)
#   alone     git am each part alone onto base (ref refs/pagewise/partN),
#             in a scratch worktree; fails naming the part, patch and file
#   check     consistency of patches/ and series, no kernel tree needed
#
# patches/ has one folder per part; the series file lists the patches as
# <folder>/<file> under '# Part N:' headers (scripts/series-file.py).
#
# FORCE=1 lets 'apply' drop unexported commits on the branch.

set -eu
. "$(dirname "$0")/../lib/common.sh"

PATCHES=$TOP/patches
STAMP=$WORKDIR/synced

# Stable formatting whatever the user's git configuration says.
fmt_patch() {
	git -C "$KDIR" -c core.abbrev=12 -c diff.noprefix=false \
		-c diff.mnemonicPrefix=false -c diff.algorithm=myers \
		-c diff.renames=true -c format.signOff=false \
		-c format.coverLetter=false -c format.useAutoBase=false \
		format-patch -1 --stdout --zero-commit --no-signature -N \
		--no-thread --subject-prefix=PATCH "$1"
}

patch_name() {
	printf '%s.patch\n' "$(kgit log -1 --format=%f "$1" | cut -c1-60 | sed 's/-*$//')"
}

check_consistency() {
	[ -f "$TOP/series" ] || die "series file missing"
	problems=$(
		series_patches | sed 's|.*/||' | sort | uniq -d |
			sed 's/^/listed twice in series: /'
		series_parts | sort | uniq -d |
			sed 's/^/two "# Part N:" headers for part /'
		awk '/^# Part [0-9]+:/ { exit } /^[[:space:]]*(#|$)/ { next }
			{ print "series entry " $1 " is above the first \"# Part N:\" header" }' \
			"$TOP/series"
		for n in $(series_parts); do
			dirs=$(part_patches "$n" | sed 's|/[^/]*$||' | sort -u)
			[ "$(printf '%s\n' "$dirs" | grep -c .)" -le 1 ] ||
				echo "part $n has patches in more than one folder: $(echo $dirs)"
		done
		for p in $(series_patches); do
			case $p in
			part[0-9]*/*/*|part[0-9]*/.*) ok= ;;
			part[0-9]*/*.patch) ok=1 ;;
			*) ok= ;;
			esac
			if [ -z "$ok" ]; then
				echo "series entry '$p' must be <partN-folder>/<file>.patch"
			elif [ ! -f "$PATCHES/$p" ]; then
				echo "series lists $p but patches/$p does not exist"
			fi
		done
		for f in "$PATCHES"/* "$PATCHES"/*/*; do
			[ -f "$f" ] || continue
			r=${f#"$PATCHES"/}
			series_patches | grep -qxF "$r" ||
				echo "patches/$r is not listed in series"
		done
	)
	[ -n "$problems" ] || return 0
	n=$(printf '%s\n' "$problems" | wc -l)
	[ "$n" = 1 ] || printf '%s\n' "$problems" | sed '$d' | while IFS= read -r l; do info "$l"; done
	die "$(printf '%s\n' "$problems" | tail -1)"
}

branch_commits() {
	kgit rev-list --reverse "base..refs/heads/$BRANCH"
}

check_branch_shape() {
	kgit rev-parse -q --verify "refs/heads/$BRANCH" >/dev/null ||
		die "no branch '$BRANCH' in $KDIR (run 'make apply')"
	kgit merge-base --is-ancestor base "refs/heads/$BRANCH" ||
		die "branch '$BRANCH' does not start from base; rebase it onto base"
	[ -z "$(kgit rev-list --merges "base..refs/heads/$BRANCH")" ] ||
		die "branch '$BRANCH' has merge commits; the series must be linear"
}

# Write the branch's patches into directory $1 (names listed in $1/.order).
export_to() {
	: >"$1/.order"
	for c in $(branch_commits); do
		n=$(patch_name "$c")
		[ ! -e "$1/$n" ] || die "two commits would both export as $n; reword one subject"
		fmt_patch "$c" >"$1/$n"
		echo "$n" >>"$1/.order"
	done
}

series_digest() {
	{ series_patches; for p in $(series_patches); do cat "$PATCHES/$p"; done; } |
		sha256sum | cut -d' ' -f1
}

record_sync() {
	printf '%s %s\n' "$(kgit rev-parse "refs/heads/$BRANCH")" "$(series_digest)" >"$STAMP"
}

# The series file export would write for the branch's patches in $1
# ($1/.order), to $1/.series; its entries to $1/.want.
series_for() {
	python3 "$TOP/scripts/lib/series-file.py" "$TOP/series" "$1/.order" >"$1/.series" ||
		die "cannot place the branch's patches in parts"
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$1/.series" >"$1/.want"
}

# Compare branch and patches/.  Prints the differences; returns 1 if any.
compare() {
	tmp=$(mktemp -d)
	export_to "$tmp"
	series_for "$tmp"
	rc=0
	if ! series_patches | cmp -s - "$tmp/.want"; then
		for p in $(cat "$tmp/.want"); do
			cmp -s "$tmp/${p##*/}" "$PATCHES/$p" 2>/dev/null || { echo "unexported commit: $p"; rc=1; }
		done
		for p in $(series_patches); do
			cmp -s "$tmp/${p##*/}" "$PATCHES/$p" 2>/dev/null || { echo "unapplied patch: $p"; rc=1; }
		done
		[ $rc = 1 ] || { echo "same patches in a different order or part"; rc=1; }
	else
		for p in $(cat "$tmp/.want"); do
			cmp -s "$tmp/${p##*/}" "$PATCHES/$p" || { echo "differs from the branch: $p"; rc=1; }
		done
	fi
	rm -rf "$tmp"
	return $rc
}

restore_head() {
	kgit am --abort >/dev/null 2>&1 || true
	kgit checkout -q "$1" 2>/dev/null || kgit checkout -q --detach "$1"
}

# git am every patch onto base on a detached HEAD; leaves HEAD there.
am_all() {
	prev=$1
	kgit checkout -q --detach base
	for p in $(series_patches); do
		if ! out=$(kgit am -q --committer-date-is-author-date "$PATCHES/$p" 2>&1); then
			restore_head "$prev"
			why=$(printf '%s\n' "$out" | grep -m3 -E '^(error|fatal):' | tr '\n' ' ')
			die "patches/$p does not apply: ${why:-$out}"
		fi
	done
}

current_head() {
	kgit symbolic-ref -q --short HEAD || kgit rev-parse HEAD
}

need_clean() {
	[ -z "$(kgit status --porcelain --untracked-files=no)" ] ||
		die "$KDIR has uncommitted changes; commit or stash them first"
	[ ! -d "$(kgit rev-parse --git-path rebase-apply)" ] ||
		die "a git am or rebase is in progress in $KDIR; finish or abort it"
}

do_apply() {
	need_tree
	need_clean
	check_consistency
	if kgit rev-parse -q --verify "refs/heads/$BRANCH" >/dev/null &&
	   [ "${FORCE:-0}" != 1 ] && has_unexported; then
		die "branch '$BRANCH' has unexported commits; 'make export' them or use FORCE=1"
	fi
	prev=$(current_head)
	am_all "$prev"
	kgit checkout -q -B "$BRANCH"
	record_sync
	info "branch '$BRANCH' = base + $(series_patches | wc -l) patches"
}

# The branch moved since the last apply/export and is not what patches/ says.
has_unexported() {
	compare >/dev/null && return 1
	[ -f "$STAMP" ] || return 0
	[ "$(cut -d' ' -f1 "$STAMP")" != "$(kgit rev-parse "refs/heads/$BRANCH")" ]
}

do_export() {
	need_tree
	check_branch_shape
	tmp=$(mktemp -d)
	export_to "$tmp"
	[ -s "$tmp/.order" ] || [ ! -s "$TOP/series" ] || [ -z "$(series_patches)" ] ||
		die "branch '$BRANCH' has no commits; refusing to empty patches/"
	mkdir -p "$PATCHES"
	series_for "$tmp"
	for f in "$PATCHES"/*.patch "$PATCHES"/*/*.patch; do
		[ -e "$f" ] || continue
		grep -qxF "${f#"$PATCHES"/}" "$tmp/.want" || rm -f "$f"
	done
	for p in $(cat "$tmp/.want"); do
		mkdir -p "$PATCHES/${p%/*}"
		cmp -s "$tmp/${p##*/}" "$PATCHES/$p" 2>/dev/null || cp "$tmp/${p##*/}" "$PATCHES/$p"
	done
	find "$PATCHES" -mindepth 1 -type d -empty -delete
	cmp -s "$tmp/.series" "$TOP/series" || cp "$tmp/.series" "$TOP/series"
	rm -rf "$tmp"
	record_sync
	info "exported $(series_patches | wc -l) patches"
}

do_status() {
	need_tree
	check_consistency
	check_branch_shape
	if compare; then
		echo "branch '$BRANCH' and patches/ agree ($(series_patches | wc -l) patches)"
		return 0
	fi
	return 1
}

do_sync() {
	need_tree
	check_consistency
	if ! kgit rev-parse -q --verify "refs/heads/$BRANCH" >/dev/null; then
		do_apply
		applied=1
		return
	fi
	compare >/dev/null && { kgit checkout -q "$BRANCH"; return 0; }
	head=$(kgit rev-parse "refs/heads/$BRANCH")
	if [ -f "$STAMP" ] && [ "$(cut -d' ' -f1 "$STAMP")" = "$head" ]; then
		info "patches/ changed since the branch was made; re-applying"
		do_apply
		applied=1
	elif [ -f "$STAMP" ] && [ "$(cut -d' ' -f2 "$STAMP")" = "$(series_digest)" ]; then
		info "warning: branch '$BRANCH' has unexported commits; using it as is"
		need_clean
		kgit checkout -q "$BRANCH"
	else
		die "both branch '$BRANCH' and patches/ changed; 'make export' or FORCE=1 'make apply'"
	fi
}

do_verify() {
	need_tree
	need_clean
	check_consistency
	check_branch_shape
	prev=$(current_head)
	am_all "$prev"
	got=$(kgit rev-parse 'HEAD^{tree}')
	restore_head "$prev"
	[ "$got" = "$(kgit rev-parse "refs/heads/$BRANCH^{tree}")" ] ||
		die "patches/ apply to base but do not give branch '$BRANCH' (export or apply)"
	echo "$(series_patches | wc -l) patches apply to base $(kgit rev-parse --short base)"
}

# Each part alone onto base, in a scratch worktree (the kernel tree's
# checkout is not touched): refs/pagewise/partN := base + part N.
do_alone() {
	need_tree
	check_consistency
	parts=$(series_parts)
	[ -n "$parts" ] || die "the series file has no '# Part N:' header"
	wt=$WORKDIR/alone
	detached_worktree "$wt" base
	for n in $parts; do
		git -C "$wt" am --abort >/dev/null 2>&1 || :
		git -C "$wt" checkout -q -f --detach base
		k=0
		for p in $(part_patches "$n"); do
			if ! out=$(git -C "$wt" am -q --committer-date-is-author-date \
				"$PATCHES/$p" 2>&1); then
				git -C "$wt" am --abort >/dev/null 2>&1 || :
				file=$(printf '%s\n' "$out" | sed -n 's/^error: patch failed: \(.*\):[0-9]*$/\1/p; s/^error: \(.*\): does not exist in index$/\1/p' | head -1)
				die "part $n does not apply alone onto base: patches/$p fails${file:+ on $file}"
			fi
			k=$((k + 1))
		done
		kgit update-ref "$(part_ref "$n")" "$(git -C "$wt" rev-parse HEAD)"
		echo "part $n: $k patches apply alone onto base $(kgit rev-parse --short base)"
	done
}

case ${1:-} in
apply) do_apply ;;
alone) do_alone ;;
export) do_export ;;
status) do_status ;;
sync) do_sync ;;
verify) do_verify ;;
sync-verify)
	# The gate: sync, and verify unless sync has just applied patches/
	# to base (then the branch is what they give, by construction).
	applied=
	do_sync
	if [ -n "$applied" ]; then
		echo "$(series_patches | wc -l) patches apply to base $(kgit rev-parse --short base)"
	else
		do_verify
	fi
	;;
check) check_consistency; echo "series and patches/ consistent ($(series_patches | wc -l) patches)" ;;
*) die "usage: $0 apply|export|status|sync|verify|sync-verify|alone|check" ;;
esac
