# SPDX-License-Identifier: GPL-2.0
#
# Pagewise workbench: the patch series in patches/ + series against
# Linux 6.12, the kernel tree it is developed in, and the gates it passes.
# 'make help' lists the targets; README says how to use them.

WORKDIR ?= $(HOME)/.cache/pagewise
TOP := $(CURDIR)
export WORKDIR TOP KERNEL_SRC BASE_REF SUITE FORCE COVER SLOW BENCH_REF BOOTS RUNS \
	SPF_REF SPF_KCONFIG SPF_SCALE BUILD_ONLY

DEPS_STAMP := $(WORKDIR)/deps.stamp
S := $(TOP)/scripts

.PHONY: help deps base have-base apply export status sync kunit check quick-check \
	build-each cross docs b4 clean-work bench-vmalloc bench-mmap sizes

help:
	@echo 'make deps         install the Debian packages the workbench needs'
	@echo 'make base         create the base tree in $$WORKDIR/linux (tag base)'
	@echo 'make apply        branch series := base + patches (FORCE=1 drops unexported work)'
	@echo 'make export       patches/ + series := commits base..series'
	@echo 'make status       do branch and patches/ agree? (non-zero if not)'
	@echo 'make kunit        build and run every suite (ARCH=um|x86_64|x86_64-mm, SUITE=<glob>,'
	@echo '                  SLOW=1 adds the slow benchmark cases)'
	@echo 'make build-each   compile what each patch can affect (FULL=1: whole kernels)'
	@echo 'make cross        compile touched objects the KUnit configs skip (x86_64, i386, arm64, riscv, s390)'
	@echo 'make docs         htmldocs of the Documentation/ dirs the series touches'
	@echo 'make b4           b4 prep + send -o dry run (COVER=docs/<file>)'
	@echo 'make bench-vmalloc  test_vmalloc timings, base vs series, in QEMU (not in'
	@echo '                  check; BENCH_REF=<ref, default series>, BOOTS=<per kernel>)'
	@echo 'make bench-mmap   mmap timings of the slow scamem_mmap case (RUNS=<boots>)'
	@echo 'make sizes        pahole sizes of vm_struct/scamem: base, pre-order, series'
	@echo 'make bench-pfn    part 1: bio_vec sizes, code identity with BLK_PAGELESS=n and'
	@echo '                  bloat-o-meter, base vs series (PFN_REF=<ref>, PFN_FIX=<diff>)'
	@echo 'make bench-bio    part 1: bio_bench micro-benchmarks, base vs series, in QEMU'
	@echo '                  (RUNS=<boots per kernel>)'
	@echo 'make bench-vmemmap  part 4: memmap sizes, materialisation and memremap cost,'
	@echo '                  in QEMU (RUNS=<boots per -smp setting>)'
	@echo 'make bench-spf    part 3: page-fault benchmarks, base vs series with SPF off'
	@echo '                  and on, in QEMU (SPF_REF=<ref>, RUNS=<boots per kernel>,'
	@echo '                  BUILD_ONLY=1, SPF_KCONFIG=tiny)'
	@echo 'make quick-check  gates that need no kernel build'
	@echo 'make check        every gate; prints "N passed, N failed"'
	@echo 'WORKDIR=$(WORKDIR)  KERNEL_SRC=<your git tree>  BASE_REF=<ref, default HEAD>'

deps: $(DEPS_STAMP)
$(DEPS_STAMP): $(S)/deps.sh
	@$(S)/deps.sh
	@mkdir -p $(WORKDIR) && touch $@

base: deps
	@$(S)/base.sh

have-base: deps
	@$(S)/base.sh --quiet

apply: have-base
	@$(S)/series.sh apply

export: have-base
	@$(S)/series.sh export

status: have-base
	@$(S)/series.sh status

sync: have-base
	@$(S)/series.sh sync

kunit: sync
	@$(S)/kunit.sh

build-each: sync
	@$(S)/build-each.sh

cross: sync
	@$(S)/cross.sh

docs: sync
	@$(S)/docs.sh

b4: sync
	@$(S)/b4-dry-run.sh

# Not a gate: it measures.  BOOTS=10 takes about 8 minutes once both
# kernels are built (two full defconfig builds the first time).
bench-vmalloc: have-base
	@$(S)/bench-vmalloc.sh

bench-mmap: sync
	@$(S)/bench-mmap.sh

sizes: sync
	@$(S)/sizes.sh

# Not a gate: it measures.  Four defconfig vmlinux builds the first time.
.PHONY: bench-pfn
bench-pfn: sync
	@$(S)/bench-pfn.sh

# Not a gate: it measures.  Two x86_64 KUnit kernels without debug options.
.PHONY: bench-bio
bench-bio: sync
	@$(S)/bench-bio.sh

.PHONY: bench-vmemmap
bench-vmemmap: sync
	@$(S)/bench-vmemmap.sh

# Not a gate: it measures.  Two x86_64 kernels without debug options
# (base and SPF_REF), three kernels booted (the series one twice).
.PHONY: bench-spf
bench-spf: sync
	@$(S)/bench-spf.sh

quick-check: have-base
	@$(S)/check.sh quick

check: have-base
	@$(S)/check.sh

# ARCH must reach the scripts, but not as a make variable of ours.
ifdef ARCH
export ARCH
endif
