# SPDX-License-Identifier: GPL-2.0
#
# Pagewise workbench: the patch series in patches/ + series against
# Linux 7.3, the kernel tree it is developed in, and the gates it passes.
# 'make help' lists the targets; README says how to use them.

WORKDIR ?= $(HOME)/.cache/pagewise
TOP := $(CURDIR)
export WORKDIR TOP KERNEL_SRC BASE_REF SUITE FORCE PART SLOW BENCH_REF BOOTS RUNS \
	SPF_REF SPF_KCONFIG SPF_SCALE BUILD_ONLY MUTANT MUTATE_ROTATE KCSAN \
	PWCOUNT_BOOTS COUNT_SIZES COUNT_ROUNDS

DEPS_STAMP := $(WORKDIR)/deps.stamp
S := $(TOP)/scripts
G := $(S)/gates
T := $(S)/tree
B := $(S)/bench

.PHONY: help deps base have-base apply export status sync kunit check quick-check \
	build-each cross docs b4 clean-work bench-vmalloc bench-mmap sizes

help:
	@echo 'make deps         install the Debian packages the workbench needs'
	@echo 'make base         create the base tree in $$WORKDIR/linux (tag base)'
	@echo 'make apply        branch series := base + patches (FORCE=1 drops unexported work)'
	@echo 'make export       patches/ + series := commits base..series'
	@echo 'make status       do branch and patches/ agree? (non-zero if not)'
	@echo 'make kunit        build and run every suite (ARCH=um|x86_64|x86_64-mm, SUITE=<glob>,'
	@echo '                  SLOW=1 adds the slow benchmark cases, KCSAN=1: x86_64 with KCSAN'
	@echo '                  instead of KASAN)'
	@echo 'make build-each   compile what each patch can affect (FULL=1: whole kernels)'
	@echo 'make cross        compile touched objects the KUnit configs skip (x86_64, i386, arm64, riscv, s390)'
	@echo 'make usertest     part 2 userspace lifecycle test on the x86_64 KUnit kernel'
	@echo 'make mutate       apply each mutant of kunit/mutants/ and check its tests catch it'
	@echo '                  (PART=<n>, MUTANT=<name>: narrow; a missed mutant fails)'
	@echo 'make docs         htmldocs of the Documentation/ dirs the series touches'
	@echo 'make b4           b4 prep + send -o dry run, each part into its own directory'
	@echo '                  of $$WORKDIR/outgoing (PART=<n>: that part alone)'
	@echo 'make bench-vmalloc  test_vmalloc timings, base vs series, in QEMU (not in'
	@echo '                  check; BENCH_REF=<ref, default series>, BOOTS=<per kernel>),'
	@echo '                  and counts per vmalloc/vfree call (PWCOUNT_BOOTS=<per kernel>)'
	@echo 'make bench-mmap   mmap timings of the slow scamem_mmap case (RUNS=<boots>)'
	@echo 'make sizes        pahole sizes of vm_struct/scamem: base, pre-order, series'
	@echo 'make part1-identity P1_TREE=<part 1 checkout>  part 1: code identity of every'
	@echo '                  converted object with BLK_PAGELESS=n, and pahole of bio/bio_vec,'
	@echo '                  base vs part 1 (docs/part1-identity.md; two x86_64 builds)'
	@echo 'make bench-bio    part 1: counts per page-path bio operation (pwcount), base vs'
	@echo '                  part 1 with BLK_PAGELESS=y and =n, in QEMU (BIO_REF=<part 1 ref,'
	@echo '                  default part1b>, PWCOUNT_BOOTS=<per kernel>; docs/part1-counts.md)'
	@echo 'make bench-vmemmap  part 4: memmap sizes, materialisation and memremap cost,'
	@echo '                  in QEMU (RUNS=<boots per -smp setting>)'
	@echo 'make bench-spf    part 3: page-fault benchmarks, base vs series with SPF off'
	@echo '                  and on, in QEMU (SPF_REF=<ref>, RUNS=<boots per kernel>,'
	@echo '                  BUILD_ONLY=1, SPF_KCONFIG=tiny)'
	@echo '                  (bench-vmemmap measures part 4 as v1 had it, until its'
	@echo '                  v2 issue lands)'
	@echo 'make spf-selftests  part 3: stock mm selftests in QEMU: base, series sysctl on and off (SPF_BUILD=1 builds both kernels)'
	@echo 'make vmemmap-hmm  part 4: the hmm selftests in QEMU with test_hmm eager, on demand, on demand at limit 0 (after make kunit ARCH=x86_64)'
	@echo 'make vmemmap-fsdax  part 4: ext4 -o dax on memmap= pmem in QEMU, memmap per touched fraction (FSDAX_REF=<ref>, FSDAX_ONDEMAND=1: on demand)'
	@echo 'make pageless-writecache  part 1: dm-writecache p on memmap= pmem, NVMe origin, fio in QEMU (PWC_REF=<ref>, PWC_APPEND=<args>)'
	@echo 'make plugin       build the pwcount TCG plugin into $$WORKDIR/plugin (docs/tcg-counts.md)'
	@echo 'make bench-counts-validate  pwcount plugin validation in QEMU (RUNS=<boots>)'
	@echo 'make quick-check  gates that need no kernel build'
	@echo 'make check        every gate; prints "N passed, N failed"'
	@echo 'WORKDIR=$(WORKDIR)  KERNEL_SRC=<your git tree>  BASE_REF=<ref, default HEAD>'

deps: $(DEPS_STAMP)
$(DEPS_STAMP): $(T)/deps.sh
	@$(T)/deps.sh
	@mkdir -p $(WORKDIR) && touch $@

base: deps
	@$(T)/base.sh

have-base: deps
	@$(T)/base.sh --quiet

apply: have-base
	@$(T)/series.sh apply

export: have-base
	@$(T)/series.sh export

status: have-base
	@$(T)/series.sh status

sync: have-base
	@$(T)/series.sh sync

kunit: sync
	@$(G)/kunit.sh

build-each: sync
	@$(G)/build-each.sh

cross: sync
	@$(G)/cross.sh

docs: sync
	@$(G)/docs.sh

b4: sync
	@$(G)/b4-dry-run.sh

# The userspace lifecycle test, on the x86_64 KUnit kernel 'make kunit'
# built (it does not build one).
.PHONY: usertest
usertest: sync
	@$(G)/usertest.sh

# Each mutant rebuilds the KUnit kernel of its arch incrementally.
.PHONY: mutate
mutate: sync
	@$(G)/mutate.sh

# Not a gate: it measures.  BOOTS=10 takes about 8 minutes once both
# kernels are built (two full defconfig builds the first time).
bench-vmalloc: have-base
	@$(B)/bench-vmalloc.sh

bench-mmap: sync
	@$(B)/bench-mmap.sh

sizes: sync
	@$(B)/sizes.sh

# Not a gate: it measures.  Two large x86_64 builds the first time.
.PHONY: part1-identity
part1-identity: have-base
	@[ -n "$(P1_TREE)" ] || { echo 'make part1-identity: error: P1_TREE=<a checkout of part 1 alone> is needed' >&2; exit 2; }
	@$(B)/part1-identity.sh $(WORKDIR)/base-tree $(P1_TREE) \
		$(WORKDIR)/build/id-base $(WORKDIR)/build/id-p1

# Not a gate: it measures.  Three x86_64 kernels without debug options
# (base, part 1 with BLK_PAGELESS=y and =n); it needs no series branch.
.PHONY: bench-bio
bench-bio: have-base
	@$(B)/bench-bio.sh

.PHONY: bench-vmemmap
bench-vmemmap: sync
	@$(B)/bench-vmemmap.sh

# Not a gate: it measures.  Two x86_64 kernels without debug options
# (base and SPF_REF), three kernels booted (the series one twice).
.PHONY: bench-spf
bench-spf: sync
	@$(B)/bench-spf.sh

quick-check: have-base
	@$(G)/check.sh quick

check: have-base
	@$(G)/check.sh

# ARCH must reach the scripts, but not as a make variable of ours.
ifdef ARCH
export ARCH
endif

# The pwcount TCG plugin (docs/tcg-counts.md): deterministic counts per
# operation under TCG.  Not a gate.  The validation boots the x86_64 KUnit
# kernel (PWCOUNT_KERNEL=<bzImage> for another).
.PHONY: plugin bench-counts-validate
plugin:
	@$(B)/plugin/build.sh

bench-counts-validate:
	@$(B)/plugin/validate.sh

# Part 3: the stock mm selftests (built static from a worktree of the
# series branch) in QEMU with vm.speculative_page_fault on and off
# (docs/part3-selftests.md).  Not a gate; SPF_KERNEL=<bzImage>,
# SPF_SYSCTL, SPF_TESTS, SPF_TEST_TIMEOUT: see the script.
.PHONY: spf-selftests
spf-selftests: have-base
	@$(B)/mm-selftests.sh

# Not a gate: the hmm selftests on the KUnit x86_64 kernel, three boots.
.PHONY: vmemmap-hmm
vmemmap-hmm: have-base
	@$(B)/vmemmap-hmm.sh

# Not a gate: ext4 -o dax on memmap= pmem in QEMU, one debug kernel
# (configs/fsdax.config), one boot (docs/part4-fsdax.md).
.PHONY: vmemmap-fsdax
vmemmap-fsdax: have-base
	@$(B)/vmemmap-fsdax.sh

# Not a gate: dm-writecache in pmem mode on memmap= pmem with an NVMe
# origin, fio through it, in QEMU (docs/part1-writecache.md).
.PHONY: pageless-writecache
pageless-writecache: have-base
	@$(B)/pageless-writecache.sh
