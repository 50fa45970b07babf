#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# part1-identity.sh - check that a patch series generates identical code
# for the .c files it touches (Pagewise part 1, CONFIG_BLK_PAGELESS=n vs.
# base); results and the last run: docs/part1-identity.md.
#
# usage: part1-identity.sh BASE_TREE P1_TREE BASE_BUILD P1_BUILD [phase...]
#   phases (default: all): config prepare build compare pahole
#   env: BASE_REF (default base), P1_REF (default part1b) - git refs in P1_TREE
#        used to list the touched .c files; JOBS (default 2); NICE (default 15)
#        OPTS (default configs/part1-identity.opts: scripts/config arguments)
#        OUT (default ~/.cache/pagewise/results/part1-identity) - scratch and
#        result directory
#        LIST (default $OUT/files-compared.txt) - .c files to build/compare
#        RES (default $OUT/results.tsv) - compare results table
# Trees are only read; all output goes to the build dirs and $OUT.
set -u
[ $# -ge 4 ] || { sed -n 2,14p "$0"; exit 2; }
BT=$(cd "$1" && pwd); PT=$(cd "$2" && pwd); BB=$3; PB=$4; shift 4
PHASES=${*:-config prepare build compare pahole}
BASE_REF=${BASE_REF:-base}; P1_REF=${P1_REF:-part1b}
JOBS=${JOBS:-2}; NICE=${NICE:-15}
OUT=${OUT:-${WORKDIR:-$HOME/.cache/pagewise}/results/part1-identity}
OPTS=${OPTS:-$(cd "$(dirname "$0")/../.." && pwd)/configs/part1-identity.opts}
mkdir -p "$OUT" "$BB" "$PB"
BB=$(cd "$BB" && pwd); PB=$(cd "$PB" && pwd)

# file lists: modified .c files are compared, added ones are feature-only
git -C "$PT" diff --name-only --diff-filter=M "$BASE_REF" "$P1_REF" -- '*.c' > "$OUT/files-compared.txt"
git -C "$PT" diff --name-only --diff-filter=A "$BASE_REF" "$P1_REF" -- '*.c' > "$OUT/files-new.txt"

LIST=${LIST:-$OUT/files-compared.txt}; RES=${RES:-$OUT/results.tsv}

mk() { # tree builddir args...
	t=$1; o=$2; shift 2
	( cd "$t" && nice -n "$NICE" make O="$o" "$@" )
}

for ph in $PHASES; do case $ph in
config)
	mk "$BT" "$BB" -s x86_64_defconfig || exit 1
	# two passes: some options only become visible after their deps are set
	for pass in 1 2; do
		"$BT/scripts/config" --file "$BB/.config" $(cat "$OPTS") \
			-e PCI_P2PDMA -e HL_HLDIO
		mk "$BT" "$BB" -s olddefconfig || exit 1
	done
	cp "$BB/.config" "$PB/.config"
	mk "$PT" "$PB" -s olddefconfig || exit 1
	grep -q '^# CONFIG_BLK_PAGELESS is not set' "$PB/.config" ||
		{ echo "BLK_PAGELESS not 'is not set' in $PB/.config"; exit 1; }
	if diff "$BB/.config" "$PB/.config" | grep '^[<>]' |
	   grep -v '^> # CONFIG_BLK_PAGELESS is not set$' >/dev/null; then
		echo "configs differ:"; diff "$BB/.config" "$PB/.config"; exit 1
	fi
	echo "configs identical (apart from '# CONFIG_BLK_PAGELESS is not set')"
	;;
prepare)
	mk "$BT" "$BB" -j"$JOBS" prepare > "$OUT/prepare-base.log" 2>&1 || exit 1
	mk "$PT" "$PB" -j"$JOBS" prepare > "$OUT/prepare-p1.log" 2>&1 || exit 1
	;;
build)
	objs=$(sed 's/\.c$/.o/' "$LIST")
	# -k: keep going; objects not in this config just fail to build
	mk "$BT" "$BB" -k -j"$JOBS" $objs > "$OUT/build-base.log" 2>&1
	mk "$PT" "$PB" -k -j"$JOBS" $objs > "$OUT/build-p1.log" 2>&1
	:
	;;
compare)
	res=$RES; : > "$res"; mkdir -p "$OUT/diffs"
	for c in $(cat "$LIST"); do
		o=${c%.c}.o; a=$BB/$o; b=$PB/$o; n=$(echo "$o" | tr / _)
		if [ ! -f "$a" ] || [ ! -f "$b" ]; then
			printf '%s\tnot-built\t-\n' "$o" >> "$res"; continue
		fi
		# all executable sections (.text, .text.unlikely, .init.text, ...)
		secs=$( (objdump -h "$a"; objdump -h "$b") | awk '
			/^ *[0-9]+ /{name=$2; getline; if ($0 ~ /CODE/) print name}' | sort -u)
		jargs=""; for s in $secs; do jargs="$jargs -j $s"; done
		# exact: disassembly incl. raw bytes, addresses and relocations
		objdump -drw $jargs "$a" | sed 1,3d > "$OUT/diffs/$n.base.dis"
		objdump -drw $jargs "$b" | sed 1,3d > "$OUT/diffs/$n.p1.dis"
		if cmp -s "$OUT/diffs/$n.base.dis" "$OUT/diffs/$n.p1.dis"; then
			cls=identical-text
		else
			# normalised, per function: no addresses/raw bytes; keep
			# <sym+off> (function-relative, so real) but renumber
			# __UNIQUE_ID_*_<counter> labels; section-relative reloc
			# addends into .text*/.rodata* become +OFF (they move when a
			# function or string moves); functions sorted by name.
			for v in base p1; do
				f=$a; [ $v = p1 ] && f=$b
				objdump -drw --no-show-raw-insn --no-addresses $jargs "$f" |
				sed 1,3d | sed -E \
				    -e 's/(__UNIQUE_ID_[A-Za-z0-9_]*_)[0-9]+/\1N/g' \
				    -e 's/(\.(text|rodata)[.a-zA-Z0-9_]*)[-+]0x[0-9a-f]+/\1+OFF/g' \
				    -e 's/[ \t]+$//' > "$OUT/diffs/$n.$v.norm"
				awk -v out="$OUT/diffs/$n.$v.fn" '
				  /^<.*>:$/ { name=$0; next }
				  /^Disassembly of section/ { sec=$4; next }
				  NF && name != "" { body[sec name]=body[sec name] $0 " ;; " }
				  END { for (k in body) { printf "%s\t", k > out; print body[k] > out } }
				' "$OUT/diffs/$n.$v.norm"
				sort -o "$OUT/diffs/$n.$v.fn" "$OUT/diffs/$n.$v.fn"
			done
			if cmp -s "$OUT/diffs/$n.base.fn" "$OUT/diffs/$n.p1.fn"; then
				cls=same-code-other-layout
				: > "$OUT/diffs/$n.changed"
			else
				cls=differs-in-code
				# names of functions whose normalised body differs
				diff "$OUT/diffs/$n.base.fn" "$OUT/diffs/$n.p1.fn" |
				  sed -n 's/^[<>] \([^\t]*\)\t.*/\1/p' | sort -u \
				  > "$OUT/diffs/$n.changed"
			fi
			diff -u "$OUT/diffs/$n.base.norm" "$OUT/diffs/$n.p1.norm" > "$OUT/diffs/$n.diff"
		fi
		# non-code sections that differ (bytes), for information
		other=""
		for s in $( (objdump -h "$a"; objdump -h "$b") | awk '
			/^ *[0-9]+ /{name=$2; getline; if ($0 !~ /CODE/ && $0 ~ /CONTENTS/ && name !~ /^\.(debug|BTF|comment|note|rela|gnu)/) print name}' | sort -u); do
			objcopy -O binary -j "$s" "$a" "$OUT/x.a" 2>/dev/null
			objcopy -O binary -j "$s" "$b" "$OUT/x.b" 2>/dev/null
			cmp -s "$OUT/x.a" "$OUT/x.b" || other="$other$s,"
		done
		rm -f "$OUT/x.a" "$OUT/x.b"
		fns=-; [ -s "$OUT/diffs/$n.changed" ] 2>/dev/null &&
			fns=$(tr '\n' ' ' < "$OUT/diffs/$n.changed")
		[ $cls = identical-text ] && fns=-
		printf '%s\t%s\t%s\t%s\n' "$o" "$cls" "${other:--}" "$fns" >> "$res"
	done
	cut -f2 "$res" | sort | uniq -c
	;;
pahole)
	for v in base p1; do
		d=$BB; [ $v = p1 ] && d=$PB
		for s in bio_vec bio; do
			pahole -C "$s" "$d/block/bio.o" > "$OUT/pahole-$s.$v.txt" 2>&1
		done
	done
	for s in bio_vec bio; do
		if cmp -s "$OUT/pahole-$s.base.txt" "$OUT/pahole-$s.p1.txt"; then
			echo "pahole $s: identical text"
		else
			echo "pahole $s: differs (showing diff)"
			diff -u "$OUT/pahole-$s.base.txt" "$OUT/pahole-$s.p1.txt"
		fi
	done
	;;
*) echo "unknown phase $ph"; exit 2;;
esac; done
