// SPDX-License-Identifier: GPL-2.0
/*
 * Counted vmalloc()/vfree() loops for scripts/bench/bench-vmalloc.sh,
 * built out of tree against both benchmark kernels (base and series),
 * loaded by the benchmark's /init under the pwcount TCG plugin
 * (docs/tcg-counts.md).
 *
 * For the i-th size of sizes= (in pages), region 2i+1 holds the vmalloc()
 * calls of that size and region 2i+2 the vfree() calls of those areas,
 * one pwcount operation per call: @rounds times @loops calls, the region
 * entered once per round (the plugin adds the rounds up), so that a rare
 * event (a timer tick, a worker) weighs on more calls.  The task stays
 * on its CPU (regions are per vCPU) and the lazily freed vmap areas are
 * purged before each region, so no region pays for another's purge.  By
 * default (loops=0) a round makes as many calls of a size as free
 * LOOP_PAGES pages with their guard pages, at most 256: 256 of 1 to 31
 * pages, 15 of 512 or 513.  That stays under the lazy purge threshold of 2 CPUs
 * (lazy_max_pages(), 32 MiB per fls(CPUs)), so no purge is queued inside
 * a region either.
 * Like lib/test_vmalloc.c the module fails its init on purpose
 * (-EAGAIN) so that it is unloaded again; any other error is real.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/preempt.h>

#include "pwcount.h"

#define MAX_SIZES	16
#define MAX_LOOPS	1024
/* Pages (guard pages included) vfree()d per round and size with loops=0. */
#define LOOP_PAGES	8192

static unsigned int sizes[MAX_SIZES] = { 1, 8, 32, 256, 511, 512, 513 };
static int nr_sizes = 7;
module_param_array(sizes, uint, &nr_sizes, 0444);
MODULE_PARM_DESC(sizes, "vmalloc sizes in pages, one region pair each");

static unsigned int loops;
module_param(loops, uint, 0444);
MODULE_PARM_DESC(loops, "calls per size and round (1-1024; default 0: by size)");

static unsigned int rounds = 8;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "rounds per size (1-64)");

static void **areas;

/* Calls per round for a size of @pages pages. */
static unsigned int nr_loops(unsigned int pages)
{
	if (loops)
		return loops;
	return clamp(LOOP_PAGES / (pages + 1), 1U, 256U);
}

/* A vmalloc() that failed; the vfree() loop still runs (vfree(NULL) is fine). */
static int check_areas(int i, unsigned int n)
{
	unsigned int j;

	for (j = 0; j < n; j++) {
		if (!areas[j]) {
			pr_err("sizes[%d]: vmalloc of %u pages failed\n", i, sizes[i]);
			return -ENOMEM;
		}
	}
	return 0;
}

/*
 * The region id is an immediate of the marker instruction, so there is
 * one function per size index: count_<i>() runs the vmalloc() loop as
 * region 2i+1 and the vfree() loop as region 2i+2.
 */
#define DEFINE_COUNT(i)							\
static int count_##i(void)						\
{									\
	unsigned long size = (unsigned long)sizes[i] << PAGE_SHIFT;	\
	unsigned int n = nr_loops(sizes[i]);				\
	unsigned int j, r;						\
	int ret = 0;							\
									\
	for (r = 0; r < rounds && !ret; r++) {				\
		vm_unmap_aliases();					\
		migrate_disable();					\
		PWCOUNT_START(2 * (i) + 1);				\
		for (j = 0; j < n; j++) {				\
			PWCOUNT_OP(2 * (i) + 1);			\
			areas[j] = vmalloc(size);			\
		}							\
		PWCOUNT_STOP(2 * (i) + 1);				\
		migrate_enable();					\
		ret = check_areas(i, n);				\
		vm_unmap_aliases();					\
		migrate_disable();					\
		PWCOUNT_START(2 * (i) + 2);				\
		for (j = 0; j < n; j++) {				\
			PWCOUNT_OP(2 * (i) + 2);			\
			vfree(areas[j]);				\
		}							\
		PWCOUNT_STOP(2 * (i) + 2);				\
		migrate_enable();					\
	}								\
	return ret;							\
}

DEFINE_COUNT(0)
DEFINE_COUNT(1)
DEFINE_COUNT(2)
DEFINE_COUNT(3)
DEFINE_COUNT(4)
DEFINE_COUNT(5)
DEFINE_COUNT(6)
DEFINE_COUNT(7)
DEFINE_COUNT(8)
DEFINE_COUNT(9)
DEFINE_COUNT(10)
DEFINE_COUNT(11)
DEFINE_COUNT(12)
DEFINE_COUNT(13)
DEFINE_COUNT(14)
DEFINE_COUNT(15)

static int (*const count_fns[MAX_SIZES])(void) = {
	count_0, count_1, count_2, count_3, count_4, count_5, count_6,
	count_7, count_8, count_9, count_10, count_11, count_12, count_13,
	count_14, count_15,
};

static int __init bench_vmalloc_count_init(void)
{
	int i, ret = 0;

	if (loops > MAX_LOOPS) {
		pr_err("loops=%u: need 0-%d\n", loops, MAX_LOOPS);
		return -EINVAL;
	}
	if (!rounds || rounds > 64) {
		pr_err("rounds=%u: need 1-64\n", rounds);
		return -EINVAL;
	}
	for (i = 0; i < nr_sizes; i++) {
		if (!sizes[i] || sizes[i] >= LOOP_PAGES) {
			pr_err("sizes[%d]=%u: need 1-%d pages\n", i, sizes[i],
			       LOOP_PAGES - 1);
			return -EINVAL;
		}
	}
	areas = kcalloc(MAX_LOOPS, sizeof(*areas), GFP_KERNEL);
	if (!areas)
		return -ENOMEM;
	for (i = 0; i < nr_sizes && !ret; i++)
		ret = count_fns[i]();
	kfree(areas);
	if (ret)
		return ret;
	pr_info("counted %d sizes, %u rounds each\n", nr_sizes, rounds);
	return -EAGAIN;
}
module_init(bench_vmalloc_count_init);

MODULE_DESCRIPTION("Counted vmalloc()/vfree() loops for the pwcount plugin");
MODULE_LICENSE("GPL");
