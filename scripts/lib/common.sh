# SPDX-License-Identifier: GPL-2.0
# Shared settings for the Pagewise workbench scripts.  Sourced, not run.

TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
WORKDIR=${WORKDIR:-$HOME/.cache/pagewise}
KDIR=$WORKDIR/linux
BUILDDIR=$WORKDIR/build
BRANCH=series

# The base: Debian's linux-source-7.3 from trixie-backports (scripts/deps.sh
# fetches it with a private apt configuration).  SERIES_VERSION is the
# kernel version the series applies to, checked for KERNEL_SRC trees too.
SERIES_VERSION=7.3
BASE_DEBPKG=linux-source-$SERIES_VERSION
BASE_SUITE=${BASE_SUITE:-trixie-backports}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
BASE_TARBALL=$WORKDIR/debs/root/usr/src/$BASE_DEBPKG.tar.xz
BASE_DEBVER=$WORKDIR/debs/version
# Tools built by deps.sh (sparse), ahead of the system's in PATH.
TOOLS=$WORKDIR/tools
PATH=$TOOLS/bin:$PATH
export PATH
AUTHOR_ID='Pagewise <pagewise@example.org>'

die() {
	printf '%s: error: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

info() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
}

kgit() {
	git -C "$KDIR" "$@"
}

# Refuse to start when the work dir's filesystem is (nearly) full.
# $1: megabytes needed.
need_space() {
	mkdir -p "$WORKDIR" 2>/dev/null || die "cannot create work dir $WORKDIR"
	avail=$(df -Pm "$WORKDIR" | awk 'NR == 2 { print $4 }')
	[ "${avail:-0}" -ge "$1" ] ||
		die "only ${avail:-0} MiB free in $WORKDIR, need $1 MiB"
}

need_tree() {
	kgit rev-parse -q --verify refs/tags/base >/dev/null 2>&1 ||
		die "no base tree in $KDIR (run 'make base')"
}

# Patch files named in the series file, in order, as paths under patches/
# ("part2-scamem/mm-...patch"); comments and blank lines skipped.
series_patches() {
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$TOP/series"
}

# The subject of patch file $1 without "[PATCH] ", unfolded (format-patch
# folds a long Subject: header over several lines).
patch_subject() {
	awk '/^Subject: / { s = $0; f = 1; next } f && /^[ \t]/ { s = s $0; next }
		f { print s; exit }' "$1" | sed 's/^Subject: \[PATCH\] //'
}

# The part numbers of the series, in order (from its '# Part N:' headers).
series_parts() {
	sed -n 's/^# Part \([0-9][0-9]*\):.*/\1/p' "$TOP/series"
}

# The patches of part $1, in order.
part_patches() {
	awk -v n="$1" '/^# Part [0-9]+:/ { sub(/:.*/, ""); p = ($3 == n); next }
		/^[[:space:]]*(#|$)/ { next } p { sub(/[[:space:]]*#.*/, ""); print }' \
		"$TOP/series"
}

# Part $1's ref in the kernel tree: base + that part alone (series.sh alone).
part_ref() {
	echo "refs/pagewise/part$1"
}

# ccache in the work dir, shared by every build of the workbench.  Sets
# $ccache to the prefix for CC ("ccache " or empty); one size limit for
# all callers, large enough for the KUnit, cross and benchmark kernels.
use_ccache() {
	ccache=
	command -v ccache >/dev/null 2>&1 || return 0
	export CCACHE_DIR="$WORKDIR/ccache" CCACHE_BASEDIR="$WORKDIR"
	export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-12G}"
	ccache='ccache '
}

# Detached worktree $1 of the kernel tree at commit-ish $2, created or
# moved there.  The kernel tree's own checkout is not touched.
detached_worktree() {
	if [ ! -e "$1/.git" ]; then
		[ ! -e "$1" ] || die "$1 exists but is not a worktree; remove it"
		kgit worktree add -q --detach "$1" "$2" ||
			die "cannot add worktree $1"
	fi
	[ "$(git -C "$1" rev-parse HEAD)" = "$(kgit rev-parse "$2^{commit}")" ] ||
		git -C "$1" checkout -q --detach "$2" ||
		die "cannot check out $2 in $1"
}

# make_initramfs <kernel source> <static /init binary> <output cpio>:
# an initramfs with /init, /dev/console, /proc and /sys, made with the
# kernel's own usr/gen_init_cpio.c (neither cpio(1) nor root needed).
# The usertest gate and the benchmarks that boot a guest program use it.
make_initramfs() {
	[ -f "$1/usr/gen_init_cpio.c" ] || die "no $1/usr/gen_init_cpio.c"
	_mi_tmp=$(mktemp -d)
	if ! gcc -O2 -o "$_mi_tmp/gen_init_cpio" "$1/usr/gen_init_cpio.c"; then
		rm -rf "$_mi_tmp"
		die "cannot build $1/usr/gen_init_cpio.c"
	fi
	printf '%s\n' 'dir /dev 0755 0 0' 'nod /dev/console 0600 0 0 c 5 1' \
		'dir /proc 0755 0 0' 'dir /sys 0755 0 0' \
		"file /init $2 0755 0 0" >"$_mi_tmp/list"
	if ! "$_mi_tmp/gen_init_cpio" "$_mi_tmp/list" >"$3"; then
		rm -rf "$_mi_tmp"
		die "cannot make the initramfs $3"
	fi
	rm -rf "$_mi_tmp"
}

# cpio_binaries <guest path> <host binary> [<guest path> <host binary>...]:
# the gen_init_cpio lines that put each host binary into an initramfs at
# its guest path, with the shared libraries ldd lists for it at their own
# paths, directories first, each directory and library once.
# gen_init_cpio reads through symlinks, so a library lands under the
# name ld.so looks for.  Dies when a binary or a library is missing.
cpio_binaries() {
	_cb_files=
	_cb_libs=
	while [ $# -ge 2 ]; do
		[ -x "$2" ] || die "$2 is missing or not executable"
		_cb_files="$_cb_files$1 $2
"
		# "name => /path (addr)" and "/path (addr)".
		_cb_l=$(ldd "$2" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
			$1 ~ /^\// { print $1 }') || _cb_l=
		[ -n "$_cb_l" ] || die "ldd $2 lists no library"
		_cb_libs="$_cb_libs$_cb_l
"
		shift 2
	done
	[ $# = 0 ] || die "cpio_binaries: a guest path without a binary"
	_cb_libs=$(printf '%s' "$_cb_libs" | sed '/^$/d' | sort -u)
	for _cb_l in $_cb_libs; do
		[ -f "$_cb_l" ] || die "$_cb_l (from ldd) is missing"
	done
	{
		printf '%s' "$_cb_files" | while read -r _cb_g _cb_h; do
			echo "$_cb_g"
		done
		printf '%s\n' "$_cb_libs"
	} | while read -r _cb_p; do
		_cb_d=${_cb_p%/*}
		while [ -n "$_cb_d" ]; do
			echo "dir $_cb_d 0755 0 0"
			_cb_d=${_cb_d%/*}
		done
	done | LC_ALL=C sort -u
	printf '%s' "$_cb_files" | while read -r _cb_g _cb_h; do
		echo "file $_cb_g $_cb_h 0755 0 0"
	done
	for _cb_l in $_cb_libs; do
		echo "file $_cb_l $_cb_l 0755 0 0"
	done
}

# build_guest_kernel <source> <build dir> <log> <fragment>...: an x86_64
# bzImage of x86_64_defconfig with the fragments merged in
# (merge_config.sh -m, then olddefconfig), built at -j2 under nice with
# ccache when there is one.  Every line of the fragments must have
# survived olddefconfig (a dependency that is not met drops an option
# silently).  Sets $kernel; dies with the build's errors otherwise.  The
# pmem benchmarks (vmemmap-fsdax.sh, pageless-writecache.sh) use it.
build_guest_kernel() {
	_bk_src=$1 _bk_bdir=$2 _bk_log=$3
	shift 3
	use_ccache
	# shellcheck disable=SC2154 # $ccache: set by use_ccache
	_bk_cc="${ccache}gcc"
	if ! {
		nice -n 10 make -C "$_bk_src" O="$_bk_bdir" ARCH=x86_64 \
			CC="$_bk_cc" HOSTCC="$_bk_cc" x86_64_defconfig &&
		"$_bk_src/scripts/kconfig/merge_config.sh" -m -O "$_bk_bdir" \
			"$_bk_bdir/.config" "$@" &&
		nice -n 10 make -C "$_bk_src" O="$_bk_bdir" ARCH=x86_64 \
			CC="$_bk_cc" HOSTCC="$_bk_cc" olddefconfig &&
		nice -n 10 make -C "$_bk_src" O="$_bk_bdir" ARCH=x86_64 \
			CC="$_bk_cc" HOSTCC="$_bk_cc" -j2 bzImage
	} >"$_bk_log" 2>&1; then
		grep -E 'error|Error' "$_bk_log" | head -15 >&2
		die "kernel build failed (log: $_bk_log)"
	fi
	_bk_missing=$(cat "$@" |
		sed -n 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1/p' |
		while read -r _bk_opt; do
			! grep -q "^$_bk_opt=" "$_bk_bdir/.config" ||
				echo "$_bk_opt=(set)"
		done
		cat "$@" | grep '^CONFIG_' | while read -r _bk_opt; do
			grep -qx "$_bk_opt" "$_bk_bdir/.config" || echo "$_bk_opt"
		done)
	# shellcheck disable=SC2086
	[ -z "$_bk_missing" ] || die "config lost in olddefconfig:" $_bk_missing
	kernel=$_bk_bdir/arch/x86/boot/bzImage
	[ -f "$kernel" ] || die "$kernel was not built"
}

# What counts as a kernel report in a guest's console log: oopses, WARN()s
# (lockdep's "possible ..." reports and DMA-API debug reports are WARN()s
# too), KASAN, sleeping in atomic, hung tasks, UBSAN.
KERNEL_REPORTS='BUG:|WARNING:|KASAN|Oops|Call Trace|Kernel panic|general protection|possible circular|possible recursive|possible irq lock|sleeping function called|blocked for more than|UBSAN'

# pmem_e820_problem <log> <start GiB> <size GiB>: prints what is wrong
# with the memmap=<size>G!<start>G range in a guest's boot log, nothing
# when it is right: the kernel's e820 map must have it as persistent RAM
# (type 12), and QEMU's own map (BIOS-e820) must have it inside usable RAM.
pmem_e820_problem() {
	_pe_first=$(printf '0x%016x' $(($2 << 30)))
	_pe_last=$(printf '0x%016x' $(((($2 + $3) << 30) - 1)))
	# 7.3 prints "persistent RAM (type 12)" and "System RAM", older
	# kernels "persistent (type 12)" and "usable".
	grep -qE "user: \[mem $_pe_first-$_pe_last\] +persistent (RAM )?\(type 12\)" "$1" ||
		echo "no e820 'user: [mem $_pe_first-$_pe_last] persistent RAM (type 12)' line"
	_pe_inram=$(sed -n 's/.*BIOS-e820: \[mem \(0x[0-9a-f]*\)-\(0x[0-9a-f]*\)\] *\(usable\|System RAM\)$/\1 \2/p' "$1" |
		while read -r _pe_s _pe_e; do
			[ $((_pe_s)) -le $((_pe_first)) ] &&
				[ $((_pe_e)) -ge $((_pe_last)) ] && echo yes
		done)
	[ -n "$_pe_inram" ] ||
		echo "the pmem range $_pe_first-$_pe_last is not usable RAM in QEMU's e820 map"
}

# The base tree the static and docs gates compare with.
BASEWT=$WORKDIR/base-tree

# kunit.py asks QEMU for KVM first; the guests here run under TCG only
# (scripts/lib/qemu-tcg says why).  Puts a link to that shim, named
# qemu-system-x86_64, first in PATH for the commands that follow.
tcg_only() {
	qreal=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found"
	case $qreal in "$WORKDIR/qemu-tcg/"*) return 0 ;; esac
	mkdir -p "$WORKDIR/qemu-tcg"
	ln -sf "$TOP/scripts/lib/qemu-tcg" "$WORKDIR/qemu-tcg/qemu-system-x86_64"
	PAGEWISE_QEMU_DIR=$(dirname "$qreal")
	PATH=$WORKDIR/qemu-tcg:$PATH
	export PAGEWISE_QEMU_DIR PATH
}
