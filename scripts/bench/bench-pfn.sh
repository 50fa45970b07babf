#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The static performance claims of part 1 (__pfn_t in the block layer;
# design section 5, items 1-3), measured on kernels built alike with gcc
# from x86_64 defconfig plus the block options in $RES/bench-pfn.config:
#
#   A  tag 'base'
#   B  the series point with CONFIG_BLK_PAGELESS=n
#   C  the series point with CONFIG_BLK_PAGELESS=y (BLK_PAGELESS_BOUNCE=y)
#   F  the series point + $PFN_FIX, CONFIG_BLK_PAGELESS=n (optional)
#
# The series point is $PFN_REF, by default the last commit on branch
# 'series' whose subject starts "Documentation/block: describe page-less
# bio_vecs" (the end of part 1).  $PFN_FIX is a diff against it, by
# default $WORKDIR/bench-pfn-typefix.diff if that exists; PFN_FIX= skips
# F, and a diff that no longer applies is reported and skipped.
#
#   1. pahole -C bio_vec of block/bio.o built with -g: x86_64 A, B, C and
#      i386 defconfig A and series point (BLK_PAGELESS needs 64BIT).
#   2. objdump -d --no-show-raw-insn of vmlinux A and B (and F), with
#      addresses, rip displacements and the numbers gcc appends to local
#      symbols normalised away: the functions in $FUNCS one by one, then
#      every function of vmlinux; then bloat-o-meter A B (and A F).
#   3. bloat-o-meter A C, per symbol.
#
# Detached worktrees $WORKDIR/bench-pfn-{base,series,fix} (the kernel
# tree's checkout is not touched), build dirs $BUILDDIR/bench-pfn-*:
# four defconfig vmlinux builds and five object builds the first time;
# later runs only rebuild what changed.  Prints markdown tables, also
# kept in $RES/bench-pfn.txt; logs and full listings in $RES/bench-pfn*.

set -eu
. "$(dirname "$0")/../lib/common.sh"

RES=$WORKDIR/results
FUNCS='bio_add_page bvec_try_merge_page bio_add_folio bio_copy_data_iter
guard_bio_eod bio_split_rw_at bvec_split_segs bio_will_gap
blk_recalc_rq_segments __blk_rq_map_sg blk_rq_map_integrity_sg
blk_mq_submit_bio'

need_tree
need_space 8000
command -v pahole >/dev/null || die "pahole is needed (make deps: dwarves)"
use_ccache
start=$(date +%s)

ref=${PFN_REF:-}
if [ -z "$ref" ]; then
	ref=$(kgit log --format=%H \
		--grep='^Documentation/block: describe page-less bio_vecs' \
		"base..refs/heads/$BRANCH" | head -1)
	[ -n "$ref" ] || die "no 'Documentation/block: describe page-less bio_vecs' patch on '$BRANCH'"
fi
ref=$(kgit rev-parse --verify "$ref^{commit}") || die "bad PFN_REF $ref"
fix=${PFN_FIX-$WORKDIR/bench-pfn-typefix.diff}
[ -z "$fix" ] || [ -f "$fix" ] || {
	[ -n "${PFN_FIX+set}" ] && die "PFN_FIX=$fix: no such file"
	fix=
}

mkdir -p "$RES"
out=$RES/bench-pfn.txt
: >"$out"
say() {
	printf '%s\n' "$*" | tee -a "$out"
}

cat >"$RES/bench-pfn.config" <<'EOF'
# On top of defconfig: the block paths whose code the comparison covers.
CONFIG_BLK_DEV_INTEGRITY=y
CONFIG_BLK_INLINE_ENCRYPTION=y
CONFIG_BLK_INLINE_ENCRYPTION_FALLBACK=y
EOF

base_wt=$WORKDIR/bench-pfn-base
series_wt=$WORKDIR/bench-pfn-series
fix_wt=$WORKDIR/bench-pfn-fix
detached_worktree "$base_wt" base
detached_worktree "$series_wt" "$ref"

# The fix worktree holds the series point plus the diff, uncommitted.  It
# is only rewritten when either changed, so that its build stays warm.
if [ -n "$fix" ]; then
	want=$(git patch-id --stable <"$fix" | cut -d' ' -f1)
	have=
	if [ -e "$fix_wt/.git" ] &&
	   [ "$(git -C "$fix_wt" rev-parse HEAD)" = "$ref" ]; then
		have=$(git -C "$fix_wt" diff | git patch-id --stable | cut -d' ' -f1)
	fi
	if [ "$have" != "$want" ]; then
		[ ! -e "$fix_wt/.git" ] || git -C "$fix_wt" reset -q --hard
		detached_worktree "$fix_wt" "$ref"
		if ! git -C "$fix_wt" apply "$fix" 2>"$RES/bench-pfn-fix-apply.log"; then
			git -C "$fix_wt" reset -q --hard
			info "$fix does not apply to $ref; F skipped"
			fix=
		fi
	fi
fi

# $1: point (A B C F), $2: arch, $3: build dir.  Creates or refreshes
# .config when the wanted fragment changed.
configure() {
	case $1 in
	A) src=$base_wt ;;
	F) src=$fix_wt ;;
	*) src=$series_wt ;;
	esac
	bdir=$3
	mkdir -p "$bdir"
	{
		cat "$RES/bench-pfn.config"
		case $1 in
		C) echo 'CONFIG_BLK_PAGELESS=y' ;;
		B|F) echo '# CONFIG_BLK_PAGELESS is not set' ;;
		esac
	} >"$bdir/.bench-pfn.new"
	if [ -f "$bdir/.config" ] &&
	   cmp -s "$bdir/.bench-pfn.new" "$bdir/.bench-pfn.frag"; then
		rm -f "$bdir/.bench-pfn.new"
		return 0
	fi
	make -C "$src" O="$bdir" ARCH="$2" CC="${ccache}gcc" defconfig &&
	"$src/scripts/kconfig/merge_config.sh" -m -O "$bdir" \
		"$bdir/.config" "$bdir/.bench-pfn.new" &&
	make -C "$src" O="$bdir" ARCH="$2" CC="${ccache}gcc" olddefconfig &&
	mv "$bdir/.bench-pfn.new" "$bdir/.bench-pfn.frag"
}

# $1: point, $2: arch, $3: build dir name, $4: KCFLAGS, $5...: targets.
build() {
	p=$1 a=$2 bdir=$BUILDDIR/bench-pfn-$3 kcflags=$4
	shift 4
	log=$RES/bench-pfn-$p-$a.log
	[ "$kcflags" = "" ] || log=$RES/bench-pfn-g-$p-$a.log
	info "building $* for $p ($a)"
	{
		configure "$p" "$a" "$bdir" &&
		make -C "$src" O="$bdir" ARCH="$a" CC="${ccache}gcc" \
			KCFLAGS="$kcflags" -j"$(nproc)" "$@"
	} >"$log" 2>&1 || die "$p $a: build failed (log: $log)"
	got=$(sed -n 's/^CONFIG_BLK_PAGELESS=\(.\)$/\1/p' "$bdir/.config")
	case $p$a in
	Cx86_64) want=y ;;
	*) want= ;;
	esac
	[ "$got" = "$want" ] ||
		die "$p $a: CONFIG_BLK_PAGELESS='$got', wanted '$want'"
}

points='A B C'
[ -z "$fix" ] || points="$points F"

# 1. pahole: object builds with -g.
for p in $points; do
	build "$p" x86_64 "g-$p-x86_64" -g block/bio.o
done
for p in $points; do
	[ "$p" = C ] || build "$p" i386 "g-$p-i386" -g block/bio.o
done
# 2, 3: vmlinux without debug info.
for p in $points; do
	build "$p" x86_64 "$p-x86_64" '' vmlinux
done

vml() {
	echo "$BUILDDIR/bench-pfn-$1-x86_64/vmlinux"
}

# Normalised disassembly of every function of $1, one function per line:
# name, a tab, then its instructions separated by \001.  Numbered local
# symbols lose their numbers; the second and later functions of the same
# name get #2, #3...; the __pfx_ padding before functions and the nop and
# int3 padding after a function's last instruction are dropped (how much
# of it there is depends on where the next section starts).
fn_lines() {
	objdump -d --no-show-raw-insn "$1" | sed -E \
		-e 's/^[[:space:]]*[0-9a-f]+:[[:space:]]*//' \
		-e 's/^[0-9a-f]{16} </</' \
		-e 's/(0x)?ffffffff[0-9a-f]{8}/ADDR/g' \
		-e 's/-0x[0-9a-f]{8}\(/ADDR(/g' \
		-e 's/0x[0-9a-f]+\(%rip\)/ADDR(%rip)/g' \
		-e 's/# [0-9a-f]+ </# ADDR </' \
		-e 's/^(call|jmp|j[a-z]+)[[:space:]]+[0-9a-f]+ </\1 ADDR </' \
		-e 's/(__UNIQUE_ID_[A-Za-z_]*[A-Za-z_])[0-9]+/\1N/g' \
		-e 's/([A-Za-z0-9_])\.[0-9]+([>+.])/\1.N\2/g' \
		-e 's/[[:space:]]+$//' |
	awk '
	/^<.*>:$/ {
		if (open)
			printf "\n"
		name = substr($0, 2, length($0) - 3)
		open = name !~ /^__pfx_/
		np = 0
		if (open) {
			n = ++seen[name]
			printf "%s%s\t", name, (n > 1 ? "#" n : "")
		}
		next
	}
	!open || !NF { next }
	/^((data16|cs|ds) )*nop[lw]?([[:space:]].*)?$/ ||
	/^xchg +%ax,%ax$/ || /^int3$/ { pad[++np] = $0; next }
	{
		for (i = 1; i <= np; i++)
			printf "\001%s", pad[i]
		np = 0
		printf "\001%s", $0
	}
	END { if (open) printf "\n" }'
}

work=$BUILDDIR/bench-pfn-work
rm -rf "$work"
mkdir -p "$work"
for p in A B $( [ -z "$fix" ] || echo F); do
	info "disassembling vmlinux $p"
	fn_lines "$(vml "$p")" >"$work/$p.fn"
done

# Instructions of function $2 and its .cold/.part/.constprop pieces in
# $1.fn, one per line.
fn_body() {
	awk -F '\t' -v f="$2" '$1 == f || index($1, f ".") == 1 {
		print "<" $1 ">:" $2 }' "$work/$1.fn" | tr '\001' '\n'
}

# Size in bytes of function $2 in vmlinux $1.
fn_size() {
	h=$(nm -S "$(vml "$1")" | awk -v f="$2" \
		'$4 == f && $3 ~ /^[tT]$/ { print $2; exit }')
	[ -n "$h" ] && printf '%d' "0x$h" || printf 'absent'
}

kernel_ver=$(make -s -C "$base_wt" kernelversion 2>/dev/null || echo '?')
say "# bench-pfn: $(date -u '+%Y-%m-%d %H:%M UTC')"
say ""
say "- A: base ($kernel_ver, $(kgit rev-parse --short base))"
say "- B, C: $(kgit log -1 --format='%h ("%s")' "$ref"), BLK_PAGELESS=n / =y"
[ -z "$fix" ] ||
	say "- F: B + ${fix##*/} ($(git patch-id --stable <"$fix" | cut -c1-12)), BLK_PAGELESS=n"
say "- $(gcc --version | head -1); $(objdump --version | head -1); $(pahole --version)"
say "- x86_64 defconfig + $(grep -c '^CONFIG' "$RES/bench-pfn.config") block options ($RES/bench-pfn.config); i386 defconfig + the same"
say ""

say "## 1. struct bio_vec (pahole, block/bio.o built with -g)"
say ""
say "| point | arch | size | members (offset/size) | first member's type |"
say "|---|---|---|---|---|"
for pa in $(for a in x86_64 i386; do for p in $points; do
		[ "$p$a" = Ci386 ] || echo "$p:$a"; done; done); do
	p=${pa%%:*} a=${pa#*:}
	o=$BUILDDIR/bench-pfn-g-$p-$a/block/bio.o
	pahole -C bio_vec "$o" >"$RES/bench-pfn-pahole-$p-$a.txt" 2>&1 || true
	kind=$(pahole -E -C bio_vec "$o" 2>/dev/null | awk '
		NR == 2 && /typedef __pfn_t/ {
			k = /union/ ? "union" : "struct"; inner = 1; next }
		NR == 2 { sub(/^[[:space:]]+/, ""); sub(/[[:space:]]+bv_page;.*/, "")
			print; exit }
		inner && /^[[:space:]]*}/ { print "__pfn_t = " k " {" m " }"; exit }
		inner { l = $0; sub(/;.*/, "", l); sub(/^[[:space:]]+/, "", l)
			gsub(/[[:space:]]+/, " ", l); m = m (m == "" ? " " : "; ") l }')
	size=$(sed -n 's#.*/\* size: \([0-9]*\),.*#\1#p' "$RES/bench-pfn-pahole-$p-$a.txt")
	members=$(awk '/;[[:space:]]*\/\*/ {
		n = $0; sub(/;.*/, "", n); m = split(n, w, /[[:space:]*]+/)
		o = $0; sub(/.*\/\*[[:space:]]*/, "", o); sub(/[[:space:]]*\*\/.*/, "", o)
		split(o, v, /[[:space:]]+/)
		printf "%s%s %s/%s", sep, w[m], v[1], v[2]; sep = ", " }' \
		"$RES/bench-pfn-pahole-$p-$a.txt")
	pl=
	[ "$a" != i386 ] || [ "$p" = A ] || pl=' (BLK_PAGELESS unavailable)'
	say "| $p$pl | $a | ${size:-?} | ${members:-pahole failed} | ${kind:-?} |"
done
say ""

say "## 2. Code identity, A vs B$( [ -z "$fix" ] || echo ' and A vs F') (x86_64 vmlinux)"
say ""
hdr="| function | bytes A | bytes B | A = B |"
sep="|---|---|---|---|"
[ -z "$fix" ] || { hdr="$hdr bytes F | A = F |"; sep="$sep---|---|"; }
say "$hdr"
say "$sep"
mkdir -p "$RES/bench-pfn-fn"
for f in $FUNCS; do
	for p in A B $( [ -z "$fix" ] || echo F); do
		fn_body "$p" "$f" >"$RES/bench-pfn-fn/$f.$p.s"
	done
	same() {
		if [ ! -s "$RES/bench-pfn-fn/$f.A.s" ]; then
			echo 'absent'
		elif cmp -s "$RES/bench-pfn-fn/$f.A.s" "$RES/bench-pfn-fn/$f.$1.s"; then
			echo 'identical'
		else
			echo "**differs** ($(diff "$RES/bench-pfn-fn/$f.A.s" \
				"$RES/bench-pfn-fn/$f.$1.s" | grep -c '^[<>]') lines)"
		fi
	}
	row="| $f | $(fn_size A "$f") | $(fn_size B "$f") | $(same B) |"
	[ -z "$fix" ] || row="$row $(fn_size F "$f") | $(same F) |"
	say "$row"
done
say ""

# Every function of vmlinux A against vmlinux $1: lines "differ NAME"
# (other instructions or registers), "operands NAME" (the same instructions
# with other numbers: offsets, immediates), "only-A NAME" and "only-$1 NAME"
# in $RES/bench-pfn-whole-A$1.txt, and the diffs in ...-A$1.diff.
whole() {
	w=$RES/bench-pfn-whole-A$1.txt
	awk -F '\t' -v x="$1" '
	NR == FNR { a[$1] = $2; next }
	!($1 in a) { print "only-" x, $1; next }
	a[$1] != $2 {
		u = a[$1]; v = $2
		gsub(/0x[0-9a-f]+/, "N", u); gsub(/0x[0-9a-f]+/, "N", v)
		print (u == v ? "operands" : "differ"), $1
	}
	{ delete a[$1] }
	END { for (k in a) print "only-A", k }' "$work/A.fn" "$work/$1.fn" |
		sort >"$w"
	: >"${w%.txt}.diff"
	for f in $(sed -n 's/^\(differ\|operands\) //p' "$w"); do
		for p in A "$1"; do
			awk -F '\t' -v f="$f" '$1 == f { print $2 }' "$work/$p.fn" |
				tr '\001' '\n' >"$work/one.$p"
		done
		diff -u --label "$f A" --label "$f $1" "$work/one.A" \
			"$work/one.$1" >>"${w%.txt}.diff" || true
	done
	say "- A vs $1: $(wc -l <"$work/A.fn") and $(wc -l <"$work/$1.fn") functions;" \
		"$(grep -c '^differ ' "$w") differ, $(grep -c '^operands ' "$w")" \
		"differ in numeric operands only, $(grep -c '^only-A ' "$w") only" \
		"in A, $(grep -c "^only-$1 " "$w") only in $1"
	for k in differ operands only-A "only-$1"; do
		l=$(sed -n "s/^$k //p" "$w" | tr '\n' ' ' | sed 's/ $//; s/ /, /g')
		[ -z "$l" ] || say "  - $k: $l"
	done
}

say "Every function of vmlinux, normalised the same way:"
say ""
whole B
[ -z "$fix" ] || whole F
say ""

bloat() {
	"$base_wt/scripts/bloat-o-meter" "$(vml A)" "$(vml "$1")" \
		>"$RES/bench-pfn-bloat-A$1.txt"
}
for p in B $( [ -z "$fix" ] || echo F); do
	bloat "$p"
	say "bloat-o-meter vmlinux.A vmlinux.$p:"
	say ""
	say '```'
	tee -a "$out" <"$RES/bench-pfn-bloat-A$p.txt"
	say '```'
	say ""
done

say "## 3. bloat-o-meter vmlinux.A vmlinux.C"
say ""
bloat C
say '```'
tee -a "$out" <"$RES/bench-pfn-bloat-AC.txt"
say '```'
say ""
say "size(1), text data bss:"
say ""
say '```'
for p in $points; do
	size "$(vml "$p")" | awk -v p="$p" 'NR == 2 { printf "%s %9d %9d %9d\n", p, $1, $2, $3 }' |
		tee -a "$out"
done
say '```'

rm -rf "$work"
info "done in $(($(date +%s) - start)) s; tables in $out, listings in $RES/bench-pfn-*"
