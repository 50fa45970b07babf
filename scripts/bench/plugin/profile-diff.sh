#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# profile-diff.sh [-m <min>] [-b] <dir>: compare the instruction profiles
# (pwcount's profile=, docs/tcg-counts.md) of bench-spf's kernels A, B
# and C per benchmark: $dir/profile-<A|B|C>-<boot>.txt, with the region
# names of $dir/boot-<kernel>-<boot>.log ("spf: region <id> <name>").
#
# Per benchmark and symbol: instructions per fault on each kernel (the
# mean over its boots, and the min-max if the boots differ), C - B and
# B - A, for every symbol whose mean differs by at least <min> (default
# 0.5) between two of the kernels, largest |C - B| + |B - A| first, then
# a "total" row (all symbols) and a "rest" row (the symbols not listed).
# -b: also list, per symbol listed, the blocks (run start offsets) whose
# counts differ by at least <min> between two kernels (offsets differ
# between the base and the series image: compare by disassembly).
# Only complete profiles are read; kernels without one are "-".
#
# -N "<names>": the region names in id order (region 1 first), for runs
# without bench-spf's boot logs (bench-bio); the tables are then per
# region and operation, and the differences B - A and C - A (both
# kernels against the base), symbols listed by their largest difference
# between any two kernels.  -r "<ids>": only these regions.

set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../../.." && pwd)}
# shellcheck source=scripts/lib/common.sh disable=SC1091
. "$TOP/scripts/lib/common.sh"

min=0.5
blocks=0
names=''
only=''
while [ $# -gt 1 ]; do
	case $1 in
	-m) min=$2; shift 2 ;;
	-b) blocks=1; shift ;;
	-N) names=$2; shift 2 ;;
	-r) only=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# = 1 ] || die "usage: ${0##*/} [-m <min insns/op>] [-b] [-N <region names>] [-r <region ids>] <dir>"
dir=$1

files=
for f in "$dir"/profile-[ABC]-*.txt; do
	[ -f "$f" ] || continue
	if [ "$(sed -n 1p "$f")" != "pwcount profile: complete" ]; then
		info "skipping $f: not a complete profile"
		continue
	fi
	if [ -n "$names" ]; then
		files="$files $f"
		continue
	fi
	b=${f##*/profile-}
	b=${b%.txt}
	log=$dir/boot-$b.log
	[ -f "$log" ] || { info "skipping $f: no $log"; continue; }
	files="$files $log $f"
done
[ -n "$files" ] || die "no complete profile in $dir"

# shellcheck disable=SC2086 # $files: paths without blanks, in pairs
awk -v min="$min" -v blocks="$blocks" -v names="$names" -v only=" $only " '
function abs(x) { return x < 0 ? -x : x }
function fmt(k, key,    m, l) {
	if (!(k in nb) || nb[k] == 0)
		return "-"
	m = sprintf("%.1f", sum[k, key] / nb[k])
	l = cnt[k, key] < nb[k] ? 0 : lo[k, key]	# absent from a boot: 0
	if (sprintf("%.1f", l) != sprintf("%.1f", hi[k, key]))
		m = m sprintf(" (%.1f-%.1f)", l, hi[k, key])
	return m
}
function mean(k, key) { return (k in nb && nb[k]) ? sum[k, key] / nb[k] : "" }
function diff(x, y) { return (x == "" || y == "") ? "-" : sprintf("%+.1f", x - y) }
# the two difference columns of a row of values x[1..3] (A, B, C):
# C - B and B - A for bench-spf, B - A and C - A with -N
function diffs(x) {
	if (nn)
		return diff(x[2], x[1]) " | " diff(x[3], x[1])
	return diff(x[3], x[2]) " | " diff(x[2], x[1])
}
# the largest difference between two kernels among v[1..3]
function spread(    q, y, d) {
	d = 0
	for (q = 1; q <= 3; q++)
		for (y = q + 1; y <= 3; y++)
			if (v[q] != "" && v[y] != "" && abs(v[q] - v[y]) > d)
				d = abs(v[q] - v[y])
	return d
}
# one sample: kernel k (with its bench), key, value per fault
function add(kb, key, v) {
	if (!((kb, key) in seen)) {
		seen[kb, key] = 1
		sum[kb, key] = 0
		lo[kb, key] = hi[kb, key] = v
	}
	sum[kb, key] += v
	cnt[kb, key]++
	if (v < lo[kb, key]) lo[kb, key] = v
	if (v > hi[kb, key]) hi[kb, key] = v
}
BEGIN {
	# -N: region ids and names from the list, not from boot logs
	nn = split(names, nm, " ")
	for (i = 1; i <= nn; i++)
		if (only == "  " || index(only, " " i " "))
			fixed[i] = nm[i]
}
FNR == 1 {
	f = FILENAME
	sub(/.*\//, "", f)
	islog = f ~ /^boot-/
	sub(/^(boot|profile)-/, "", f)
	sub(/\.(log|txt)$/, "", f)
	k = substr(f, 1, 1)
	if (islog)
		delete name
	if (nn)
		for (i in fixed)
			name[i] = fixed[i]
}
islog && $1 == "spf:" && $2 == "region" && NF == 4 { name[$3] = $4; next }
islog { next }
$1 == "N" && ($2 in name) {
	b = name[$2]
	if (!(b in bseen)) { bseen[b] = 1; border[++nbench] = b; bid[b] = $2 }
	ops[$2] = $3
	nb[k SUBSEP b]++
	add(k SUBSEP b, "total", $5 / $3)
	next
}
$1 == "S" && ($2 in name) && ops[$2] > 0 {
	b = name[$2]
	add(k SUBSEP b, "S " $5, $3 / ops[$2])
	if (!((b, $5) in sseen)) { sseen[b, $5] = 1; syms[b] = syms[b] SUBSEP $5 }
	next
}
$1 == "B" && ($2 in name) && ops[$2] > 0 && blocks {
	b = name[$2]
	add(k SUBSEP b, "B " $7, $5 / ops[$2])
	s = $7
	sub(/\+0x[0-9a-f]+$/, "", s)
	if (!((b, $7) in bk)) { bk[b, $7] = 1; blist[b, s] = blist[b, s] SUBSEP $7 }
}
# v[1..3]: the mean of @key per fault on A, B and C for benchmark @b ("" if
# that kernel did not run it, 0 if it ran it without the key).
function vals(b, key,    q, kk) {
	for (q = 1; q <= 3; q++) {
		kk = substr("ABC", q, 1)
		v[q] = mean(kk SUBSEP b, key)
		if (v[q] == "" && (kk SUBSEP b) in nb)
			v[q] = 0
	}
}
END {
	for (i = 1; i <= nbench; i++) {
		b = border[i]
		if (nn) {
			printf "\n### region %d %s: instructions per operation by symbol (|difference| >= %s)\n\n", bid[b], b, min
			print "| symbol | A | B | C | B - A | C - A |"
		} else {
			printf "\n### %s: instructions per fault by symbol (|difference| >= %s)\n\n", b, min
			print "| symbol | A base | B spf=0 | C spf=1 | C - B | B - A |"
		}
		print "|---|---:|---:|---:|---:|---:|"
		n = split(substr(syms[b], 2), sy, SUBSEP)
		m = 0
		for (j = 1; j <= n; j++) {
			key = "S " sy[j]
			vals(b, key)
			d = nn ? spread() : 0
			if (!nn && v[1] != "" && v[2] != "") d += abs(v[2] - v[1])
			if (!nn && v[2] != "" && v[3] != "") d += abs(v[3] - v[2])
			if (!nn && v[1] != "" && v[3] != "" && abs(v[3] - v[1]) > d) d = abs(v[3] - v[1])
			if (d < min + 0)
				continue
			m++
			ls[m] = sy[j]
			ld[m] = d
		}
		# largest difference first
		for (j = 2; j <= m; j++)
			for (q = j; q > 1 && ld[q - 1] < ld[q]; q--) {
				t = ld[q]; ld[q] = ld[q - 1]; ld[q - 1] = t
				t = ls[q]; ls[q] = ls[q - 1]; ls[q - 1] = t
			}
		for (q = 1; q <= 3; q++) { kk = substr("ABC", q, 1); rest[q] = mean(kk SUBSEP b, "total") }
		for (j = 1; j <= m; j++) {
			key = "S " ls[j]
			vals(b, key)
			for (q = 1; q <= 3; q++) {
				kk = substr("ABC", q, 1)
				fs[q] = v[q] == "" ? "-" : (((kk SUBSEP b, key) in seen) ? fmt(kk SUBSEP b, key) : "0")
				if (rest[q] != "" && v[q] != "")
					rest[q] -= v[q]
			}
			printf "| %s | %s | %s | %s | %s |\n", ls[j], fs[1], fs[2], fs[3], diffs(v)
			if (!blocks)
				continue
			nbk = split(substr(blist[b, ls[j]], 2), bb, SUBSEP)
			for (x = 1; x <= nbk; x++) {
				key = "B " bb[x]
				for (q = 1; q <= 3; q++) {
					kk = substr("ABC", q, 1)
					w[q] = ((kk SUBSEP b) in nb) ? (((kk SUBSEP b, key) in seen) ? mean(kk SUBSEP b, key) : 0) : ""
				}
				d = 0
				for (q = 1; q <= 3; q++)
					for (y = q + 1; y <= 3; y++)
						if (w[q] != "" && w[y] != "" && abs(w[q] - w[y]) > d)
							d = abs(w[q] - w[y])
				if (d >= min + 0)
					printf "|   %s | %s | %s | %s | %s |\n", bb[x],
						w[1] == "" ? "-" : sprintf("%.1f", w[1]),
						w[2] == "" ? "-" : sprintf("%.1f", w[2]),
						w[3] == "" ? "-" : sprintf("%.1f", w[3]), diffs(w)
			}
		}
		printf "| rest (%s) | %s | %s | %s | %s |\n", "symbols not listed",
			rest[1] == "" ? "-" : sprintf("%.1f", rest[1]),
			rest[2] == "" ? "-" : sprintf("%.1f", rest[2]),
			rest[3] == "" ? "-" : sprintf("%.1f", rest[3]), diffs(rest)
		for (q = 1; q <= 3; q++) { kk = substr("ABC", q, 1); v[q] = mean(kk SUBSEP b, "total") }
		printf "| **total** | %s | %s | %s | %s |\n", fmt("A" SUBSEP b, "total"),
			fmt("B" SUBSEP b, "total"), fmt("C" SUBSEP b, "total"), diffs(v)
		printf "\nprofiles: A %d, B %d, C %d boots\n", nb["A" SUBSEP b], nb["B" SUBSEP b], nb["C" SUBSEP b]
	}
}' $files
