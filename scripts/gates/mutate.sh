#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make mutate [PART=n] [MUTANT=name]: show that the tests can fail.
#
# Each part keeps its mutants in kunit/mutants/<part folder>/<name>.patch:
# a header, then a diff against the series tip that removes or weakens
# one check the part relies on.
#
#   Mutant: <name>             (the file name without .patch)
#   Arch: um | x86_64          (the KUnit kernel the catching tests run on)
#   Catches: <suite.case>[,<suite.case>...] | usertest:[<guest>:]<n> | fsdax
#   Invariant: <what the check guarantees, in a line>
#
# For each mutant the kernel tree is put on a scratch commit (series tip
# + the mutant, detached HEAD), the KUnit kernel of its arch is rebuilt
# in its usual build dir (only what the mutant touches recompiles) and
# the suite its Catches line names runs (all of the arch's suites when
# it names more than one); usertest:[<guest>:]<n> boots the rebuilt x86_64
# kernel with that usertest guest instead (scripts/gates/guest/<guest>-user.c,
# scamem when not named); fsdax runs vmemmap-fsdax on the scratch commit
# with FSDAX_ONDEMAND=1 (its own build dir; 2-5 min warm, as a boot ends
# early on a crash).  The mutant is caught when a named case
# (or usertest test) fails or has no result (crash, hang past the
# timeout: KUNIT_TIMEOUT, 300 s here unless set), or the kernel log has a
# report (KASAN, lockdep, WARN, BUG...).
# The tree goes back to the series branch afterwards, whatever happens;
# the next 'make kunit' recompiles the mutated files from ccache.
# Prints a table (caught, missed, seconds); a missed mutant, a mutant that
# no longer applies or a named case that does not exist fails the target.
# MUTATE_ROTATE=<k> runs k mutants, a different k each day (make check);
# mutants of a header are left out of the rotation (each recompiles the
# whole kernel, and the next make kunit again): make mutate runs them.

set -eu
. "$(dirname "$0")/../lib/common.sh"

# A whole x86_64 run takes about 70 s under TCG; a mutant that oopses with
# a lock held would otherwise hang for kunit.sh's 1200 s.
export KUNIT_TIMEOUT="${KUNIT_TIMEOUT:-300}"
mroot=$TOP/kunit/mutants
results=$WORKDIR/results/mutate

need_tree
[ -z "$(kgit status --porcelain --untracked-files=no)" ] ||
	die "$KDIR has uncommitted changes; commit or stash them"
tip=$(kgit rev-parse --verify -q "refs/heads/series^{commit}") ||
	die "no branch series in $KDIR (make apply)"

all=$(series_parts | tr '\n' ' ')
if [ -n "${PART:-}" ]; then
	case " $all" in
	*" $PART "*) ;;
	*) die "PART=$PART names no part of the series (parts: ${all% })" ;;
	esac
	parts=$PART
else
	parts=$all
fi

# The mutant files of the selected parts (MUTANT= narrows to one).
list=
for n in $parts; do
	folder=$(part_patches "$n" | head -1 | cut -d/ -f1)
	for f in "$mroot/$folder"/*.patch; do
		[ -f "$f" ] || continue
		[ -z "${MUTANT:-}" ] || [ "$(basename "$f" .patch)" = "$MUTANT" ] ||
			continue
		list="$list $f"
	done
done
if [ -z "$list" ]; then
	[ -z "${MUTANT:-}" ] || die "MUTANT=$MUTANT: no such mutant in part(s) ${parts% }"
	die "no mutants for part(s) ${parts% } in kunit/mutants/"
fi

# MUTATE_ROTATE=<k> (the make check gate): only k of them, a different
# k each day, in turn, so that every mutant runs within a few days.  All
# of them must still apply, though: a mutant that went stale when the
# series changed would otherwise wait for its day to be noticed.
if [ -n "${MUTATE_ROTATE:-}" ] && [ -z "${MUTANT:-}" ]; then
	for f in $list; do
		kgit apply --check --cached "$f" >/dev/null 2>&1 ||
			die "mutant $(basename "$f" .patch) no longer applies to the series ($(sed -n 's|^+++ b/||p' "$f" | tr '\n' ' ' | sed 's/ $//') changed)"
	done
	case $MUTATE_ROTATE in
	'' | *[!0-9]*) die "MUTATE_ROTATE=$MUTATE_ROTATE is not a number" ;;
	esac
	headers= keep=
	for f in $list; do
		if grep -q '^+++ b/.*\.h$' "$f" ||
			grep -q '^Catches:[[:space:]]*fsdax' "$f"; then
			headers="$headers $(basename "$f" .patch)"
		else
			keep="$keep $f"
		fi
	done
	list=$keep
	[ -z "$headers" ] || info "header and fsdax mutants, left to 'make mutate':$headers"
	[ -n "$list" ] || { info "no mutant in the rotation"; exit 0; }
	n=$(echo $list | wc -w)
	day=$(($(date -u +%s) / 86400))
	list=$(echo $list | tr ' ' '\n' | awk -v n="$n" -v k="$MUTATE_ROTATE" -v d="$day" \
		'{ f[NR - 1] = $0 } END { for (i = 0; i < k && i < n; i++) print f[(d * k + i) % n] }')
	info "rotation (day $day): $(for f in $list; do basename "$f" .patch; done | tr '\n' ' ')of $n"
fi

field() {
	sed -n "s/^$1:[[:space:]]*//p; /^\$/q" "$2" | head -1
}

# Validate every mutant before building anything: header, arch, named
# cases present in the series tip (the checkout, test files only: a
# grep of the whole tree at a revision took 20 s a case), diff applying
# to it.
[ "$(kgit rev-parse HEAD)" = "$tip" ] || kgit checkout -q series ||
	die "cannot check out the series branch in $KDIR"
for f in $list; do
	name=$(basename "$f" .patch)
	[ "$(field Mutant "$f")" = "$name" ] ||
		die "$f: 'Mutant:' must be $name"
	arch=$(field Arch "$f")
	case $arch in um | x86_64) ;; *) die "$name: Arch: must be um or x86_64" ;; esac
	catches=$(field Catches "$f")
	[ -n "$catches" ] || die "$name: no 'Catches:' line"
	for c in $(echo "$catches" | tr ',' ' '); do
		case $c in
		fsdax)
			[ "$arch" = x86_64 ] || die "$name: fsdax runs on x86_64 only"
			;;
		usertest:*)
			[ "$arch" = x86_64 ] || die "$name: usertest runs on x86_64 only"
			t=${c#usertest:} g=scamem
			case $t in *:*) g=${t%%:*} t=${t#*:} ;; esac
			[ -f "$TOP/scripts/gates/guest/$g-user.c" ] ||
				die "$name: $c: no usertest guest $g"
			plan=$(sed -n 's/^#define USERTEST_PLAN[[:space:]]*\([0-9]*\).*/\1/p' \
				"$TOP/scripts/gates/guest/$g-user.c")
			[ -n "$plan" ] && [ "$t" -ge 1 ] 2>/dev/null && [ "$t" -le "$plan" ] ||
				die "$name: $c: the $g usertest has tests 1..${plan:-?}"
			;;
		*.*)
			suite=${c%%.*} case=${c#*.}
			kgit grep -q -E "\.name = \"$suite\"" -- '*test*.c' '*kunit*.c' ||
				die "$name: names suite $suite, which does not exist"
			kgit grep -q -E "KUNIT_CASE[A-Z_]*\($case[,)]" -- '*test*.c' '*kunit*.c' ||
				die "$name: names case $c, which does not exist"
			;;
		*) die "$name: Catches: $c is neither suite.case, usertest:[guest:]N nor fsdax" ;;
		esac
	done
	if ! out=$(kgit apply --check --cached 2>&1 <"$f"); then
		files=$(sed -n 's|^+++ b/||p' "$f" | tr '\n' ' ')
		die "mutant $name no longer applies to the series (${files% } changed): $(echo "$out" | head -1)"
	fi
done

# Back to the series branch.  A mutated x86_64 kernel image must not be
# booted by 'make usertest' afterwards (kunit.sh rebuilds before it runs;
# usertest.sh does not): remove it, and usertest asks for 'make kunit'.
restore() {
	kgit checkout -q -f series 2>/dev/null || true
	[ -z "${x86_mutated:-}" ] ||
		rm -f "$BUILDDIR/kunit-x86_64/arch/x86/boot/bzImage"
}
trap restore EXIT
trap 'exit 130' INT TERM

mkdir -p "$results"
table=$results/table.txt
: >"$table"
missed=0
total_start=$(date +%s)
for f in $list; do
	name=$(basename "$f" .patch)
	arch=$(field Arch "$f")
	catches=$(field Catches "$f")
	start=$(date +%s)
	info "$name ($arch): $(field Invariant "$f")"

	kgit checkout -q -f --detach "$tip"
	kgit apply --index <"$f" || die "$name: git apply failed"
	kgit -c user.name=mutate -c user.email=mutate@localhost \
		commit -q --no-verify -m "mutant $name"

	log=$results/$name.log
	case $catches in
	fsdax)
		rc=0
		FSDAX_REF=$(kgit rev-parse HEAD) FSDAX_ONDEMAND=1 \
			"$TOP/scripts/bench/vmemmap-fsdax.sh" >"$log" 2>&1 || rc=$?
		if [ "$rc" = 0 ]; then
			verdict='missed: vmemmap-fsdax passed'
		elif grep -q '^PROBLEM: ' "$log"; then
			# A report or failed checks say more than the missing end.
			why=$(grep -m1 -E '^[0-9]+ (lines with a kernel report|failed checks)' "$log") ||
				why=$(grep -m1 '^PROBLEM: ' "$log" | cut -c10-)
			verdict="caught: $(printf '%s\n' "$why" | cut -c1-72)"
		else
			die "$name: vmemmap-fsdax failed before booting; log: $log"
		fi
		;;
	usertest:*)
		x86_mutated=1
		rc=0
		ARCH=x86_64 "$TOP/scripts/gates/kunit.sh" >"$log" 2>&1 || rc=$?
		[ -f "$BUILDDIR/kunit-x86_64/arch/x86/boot/bzImage" ] ||
			die "$name: the x86_64 kernel did not build; log: $log"
		guest=${catches#usertest:}
		case $guest in *:*) guest=${guest%%:*} ;; *) guest=scamem ;; esac
		USERTEST_GUEST=$guest "$TOP/scripts/gates/usertest.sh" >>"$log" 2>&1 || true
		verdict=$(python3 - "$log" "$catches" <<'EOF'
import re, sys
log, catches = sys.argv[1], sys.argv[2]
want = int(catches.split(':')[-1])
text = open(log, errors='replace').read()
if re.search(rf'^FAILED: test {want} ', text, re.M) or \
        re.search(rf'^test {want} (failed|printed no result)', text, re.M):
    print(f'caught: usertest test {want} failed')
elif 'kernel report:' in text:
    print('caught: kernel report in the usertest log')
elif 'did not finish' in text or 'qemu exit status' in text:
    print('caught: the guest did not finish')
else:
    print(f'missed: usertest test {want} passed')
EOF
)
		;;
	*)
		[ "$arch" != x86_64 ] || x86_mutated=1
		# Only the named suites run when there is one (a glob cannot
		# name two); the others would cost minutes and count for nothing.
		suites=$(printf '%s\n' "$catches" | tr ',' '\n' | sed 's/\..*//' | sort -u)
		[ "$(printf '%s\n' "$suites" | wc -l)" = 1 ] || suites='*'
		rc=0
		ARCH=$arch SUITE=$suites "$TOP/scripts/gates/kunit.sh" >"$log" 2>&1 || rc=$?
		cp "$WORKDIR/results/kernel-$arch.log" "$results/$name.kernel.log" 2>/dev/null || :
		verdict=$(python3 - "$WORKDIR/results/kunit-$arch.json" \
			"$results/$name.kernel.log" "$catches" \
			"$TOP/scripts/lib/kunit-report.py" <<'EOF'
import importlib.util, json, sys
js, klog, catches, report_py = sys.argv[1:5]
spec = importlib.util.spec_from_file_location('kunit_report', report_py)
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
status = {}
try:
    top = json.load(open(js))
    for suite in top.get('sub_groups', []):
        for case, st in mod.leaf_cases(suite):
            status[f"{suite['name']}.{case}"] = st
except (OSError, ValueError):
    pass
how = []
for c in catches.split(','):
    st = status.get(c)
    if st in ('FAIL', 'ERROR'):
        how.append(f'{c} {st}')
    elif st is None:
        how.append(f'{c} has no result')
try:
    for line in open(klog, errors='replace'):
        m = mod.REPORTS.search(line)
        if m:
            how.append(f'kernel report "{line.strip()[:60]}"')
            break
except OSError:
    how.append('no kernel log')
print('caught: ' + '; '.join(how) if how else
      'missed: ' + ', '.join(f'{c} {status.get(c)}' for c in catches.split(',')))
EOF
)
		;;
	esac
	secs=$(($(date +%s) - start))
	case $verdict in missed:*) missed=$((missed + 1)) ;; esac
	printf '%-24s %-7s %5ss  %s\n' "$name" "$arch" "$secs" "$verdict" |
		tee -a "$table"
done
restore
trap - EXIT

n=$(echo $list | wc -w)
echo "mutants: $n, caught $((n - missed)), missed $missed," \
	"$(($(date +%s) - total_start)) s; table: $table"
[ "$missed" = 0 ]
