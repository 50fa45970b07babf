#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Prepare the series for sending with b4, without sending: enrol a scratch
# clone of branch 'series', install the cover letter from docs/, collect
# To/Cc with get_maintainer.pl, and write the mails to $WORKDIR/outgoing.
# Fails unless every mail has a non-empty To and Cc.
#
# COVER=docs/<file> picks another cover letter (default: the series one).

set -eu
. "$(dirname "$0")/common.sh"

cover=$TOP/${COVER:-docs/cover-letter.txt}
[ -f "$cover" ] || die "cover letter $cover missing"
head -1 "$cover" | grep -q . || die "$cover: the first line is the subject"
command -v b4 >/dev/null || die "b4 missing (run 'make deps')"
need_tree

scratch=$WORKDIR/b4-scratch
out=$WORKDIR/outgoing
rm -rf "$scratch" "$out"
trap 'rm -rf "$scratch" "$scratch.editor"' EXIT
git clone -q --shared -b "$BRANCH" "$KDIR" "$scratch"
git -C "$scratch" config user.name Pagewise
git -C "$scratch" config user.email pagewise@example.org
git -C "$scratch" tag -f base "$(kgit rev-parse base)" >/dev/null

# b4 edits the cover letter with an editor: hand it one that installs ours.
printf '#!/bin/sh\ncp "%s" "$1"\n' "$cover" >"$scratch.editor"
chmod +x "$scratch.editor"

cd "$scratch"
export HOME="$scratch/.home"	# no user b4/git config leaks in
mkdir -p "$HOME"
git config --global user.name Pagewise
git config --global user.email pagewise@example.org
log=$WORKDIR/b4.log
: >"$log"
b4step() {
	what=$1
	shift
	echo "\$ $*" >>"$log"
	"$@" >>"$log" 2>&1 || die "$what failed (log: $log)"
}
b4step "b4 prep -e base" b4 prep -e base
# Without an SMTP setup b4 0.12 wants its web endpoint, which requires
# signing; -o never connects anywhere, so any server name will do.
git config sendemail.smtpServer localhost
# b4 0.12 edits through core.editor (else $EDITOR), not $GIT_EDITOR.
git config core.editor "$scratch.editor"
b4step "b4 prep --edit-cover" b4 prep --edit-cover
b4step "b4 prep --auto-to-cc" b4 prep --auto-to-cc
b4step "b4 send -o" b4 send -o "$out" --no-sign

n=0
for m in "$out"/*; do
	[ -f "$m" ] || continue
	n=$((n + 1))
	to=$(sed -n '/^$/q; /^To: ./p' "$m")
	cc=$(sed -n '/^$/q; /^Cc: ./p' "$m")
	[ -n "$to" ] && [ -n "$cc" ] || die "${m##*/} has no To or no Cc"
done
[ $n -gt 0 ] || die "b4 wrote no mail"
echo "b4: $n mails in $out"
sed -n '/^$/q; /^\(To\|Cc\): /p' "$(ls "$out"/* | head -1)" | sed 's/^/  /'
