#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Prepare each part of the series for sending with b4, without sending:
# for part N, enrol a scratch clone of refs/pagewise/partN (base + that
# part alone, made by 'series.sh alone'), install docs/cover-partN.txt,
# collect To/Cc with get_maintainer.pl over that part's patches and
# write the mails to $WORKDIR/outgoing/partN.
#
# PART=<n> does one part; default: every part of the series.  Then checks,
# per part: every mail has a To and a Cc; the patch mails are exactly the
# part's patches; the cover letter is addressed to every list
# get_maintainer.pl names for the part's patches; the cover letter names
# the base (Linux $SERIES_VERSION) and says the part is independent of
# the others.

set -eu
. "$(dirname "$0")/../lib/common.sh"

command -v b4 >/dev/null || die "b4 missing (run 'make deps')"
need_tree
all=$(series_parts | tr '\n' ' ')
[ -n "$all" ] || die "the series file has no '# Part N:' header"
if [ -n "${PART:-}" ]; then
	case " $all " in
	*" $PART "*) ;;
	*) die "PART=$PART names no part of the series (parts: ${all% })" ;;
	esac
	parts=$PART
else
	parts=$all
fi
for n in $parts; do
	c=$TOP/docs/cover-part$n.txt
	[ -f "$c" ] || die "part $n has no cover letter (docs/cover-part$n.txt)"
	head -1 "$c" | grep -q . || die "docs/cover-part$n.txt: the first line is the subject"
done
"$TOP/scripts/tree/series.sh" alone >/dev/null

# send_part N: the mails of part N in $WORKDIR/outgoing/partN.
send_part() {
	n=$1 cover=$TOP/docs/cover-part$n.txt
	scratch=$WORKDIR/b4-scratch-$n
	out=$WORKDIR/outgoing/part$n
	log=$WORKDIR/b4-part$n.log
	rm -rf "$scratch" "$out"
	git clone -q --shared --no-checkout "$KDIR" "$scratch"
	# b4 works on the history; the work tree needs only what
	# get_maintainer.pl reads: the top-level files, scripts/, and one
	# file in each directory it takes as the sign of a kernel tree.
	git -C "$scratch" sparse-checkout set --no-cone '/*' '!/*/' /scripts/ \
		/Documentation/Makefile /arch/Kconfig /include/linux/types.h \
		/drivers/Makefile /fs/Makefile /init/Makefile /ipc/Makefile \
		/kernel/Makefile /lib/Makefile
	git -C "$scratch" checkout -q -b "pagewise-part$n" "$(kgit rev-parse "$(part_ref "$n")")"
	git -C "$scratch" tag -f base "$(kgit rev-parse base)" >/dev/null
	# b4 edits the cover letter with an editor: hand it one that
	# installs ours.
	printf '#!/bin/sh\ncp "%s" "$1"\n' "$cover" >"$scratch.editor"
	chmod +x "$scratch.editor"
	: >"$log"
	(
		cd "$scratch"
		export HOME="$scratch/.home"	# no user b4/git config leaks in
		mkdir -p "$HOME"
		git config --global user.name Pagewise
		git config --global user.email pagewise@example.org
		git config user.name Pagewise
		git config user.email pagewise@example.org
		b4step() {
			what=$1
			shift
			echo "\$ $*" >>"$log"
			"$@" >>"$log" 2>&1 || die "part $n: $what failed (log: $log)"
		}
		b4step "b4 prep -e base" b4 prep -e base
		# Without an SMTP setup b4 0.12 wants its web endpoint, which
		# requires signing; -o never connects anywhere.
		git config sendemail.smtpServer localhost
		# b4 0.12 edits through core.editor, not $GIT_EDITOR.
		git config core.editor "$scratch.editor"
		b4step "b4 prep --edit-cover" b4 prep --edit-cover
		b4step "b4 prep --auto-to-cc" b4 prep --auto-to-cc
		b4step "b4 send -o" b4 send -o "$out" --no-sign
	)
	rm -rf "$scratch" "$scratch.editor"
}

# check_part N: what the mails of part N must carry.
check_part() {
	n=$1 out=$WORKDIR/outgoing/part$n
	hdr() { sed -n '/^$/q; p' "$1" | awk '/^[^ \t]/ { if (l) print l; l = $0; next }
		{ l = l $0 } END { if (l) print l }'; }
	k=0 cover=
	for m in "$out"/*; do
		[ -f "$m" ] || continue
		h=$(hdr "$m")
		to=$(printf '%s\n' "$h" | grep '^To: .')
		cc=$(printf '%s\n' "$h" | grep '^Cc: .')
		[ -n "$to" ] && [ -n "$cc" ] || die "part $n: ${m##*/} has no To or no Cc"
		subj=$(printf '%s\n' "$h" | sed -n 's/^Subject: //p')
		if printf '%s\n' "$subj" | grep -qE '^\[PATCH[^]]* 0+/[0-9]+\] '; then
			cover=$m
		else
			k=$((k + 1))
			printf '%s\n' "$subj" | sed 's/^\[[^]]*\] //' >>"$out.subjects"
		fi
	done
	[ -n "$cover" ] || die "part $n: b4 wrote no cover letter"
	# The patch mails are this part's patches, no more, no fewer.
	for p in $(part_patches "$n"); do
		patch_subject "$TOP/patches/$p"
	done >"$out.want"
	sort "$out.subjects" >"$out.got.sorted"
	sort "$out.want" >"$out.want.sorted"
	if ! cmp -s "$out.got.sorted" "$out.want.sorted"; then
		diff "$out.want.sorted" "$out.got.sorted" | sed -n 's/^[<>] /  /p' | head -5 >&2
		die "part $n: the mails are not exactly part $n's $(wc -l <"$out.want") patches"
	fi
	# Every list the maintainers file names for the part's patches.
	lists=$(cd "$KDIR" && ./scripts/get_maintainer.pl --nogit --nogit-fallback \
		--nom --nor --l --norolestats --non --noremove-duplicates \
		$(part_patches "$n" | sed "s|^|$TOP/patches/|") 2>/dev/null | sort -u)
	[ -n "$lists" ] || die "part $n: get_maintainer.pl names no list"
	h=$(hdr "$cover")
	for l in $lists; do
		printf '%s\n' "$h" | grep -E '^(To|Cc): ' | grep -qiF "$l" ||
			die "part $n: the cover letter is not sent to $l"
	done
	body=$(sed '1,/^$/d' "$cover")
	printf '%s\n' "$body" | grep -qF "Linux $SERIES_VERSION" ||
		die "part $n: the cover letter does not name its base (Linux $SERIES_VERSION)"
	printf '%s\n' "$body" | grep -qi "independent" ||
		die "part $n: the cover letter does not say the parts are independent"
	printf '%s\n' "$body" | grep -q '^base-commit: ' ||
		die "part $n: the cover letter has no base-commit line"
	rm -f "$out.subjects" "$out.want" "$out.got.sorted" "$out.want.sorted"
	echo "part $n: $k patches + cover in $out, to: $(printf '%s\n' "$h" |
		sed -n 's/^To: //p' | tr -s ' ' | cut -c1-100)"
	echo "  lists: $(echo $lists)"
}

rm -rf "$WORKDIR/outgoing"
mkdir -p "$WORKDIR/outgoing"
for n in $parts; do
	send_part "$n"
	check_part "$n"
done
