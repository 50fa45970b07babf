#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages the workbench needs, when they are missing.
# As root this runs apt-get; otherwise it prints the command and fails.

set -eu
. "$(dirname "$0")/common.sh"

# clang-16: cross-compile checks (scripts/cross.sh); bookworm's default
# clang 14 is too old for ARCH=s390, which needs 15, and ld.lld cannot
# link s390, hence its GNU binutils.  python3-sphinx: the htmldocs gate.
PKGS="build-essential bc bison flex libelf-dev libssl-dev python3
      qemu-system-x86 git b4 sparse coccinelle ccache dwarves clang lld llvm
      clang-16 lld-16 llvm-16 binutils-s390x-linux-gnu python3-sphinx
      cpio kmod rsync linux-source-6.12"

missing=
for p in $PKGS; do
	s=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null) || s=
	[ "$s" = installed ] || missing="$missing $p"
done
[ -n "$missing" ] || exit 0

cmd="apt-get install -y$missing"
if [ "$(id -u)" != 0 ]; then
	die "missing packages:$missing; run as root: apt-get update && $cmd"
fi
info "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || die "apt-get update failed"
# shellcheck disable=SC2086
$cmd >"${TMPDIR:-/tmp}/pagewise-apt.log" 2>&1 ||
	die "apt-get install failed; see ${TMPDIR:-/tmp}/pagewise-apt.log"
