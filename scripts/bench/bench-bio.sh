#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Part 1's page path, counted (issue 18 item 5; docs/part1-counts.md,
# docs/tcg-counts.md): guest kernel instructions and memory accesses per
# bio operation on up to three x86_64 kernels, built alike from
# x86_64_defconfig + configs/bench.config + configs/bench-bio.config:
#
#   A  the base ('base', Linux 7.3)
#   B  part 1 (-r, default part1b) with CONFIG_BLK_PAGELESS=y
#   C  the same commit with CONFIG_BLK_PAGELESS=n
#
# Each kernel is built in $BUILDDIR/bench-bio-<a|b|c> from a detached
# worktree of $KDIR ($WORKDIR/bench-src-bio-base for A,
# $WORKDIR/bench-src-bio-part1 for B and C, so that C's build reuses
# B's ccache entries): the kernel tree's own checkout is never touched.
# -A DIR takes kernel A from an existing build dir instead, read only
# (e.g. $BUILDDIR/bench-base, bench-vmalloc's): its source must be a
# checkout of the base commit and its .config must hold every line of
# both fragments.
#
# Against each kernel two modules are built out of tree into
# $BUILDDIR/bench-bio-mods/<kernel>/: the kernel's own brd
# (drivers/block/brd.c, 1 disk of 8 MiB) and the counting module,
# scripts/bench/bench-bio-count.c.  The initramfs' /init (a dash
# script) loads brd.ko and hands over to bench-vmalloc's static init
# (scripts/bench/bench-vmalloc-init.c), which loads the counting module
# with the parameters of count.conf and powers off.  The module runs
# eleven regions of page-path operations (the list is in the module, the
# names in $names below), COUNT_ROUNDS (8) rounds of COUNT_LOOPS
# operations each (default 0: 1024 per round, 256 for the I/O regions),
# one pwcount operation each, on one CPU (migrate_disable()).  QEMU gives
# the guest a virtio-blk disk (null-co, never read by the module) whose
# requests the last region maps with blk_rq_map_sg().
#
# Each kernel is booted -c times (default 2), A B C per round, under the
# pwcount plugin with count=kernel and profile=, with -icount
# shift=0,sleep=off (single-threaded TCG; the guest clock advances 1 ns
# per instruction, so the timer ticks that land in a region follow the
# instructions executed, not the host's load).  A boot whose report is
# not complete (scripts/bench/plugin/report.sh) counts as failed.  The
# summary gives per operation and kernel the instructions and the
# loads + stores (mean, and min-max over the boots), the differences to
# A, and for each region where B or C differs from A by at least -p
# percent (default 1) the instructions per operation by kernel symbol.
# Results: $WORKDIR/results/bench-bio/<date>/ (latest: a link to it).
#
#   -b REF    base ref (default: base)
#   -r REF    part 1 ref (default: $BIO_REF, else part1b)
#   -k KERNS  kernels, letters out of ABC (default: ABC)
#   -A DIR    kernel A: the build in DIR, read only (see above)
#   -c N      counted boots per kernel (default: $PWCOUNT_BOOTS, else 2)
#   -p PCT    profile diff for regions differing by >= PCT % (default 1)
#   -t SEC    timeout of one boot (default: 600)
#   -B        build the kernels, modules and initramfs images only
#   -S DIR    summarise the reports of an earlier run in DIR again

set -eu
. "$(dirname "$0")/../lib/common.sh"

usage() {
	die "usage: ${0##*/} [-b base-ref] [-r part1-ref] [-k ABC] [-A dir] [-c boots] [-p pct] [-t seconds] [-B | -S dir]"
}

base_ref=base
p1_ref=${BIO_REF:-part1b}
kernels=ABC
abuild=
cboots=${PWCOUNT_BOOTS:-2}
pct=1
boot_timeout=600
build_only=''
resummarise=''
count_rounds=${COUNT_ROUNDS:-8}
count_loops=${COUNT_LOOPS:-0}
while getopts b:r:k:A:c:p:t:BS: opt; do
	case $opt in
	b) base_ref=$OPTARG ;;
	r) p1_ref=$OPTARG ;;
	k) kernels=$OPTARG ;;
	A) abuild=$OPTARG ;;
	c) cboots=$OPTARG ;;
	p) pct=$OPTARG ;;
	t) boot_timeout=$OPTARG ;;
	B) build_only=1 ;;
	S) resummarise=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# = 0 ] || usage
case $kernels in '' | *[!ABC]*) die "-k $kernels: only the letters A, B and C" ;; esac
case $cboots in '' | *[!0-9]* | 0) die "-c $cboots: need a positive number of boots" ;; esac
case $pct in '' | *[!0-9.]*) die "-p $pct: need a percentage" ;; esac
case $boot_timeout in '' | *[!0-9]* | 0) die "-t $boot_timeout: need a positive number of seconds" ;; esac
case $count_rounds in '' | *[!0-9]* | 0) die "COUNT_ROUNDS=$count_rounds: need 1-64" ;; esac
[ "$count_rounds" -le 64 ] || die "COUNT_ROUNDS=$count_rounds: need 1-64"
case $count_loops in '' | *[!0-9]*) die "COUNT_LOOPS=$count_loops: need 0-4096" ;; esac
[ "$count_loops" -le 4096 ] || die "COUNT_LOOPS=$count_loops: need 0-4096"

# The module's regions, in id order (1-11), and what one operation is.
names="alloc1 add8 add32 addfolio iter32 advance32 read4k write4k read64k write64k mapsg32"
regions=1:2:3:4:5:6:7:8:9:10:11
describe() {
	case $1 in
	alloc1) echo 'bio_alloc_bioset(fs_bio_set, 1) + bio_add_page() + bio_put()' ;;
	add8) echo 'bio_reset() + 8 bio_add_page(), separate pages' ;;
	add32) echo 'bio_reset() + 32 bio_add_page(), separate pages' ;;
	addfolio) echo 'bio_reset() + bio_add_folio() of a 128 KiB folio' ;;
	iter32) echo 'bio_for_each_segment() over 32 pages' ;;
	advance32) echo '32 bio_advance() of 4 KiB' ;;
	read4k) echo 'alloc + add + submit_bio_wait() + put, 4 KiB read from brd' ;;
	write4k) echo 'the same, 4 KiB write to brd' ;;
	read64k) echo 'the same, 64 KiB (16 separate pages) read from brd' ;;
	write64k) echo 'the same, 64 KiB write to brd' ;;
	mapsg32) echo 'sg_init_table() + blk_rq_map_sg(), virtio-blk request of 32 pages' ;;
	esac
}

need_tree
for t in qemu-system-x86_64 gcc timeout /sbin/insmod /bin/dash; do
	command -v $t >/dev/null 2>&1 || die "$t is needed"
done
base_commit=$(kgit rev-parse -q --verify "$base_ref^{commit}") ||
	die "base ref '$base_ref' is not a commit in $KDIR"
p1_commit=$(kgit rev-parse -q --verify "$p1_ref^{commit}") ||
	die "part 1 ref '$p1_ref' is not a commit in $KDIR"

use_ccache
# shellcheck disable=SC2154 # $ccache: set by use_ccache
cc="${ccache}gcc"
mods=$BUILDDIR/bench-bio-mods
frags="$TOP/configs/bench.config $TOP/configs/bench-bio.config"

# The build dir of kernel $1 (A, B or C).
bdir_of() {
	if [ "$1" = A ] && [ -n "$abuild" ]; then
		echo "$abuild"
	else
		echo "$BUILDDIR/bench-bio-$(echo "$1" | tr ABC abc)"
	fi
}

# Every line of the fragments (and of $2, if given) in the .config of
# build dir $1: prints the lines that are not.
config_missing() {
	# shellcheck disable=SC2086 # $frags: paths without blanks
	cat $frags ${2:+"$2"} | sed -n 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1/p' |
		while read -r opt; do
			! grep -q "^$opt=" "$1/.config" || echo "$opt=(set)"
		done
	# shellcheck disable=SC2086
	cat $frags ${2:+"$2"} | grep '^CONFIG_' | while read -r opt; do
		grep -qx "$opt" "$1/.config" || echo "$opt"
	done
}

# Configure and build kernel $1 from its worktree; log $2.
build_kernel() {
	bdir=$(bdir_of "$1")
	case $1 in
	A) wt=$WORKDIR/bench-src-bio-base commit=$base_commit ;;
	*) wt=$WORKDIR/bench-src-bio-part1 commit=$p1_commit ;;
	esac
	detached_worktree "$wt" "$commit"
	mkdir -p "$bdir"
	kfrag=$bdir/bench-bio-kernel.config
	case $1 in
	A) : ;;
	B) echo 'CONFIG_BLK_PAGELESS=y' ;;
	C) echo '# CONFIG_BLK_PAGELESS is not set' ;;
	esac >"$kfrag"
	if [ "$1" != A ]; then
		git -C "$wt" grep -q '^config BLK_PAGELESS$' -- block/Kconfig ||
			die "$p1_ref has no CONFIG_BLK_PAGELESS in block/Kconfig"
	fi
	t0=$(date +%s)
	k() { nice make -C "$wt" O="$bdir" ARCH=x86_64 CC="$cc" HOSTCC="$cc" "$@"; }
	# shellcheck disable=SC2086 # $frags: paths without blanks
	if ! {
		k x86_64_defconfig &&
		"$wt/scripts/kconfig/merge_config.sh" -m -O "$bdir" \
			"$bdir/.config" $frags "$kfrag" &&
		k olddefconfig &&
		k -j2 bzImage modules
	} >"$2" 2>&1; then
		grep -E 'error|Error' "$2" | head -15 >&2
		die "kernel $1 build failed (log: $2)"
	fi
	missing=$(config_missing "$bdir" "$kfrag")
	# shellcheck disable=SC2086 # one word per option
	[ -z "$missing" ] || die "kernel $1: config lost:" $missing
	info "kernel $1: $(git -C "$wt" log -1 --format='%h %s') built in $(($(date +%s) - t0))s"
}

# Kernel A from -A's build dir, read only, if it fits.
check_abuild() {
	for f in .config System.map Module.symvers arch/x86/boot/bzImage; do
		[ -f "$abuild/$f" ] || die "-A $abuild: no $f"
	done
	src=$(cd "$abuild/source" 2>/dev/null && pwd -P) ||
		die "-A $abuild: no source link"
	[ "$(git -C "$src" rev-parse HEAD 2>/dev/null)" = "$base_commit" ] ||
		die "-A $abuild: its source $src is not at $base_ref"
	[ -z "$(git -C "$src" status --porcelain --untracked-files=no)" ] ||
		die "-A $abuild: its source $src has changes"
	missing=$(config_missing "$abuild")
	# shellcheck disable=SC2086 # one word per option
	[ -z "$missing" ] || die "-A $abuild: .config lacks:" $missing
	info "kernel A: $abuild (read only), $(git -C "$src" log -1 --format='%h %s')"
}

# The two modules of kernel $1, out of tree, and its initramfs; log $2.
build_modules() {
	bdir=$(bdir_of "$1")
	m=$mods/$1
	rm -rf "$m"
	mkdir -p "$m/count" "$m/brd"
	cp "$TOP/scripts/bench/bench-bio-count.c" \
		"$TOP/scripts/bench/plugin/pwcount.h" "$m/count/"
	echo 'obj-m := bench-bio-count.o' >"$m/count/Kbuild"
	# brd.c takes its defaults from Kconfig; bench-bio.config leaves
	# it out of the kernel (the module's parameters set them anyway).
	cp "$bdir/source/drivers/block/brd.c" "$m/brd/"
	printf '%s\n' 'obj-m := brd.o' \
		'ccflags-y := -DCONFIG_BLK_DEV_RAM_COUNT=1 -DCONFIG_BLK_DEV_RAM_SIZE=8192' \
		>"$m/brd/Kbuild"
	for d in count brd; do
		make -C "$bdir" M="$m/$d" ARCH=x86_64 CC="$cc" HOSTCC="$cc" \
			modules >>"$2" 2>&1 || {
			grep -E 'error|warning' "$2" | tail -15 >&2
			die "kernel $1: the $d module does not build (log: $2)"
		}
	done
	for f in count/bench-bio-count.ko brd/brd.ko; do
		[ -f "$m/$f" ] || die "kernel $1: no $m/$f (log: $2)"
	done
	{
		printf '%s\n' 'dir /dev 0755 0 0' 'nod /dev/console 0600 0 0 c 5 1' \
			'dir /proc 0755 0 0' 'dir /sys 0755 0 0' \
			'dir /bin 0755 0 0' 'dir /sbin 0755 0 0' \
			"file /init $mods/init.sh 0755 0 0" \
			"file /bench-init $mods/bench-init 0755 0 0" \
			"file /count.conf $out/count.conf 0644 0 0" \
			"file /brd.ko $m/brd/brd.ko 0644 0 0" \
			"file /count.ko $m/count/bench-bio-count.ko 0644 0 0"
		cpio_binaries /bin/sh /bin/dash /sbin/insmod "$(readlink -f /sbin/insmod)" |
			grep -v '^dir /s\{0,1\}bin '
	} >"$m/initramfs.list"
	"$mods/gen_init_cpio" "$m/initramfs.list" >"$m/initramfs.cpio" ||
		die "cannot make $m/initramfs.cpio"
}

failed=0
if [ -n "$resummarise" ]; then
	out=$resummarise
	[ -f "$out/count.conf" ] || die "$out: no count.conf, not a run of this script"
	start=$(date +%s)
else
	# A build dir given for kernel A must fit before anything is made.
	case $kernels in *A*) [ -z "$abuild" ] || check_abuild ;; esac
	stamp=$(date +%Y%m%d-%H%M%S)
	out=$WORKDIR/results/bench-bio/$stamp
	mkdir -p "$out"
	ln -sfn "$stamp" "$WORKDIR/results/bench-bio/latest"
	start=$(date +%s)
	need_space 8000
	echo "bio rounds=$count_rounds loops=$count_loops" >"$out/count.conf"

	for kern in $(echo "$kernels" | sed 's/./& /g'); do
		if [ "$kern" != A ] || [ -z "$abuild" ]; then
			build_kernel "$kern" "$out/build-$kern.log"
		fi
	done

	# The pieces every initramfs shares.
	mkdir -p "$mods"
	kgit show "$base_commit:usr/gen_init_cpio.c" >"$mods/gen_init_cpio.c" ||
		die "no usr/gen_init_cpio.c in $base_ref"
	gcc -O2 -o "$mods/gen_init_cpio" "$mods/gen_init_cpio.c" ||
		die "cannot build usr/gen_init_cpio.c of $base_ref"
	gcc -static -O2 -Wall -o "$mods/bench-init" \
		"$TOP/scripts/bench/bench-vmalloc-init.c" ||
		die "cannot build scripts/bench/bench-vmalloc-init.c (needs libc6-dev)"
	cat >"$mods/init.sh" <<'EOF'
#!/bin/sh
# PID 1 of bench-bio's initramfs: the ramdisk, then the static init that
# loads /count.ko (benchmod= and benchconf= on the kernel command line).
/sbin/insmod /brd.ko rd_nr=1 rd_size=8192 ||
	echo 'bench: error: insmod /brd.ko failed'
exec /bench-init
EOF
	for kern in $(echo "$kernels" | sed 's/./& /g'); do
		build_modules "$kern" "$out/modules-$kern.log"
	done
	plugin=$("$TOP/scripts/bench/plugin/build.sh" | tail -n 1) ||
		die "cannot build the pwcount plugin"
	{
		echo "base: $base_ref $(kgit log -1 --format='%h %s' "$base_commit")"
		echo "part1: $p1_ref $(kgit log -1 --format='%h %s' "$p1_commit")"
		for kern in $(echo "$kernels" | sed 's/./& /g'); do
			echo "kernel $kern: $(bdir_of "$kern")"
		done
	} >"$out/kernels.txt"
	if [ -n "$build_only" ]; then
		info "built in $(($(date +%s) - start))s; -B: not booting"
		exit 0
	fi

	# Counted boot $2 of kernel $1 (the plugin splits its arguments at
	# commas: no path may hold one).  The log is kept whatever happens.
	boot() {
		bdir=$(bdir_of "$1")
		log=$out/count-$1-$2.log
		pwout=$out/pwcount-$1-$2.txt
		t0=$(date +%s)
		rc=0
		timeout -k 10 "$boot_timeout" qemu-system-x86_64 \
			-accel tcg,thread=single -icount shift=0,sleep=off \
			-plugin "$plugin,outfile=$pwout,regions=$regions,count=kernel,top=5,map=$bdir/System.map,profile=$out/profile-$1-$2.txt" \
			-smp 2 -m 2G -nographic -no-reboot \
			-kernel "$bdir/arch/x86/boot/bzImage" \
			-initrd "$mods/$1/initramfs.cpio" \
			-drive if=none,id=vd,driver=null-co,read-zeroes=on,size=64M \
			-device virtio-blk-pci,drive=vd \
			-append "console=ttyS0 nokaslr quiet panic=-1 benchmod=/count.ko benchconf=/count.conf" \
			</dev/null >"$log" 2>&1 || rc=$?
		tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
		secs=$(($(date +%s) - t0))
		if [ $rc = 124 ] || [ $rc = 137 ]; then
			info "kernel $1 boot $2: timed out after ${secs}s (log: $log)"
			failed=$((failed + 1))
		elif ! grep -q '^bench: done' "$log" || grep -q '^bench: error' "$log"; then
			info "kernel $1 boot $2: incomplete or failed (qemu rc $rc, ${secs}s, log: $log)"
			grep -E '^bench: error|Kernel panic|BUG:|Oops' "$log" | head -5 >&2
			failed=$((failed + 1))
		elif ! "$TOP/scripts/bench/plugin/report.sh" "$pwout" >/dev/null; then
			info "kernel $1 boot $2: no complete count (${secs}s, report: $pwout)"
			failed=$((failed + 1))
		else
			info "kernel $1 boot $2: ${secs}s"
		fi
	}

	load=$(cut -d' ' -f1 /proc/loadavg)
	info "built in $(($(date +%s) - start))s; $cboots counted boots of each of $kernels (host load $load)"
	i=1
	while [ $i -le "$cboots" ]; do
		for kern in $(echo "$kernels" | sed 's/./& /g'); do
			boot "$kern" $i
		done
		i=$((i + 1))
	done
fi

# "kernel boot region ops insns loads stores" from the T rows of every
# complete report.
for f in "$out"/pwcount-*.txt; do
	[ -f "$f" ] || continue
	"$TOP/scripts/bench/plugin/report.sh" "$f" >/dev/null 2>&1 || continue
	b=${f##*/pwcount-}
	b=${b%.txt}
	awk -v kern="${b%-*}" -v boot="${b##*-}" '
		$1 == "T" { print kern, boot, $2, $5, $6, $7, $8 }' "$f"
done >"$out/counts.txt"
[ -s "$out/counts.txt" ] || die "no complete report, nothing to summarise (logs: $out)"

# The counts table: per region and kernel, instructions and loads +
# stores per operation, mean over the boots and (min-max) where they
# differ; B and C against A, absolute and in %.
print_counts() {
	awk -v names="$names" '
		function add(k, r, f, v) {
			sum[k, r, f] += v
			if (!((k, r, f) in lo) || v < lo[k, r, f]) lo[k, r, f] = v
			if (!((k, r, f) in hi) || v > hi[k, r, f]) hi[k, r, f] = v
		}
		function mean(k, r, f) { return sum[k, r, f] / n[k, r] }
		function fmt(k, r, f,    m) {
			if (!n[k, r])
				return "-"
			m = sprintf("%.1f", mean(k, r, f))
			if (sprintf("%.1f", lo[k, r, f]) != sprintf("%.1f", hi[k, r, f]))
				m = m " (" sprintf("%.1f", lo[k, r, f]) "-" sprintf("%.1f", hi[k, r, f]) ")"
			return m
		}
		function d(k, r, f,    a, x) {
			if (!n[k, r] || !n["A", r])
				return "-"
			a = mean("A", r, f); x = mean(k, r, f) - a
			return sprintf("%+.1f (%+.2f%%)", x, a ? 100 * x / a : 0)
		}
		{
			n[$1, $3]++
			add($1, $3, "i", $5 / $4)
			add($1, $3, "m", ($6 + $7) / $4)
			if ($3 > nr) nr = $3
		}
		END {
			split(names, nm, " ")
			# one table of instructions (i), one of loads + stores (m)
			split("i m", fl, " ")
			split("insns|loads+stores", what, "|")
			for (t = 1; t <= 2; t++) {
				if (t > 1)
					print ""
				w = what[t]; f = fl[t]
				print "| region | A " w " | B " w " | B - A | C " w " | C - A |"
				print "|---|---:|---:|---:|---:|---:|"
				for (r = 1; r <= nr; r++)
					printf "| %d %s | %s | %s | %s | %s | %s |\n", r, nm[r],
						fmt("A", r, f), fmt("B", r, f), d("B", r, f),
						fmt("C", r, f), d("C", r, f)
			}
		}' "$out/counts.txt"
}

# The regions (ids) where B or C differs from A by at least $pct % in
# instructions per operation (means over the boots).
differing() {
	awk -v pct="$pct" '
		{ s[$1, $3] += $5 / $4; n[$1, $3]++; if ($3 > nr) nr = $3 }
		function abs(x) { return x < 0 ? -x : x }
		END {
			for (r = 1; r <= nr; r++) {
				if (!n["A", r])
					continue
				a = s["A", r] / n["A", r]
				for (q = 1; q <= 2; q++) {
					k = substr("BC", q, 1)
					if (n[k, r] && a > 0 &&
					    abs(s[k, r] / n[k, r] - a) * 100 >= pct * a) {
						printf "%d ", r
						break
					}
				}
			}
		}' "$out/counts.txt"
}

# Per region of $1 (ids): instructions per operation by kernel symbol on
# A, B and C, B - A and C - A, for every symbol whose mean differs by at
# least 0.5 between two kernels (profile-diff.sh -N).
print_profiles() {
	"$TOP/scripts/bench/plugin/profile-diff.sh" -N "$names" -r "$1" "$out" ||
		echo "(no complete profile)"
}

{
	echo "bench-bio: page-path bio operations, x86_64 QEMU TCG -smp 2 -m 2G,"
	echo "pwcount count=kernel, -icount shift=0,sleep=off; $(sed 's/^bio //' "$out/count.conf")"
	[ ! -f "$out/kernels.txt" ] || sed 's/^/    /' "$out/kernels.txt"
	echo
	echo "Boots with a complete report: $(awk '{ b[$1 " " $2] = 1 }
		END { for (x in b) { split(x, p, " "); c[p[1]]++ }
			for (q = 1; q <= 3; q++)
				if (substr("ABC", q, 1) in c)
					printf "%s %d  ", substr("ABC", q, 1), c[substr("ABC", q, 1)] }' "$out/counts.txt")"
	echo
	echo "## Per operation (mean over the boots, (min-max) where they differ)"
	echo
	print_counts
	echo
	for name in $names; do
		echo "- $name: $(describe "$name")"
	done
	diff_regions=$(differing)
	echo
	echo "## Instruction profiles of the regions where B or C differs from A by >= $pct%"
	if [ -n "$diff_regions" ]; then
		print_profiles "$diff_regions"
	else
		echo
		echo "none"
	fi
} | tee "$out/summary.md"

echo
echo "total time: $((($(date +%s) - start) / 60)) min; reports and logs: $out"
[ "$failed" = 0 ] || die "$failed boots failed (logs: $out)"
