// SPDX-License-Identifier: GPL-2.0
/*
 * Page-fault benchmarks for part 3 of the series (speculative page
 * faults), run by scripts/bench/bench-spf.sh as PID 1 of an initramfs in
 * QEMU.
 *
 * As /init it mounts devtmpfs, proc and sysfs, reads "spfbench=0|1",
 * "spfscale=<percent>", "spfonly=<benchmark prefixes, comma-separated>"
 * and "spfthp=never|always|mthp" from /proc/cmdline, writes the first
 * one to /proc/sys/vm/speculative_page_fault (which a kernel without
 * CONFIG_SPECULATIVE_PAGE_FAULT does not have), runs every benchmark
 * and powers off.  With -n it runs on the host instead: nothing is
 * mounted, the sysctl is left alone unless -S is given, and it exits.
 *
 * THP (bench-spf.sh SPF_THP): with spfthp=never (or none) every
 * benchmark vma is MADV_NOHUGEPAGE, as before.  With spfthp=always
 * (booted with transparent_hugepage=always: PMD-size THP) or
 * spfthp=mthp (it writes "always" to the hugepages-16kB and
 * hugepages-64kB enabled files; the PMD size stays at "inherit" of
 * transparent_hugepage=never) the vmas are left without the madvise, so
 * that their faults may allocate THPs or mTHPs.  The shmem vma of
 * shm_shared_t2 follows shmem_enabled, "never" in these kernels.
 *
 * The benchmarks (design section 5, sizes scaled down for TCG: 15-20 s
 * for all of them on a 6.12 kernel in QEMU TCG -smp 2 at spfscale=100,
 * the sizes below):
 *
 *   pft_single        pft_shared_t1 in the main thread, before any other
 *                     thread exists: a single-threaded mm, where the
 *                     series does not try speculatively
 *   pft_shared_t1/t2  one 64 MiB anonymous vma (MADV_NOHUGEPAGE),
 *                     touched once so that its anon_vma and PTE tables
 *                     exist; 1 or 2 threads write one byte per page of
 *                     disjoint, interleaved 2 MiB slices; MADV_DONTNEED
 *                     between the 16 rounds, in 1 MiB pieces so that the
 *                     page tables stay (PT_RECLAIM frees the PTE table of
 *                     a zap over a whole PMD range)
 *   pft_shared_tN     with N > 2 CPUs online (bench-spf.sh SPF_SMP=4|8):
 *                     the same with N threads, one per CPU
 *   pft_separate_t2   the same with one 32 MiB vma per thread, PROT_NONE
 *                     gaps between them so that they cannot merge
 *   shm_shared_t2     pft_shared_t2 on a MAP_SHARED anonymous (shmem) vma:
 *                     never speculative; write faults on pages that stay
 *                     in the shmem page cache
 *   page_fault1_t1/t2 each thread: mmap 32 MiB, touch every page, munmap;
 *                     32 times in all (PTE tables allocated and freed)
 *   mmap_munmap_t1    mmap + munmap of an untouched 128 MiB, 50000 times
 *   munmap_populated  munmap of a populated 128 MiB, 8 times (the RCU
 *                     page-table freeing of the series is in this path)
 *   wi_other_vma      one thread faults a 32 MiB vma A as pft_shared_t1
 *                     while another toggles a page-sized vma B between
 *                     RW and RWX with mprotect()
 *   wi_same_vma       the same, the other thread toggling all of vma A
 *
 * Before them, "signals" checks that bad accesses get the signal they get
 * on the base kernel: reads and writes of an unmapped page, of a PROT_NONE
 * page, writes to a PROT_READ page (untouched, holding the zero page, and
 * made read-only after a write).  Each prints
 *   spf: signal <case> <signal> <si_code> addr=ok|wrong
 * and bench-spf.sh compares these lines between the kernels.
 *
 * The fault loops of pft_single, pft_shared_t1/t2/tN, pft_separate_t2,
 * shm_shared_t2 and page_fault1_t2 are pwcount regions (enum region; one
 * op per page written), their threads pinned one per CPU: under the
 * pwcount TCG plugin (scripts/bench/plugin/) QEMU reports instructions
 * and cross-vCPU cache-line transfers per fault.  The markers are no-ops
 * otherwise.
 *
 * Output, one line each, all starting with "spf: ":
 *   spf: region <id> <name>
 *   spf: result <name> <value> <unit> [key=value...]
 *   spf: vmstat <name> pgfault=<delta> spf_...=<delta> vma_lock_...=<delta>
 *               nr_page_table_pages=<signed delta>
 *   spf: thp <name> thp_fault_alloc=<delta> thp_fault_fallback=<delta>
 *               thp_collapse_alloc=<delta> (khugepaged)
 *               thp_split_pmd=<delta> [anon_fault_alloc_<size>kB=<delta>
 *               anon_fault_fallback_<size>kB=<delta>...]
 *     (kernels with THP; the per-size mTHP counters of the sizes not
 *     "never" at the start, from hugepages-<size>kB/stats/)
 *   spf: done
 * and "spf: error <text>" when something fails.  All rates are higher
 * is better; times come from CLOCK_MONOTONIC.
 *
 * Build: gcc -static -O2 -pthread -Wall -o init bench-spf.c (the include
 * path of plugin/pwcount.h is relative to this file)
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "../gates/guest/guest.h"
#include "plugin/pwcount.h"

#define SYSCTL_PATH	"/proc/sys/vm/speculative_page_fault"
#define PAGE_SZ		4096UL
#define SLICE_SZ	(2UL << 20)
#define MiB		(1UL << 20)
#define MAX_THREADS	8	/* pft_shared_tN: one thread per vCPU, up to 8 */

static int as_init = 1;
static int scale = 100;		/* percent of the default work */
static int failures;
static int use_thp;		/* spfthp=always|mthp: no MADV_NOHUGEPAGE */

#define say(fmt, ...)	printf("spf: " fmt "\n", ##__VA_ARGS__)

static void error(const char *fmt, ...)
{
	va_list ap;

	printf("spf: error ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failures++;
}

static void finish(void)
{
	fflush(stdout);
	if (as_init) {
		sync();
		/*
		 * Without working ACPI the kernel halts instead of powering
		 * off and QEMU would wait for its timeout; a reset ends it
		 * as well, QEMU runs with -no-reboot.
		 */
		if (!access("/sys/firmware/acpi", F_OK)) {
			reboot(RB_POWER_OFF);
		} else {
			say("no ACPI: resetting instead of powering off");
			fflush(stdout);
			reboot(RB_AUTOBOOT);
		}
		/* PID 1 must not exit. */
		for (;;)
			pause();
	}
	exit(failures ? 1 : 0);
}

static void fatal(const char *what)
{
	error("%s: %s", what, strerror(errno));
	finish();
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Work counts scaled by spfscale=, never below 1. */
static unsigned long scaled(unsigned long n)
{
	n = n * scale / 100;
	return n ? n : 1;
}

/* ------------------------------------------------------------------ */
/* /proc/vmstat */

#define MAX_KEYS	64
#define THP_DIR		"/sys/kernel/mm/transparent_hugepage"
#define MAX_SIZES	16

struct vmsnap {
	int nr;
	char name[MAX_KEYS][64];
	unsigned long long val[MAX_KEYS];
	char thp[MAX_KEYS];	/* printed on the "spf: thp" line */
};

/* The hugepages-<size>kB dirs not "never" at the start (thp_setup()). */
static int thp_present, nr_sizes;
static char thp_size[MAX_SIZES][16];	/* "64kB" */

static int interesting(const char *name)
{
	return !strcmp(name, "pgfault") || !strncmp(name, "spf_", 4) ||
	       !strncmp(name, "vma_lock_", 9) ||
	       !strcmp(name, "nr_page_table_pages");
}

static int thp_counter(const char *name)
{
	return thp_present && (!strcmp(name, "thp_fault_alloc") ||
			       !strcmp(name, "thp_fault_fallback") ||
			       !strcmp(name, "thp_collapse_alloc") ||
			       !strcmp(name, "thp_split_pmd"));
}

static void snap_add(struct vmsnap *s, const char *name,
		     unsigned long long val, int thp)
{
	if (s->nr == MAX_KEYS)
		return;
	snprintf(s->name[s->nr], sizeof(s->name[0]), "%s", name);
	s->thp[s->nr] = thp;
	s->val[s->nr++] = val;
}

/* hugepages-<size>/stats/<stat> as "<stat>_<size>" */
static void mthp_read(struct vmsnap *s, const char *size, const char *stat)
{
	char path[128], name[64];
	unsigned long long val;
	FILE *f;

	snprintf(path, sizeof(path), THP_DIR "/hugepages-%s/stats/%s",
		 size, stat);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%llu", &val) != 1) {
		error("read %s: %s", path, f ? "no number" : strerror(errno));
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	snprintf(name, sizeof(name), "%s_%s", stat, size);
	snap_add(s, name, val, 1);
}

static void vmstat_read(struct vmsnap *s)
{
	char name[64];
	unsigned long long val;
	FILE *f = fopen("/proc/vmstat", "r");
	int i;

	s->nr = 0;
	if (!f) {
		error("open /proc/vmstat: %s", strerror(errno));
		return;
	}
	while (fscanf(f, "%63s %llu", name, &val) == 2) {
		if (interesting(name))
			snap_add(s, name, val, 0);
		else if (thp_counter(name))
			snap_add(s, name, val, 1);
	}
	fclose(f);
	for (i = 0; i < nr_sizes; i++) {
		mthp_read(s, thp_size[i], "anon_fault_alloc");
		mthp_read(s, thp_size[i], "anon_fault_fallback");
	}
}

static void vmstat_print(const char *bench, const struct vmsnap *a,
			 const struct vmsnap *b)
{
	int i;

	printf("spf: vmstat %s", bench);
	for (i = 0; i < a->nr && i < b->nr; i++)
		if (!b->thp[i])
			printf(" %s=%lld", b->name[i],
			       (long long)(b->val[i] - a->val[i]));
	printf("\n");
	if (!thp_present)
		return;
	printf("spf: thp %s", bench);
	for (i = 0; i < a->nr && i < b->nr; i++)
		if (b->thp[i])
			printf(" %s=%lld", b->name[i],
			       (long long)(b->val[i] - a->val[i]));
	printf("\n");
}

/* ------------------------------------------------------------------ */
/* Memory helpers */

/* MADV_NOHUGEPAGE, unless spfthp=always|mthp asked for THPs */
static void nohuge(void *p, size_t len)
{
	if (use_thp)
		return;
	if (madvise(p, len, MADV_NOHUGEPAGE) && errno != EINVAL)
		fatal("madvise(MADV_NOHUGEPAGE)");
}

/* A private anonymous mapping of len bytes, 2 MiB aligned. */
static char *map_aligned(size_t len, int prot)
{
	char *p, *q;
	size_t extra = SLICE_SZ;

	p = mmap(NULL, len + extra, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fatal("mmap");
	q = (char *)(((uintptr_t)p + SLICE_SZ - 1) & ~(SLICE_SZ - 1));
	if (q > p)
		munmap(p, q - p);
	if (q + len < p + len + extra)
		munmap(q + len, p + len + extra - (q + len));
	return q;
}

/*
 * nr vmas of len bytes each (a multiple of 2 MiB), separated by 2 MiB
 * PROT_NONE gaps; the first one at *base.  Returns the reservation.
 */
static char *map_separate(int nr, size_t len, char **vma)
{
	size_t stride = len + SLICE_SZ;
	char *res = map_aligned(nr * stride + SLICE_SZ, PROT_NONE);
	int i;

	for (i = 0; i < nr; i++) {
		vma[i] = res + SLICE_SZ + i * stride;
		if (mprotect(vma[i], len, PROT_READ | PROT_WRITE))
			fatal("mprotect");
		nohuge(vma[i], len);
	}
	return res;
}

static void touch(char *p, size_t len)
{
	size_t off;

	for (off = 0; off < len; off += PAGE_SZ)
		((volatile char *)p)[off] = 1;
}

/*
 * MADV_DONTNEED in 1 MiB pieces: since 6.14 (PT_RECLAIM) a zap that
 * covers a whole PMD range frees the emptied PTE table, and the next
 * round would measure table allocation instead of the faults on an
 * existing table.  A piece below 2 MiB never covers a PMD range.
 */
#define DONTNEED_PIECE	(1UL << 20)

static void dontneed(char *p, size_t len)
{
	size_t off, n;

	for (off = 0; off < len; off += n) {
		n = len - off < DONTNEED_PIECE ? len - off : DONTNEED_PIECE;
		if (madvise(p + off, n, MADV_DONTNEED))
			fatal("madvise(MADV_DONTNEED)");
	}
}

/* ------------------------------------------------------------------ */
/*
 * pwcount regions (scripts/bench/plugin/pwcount.h): each fault loop is
 * a region, one op per page written (one fault each), so that the
 * plugin, when QEMU loads it, reports instructions and cache-line
 * transfers per fault.  Without the plugin the markers are no-ops.
 * Each benchmark prints "spf: region <id> <name>" first.
 */
enum region {
	RG_NONE,
	RG_PFT_SINGLE,
	RG_PFT_SHARED_T1,
	RG_PFT_SHARED_T2,
	RG_PFT_SEPARATE_T2,
	RG_SHM_SHARED_T2,
	RG_PAGE_FAULT1_T2,
	RG_PFT_SHARED_TN,	/* pft_shared_t<N>, N = the CPUs online, > 2 */
};

/* Keep the calling thread on cpu (regions are per vCPU). */
static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fatal("sched_setaffinity");
}

static void unpin(void)
{
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	for (i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fatal("sched_setaffinity");
}

/*
 * touch() as a region: one write per page, each a fault.  The region id
 * is an immediate of the marker instruction, hence the switch.
 */
#define TOUCH_REGION(id, p, len)					\
	do {								\
		size_t off_;						\
		PWCOUNT_START(id);					\
		for (off_ = 0; off_ < (len); off_ += PAGE_SZ) {	\
			PWCOUNT_OP(id);					\
			((volatile char *)(p))[off_] = 1;		\
		}							\
		PWCOUNT_STOP(id);					\
	} while (0)

static void touch_counted(char *p, size_t len, enum region rg)
{
	switch (rg) {
	case RG_PFT_SINGLE:
		TOUCH_REGION(RG_PFT_SINGLE, p, len);
		break;
	case RG_PFT_SHARED_T1:
		TOUCH_REGION(RG_PFT_SHARED_T1, p, len);
		break;
	case RG_PFT_SHARED_T2:
		TOUCH_REGION(RG_PFT_SHARED_T2, p, len);
		break;
	case RG_PFT_SEPARATE_T2:
		TOUCH_REGION(RG_PFT_SEPARATE_T2, p, len);
		break;
	case RG_SHM_SHARED_T2:
		TOUCH_REGION(RG_SHM_SHARED_T2, p, len);
		break;
	case RG_PAGE_FAULT1_T2:
		TOUCH_REGION(RG_PAGE_FAULT1_T2, p, len);
		break;
	case RG_PFT_SHARED_TN:
		TOUCH_REGION(RG_PFT_SHARED_TN, p, len);
		break;
	default:
		touch(p, len);
	}
}

static void region_name(enum region rg, const char *name)
{
	say("region %d %s", rg, name);
}

/* ------------------------------------------------------------------ */
/* Threads: a round starts and ends on a barrier with the main thread. */

enum job { JOB_SLICES, JOB_WHOLE, JOB_PF1, JOB_MMAP, JOB_EXIT };

struct worker {
	pthread_t tid;
	int id;
	int nr;			/* threads in the round */
	enum job job;
	char *base;		/* JOB_SLICES: shared area; JOB_WHOLE: own vma */
	size_t len;
	unsigned long iters;	/* JOB_PF1, JOB_MMAP */
	enum region region;	/* of its fault loop, or RG_NONE */
	double t_start, t_end;	/* of its part of the last round */
};

static pthread_barrier_t bar_start, bar_end;
static struct worker workers[MAX_THREADS];

/* Thread id touches slices id, id + nr, id + 2 nr, ... of base. */
static void do_slices(struct worker *w)
{
	size_t off;

	for (off = w->id * SLICE_SZ; off < w->len; off += w->nr * SLICE_SZ)
		touch_counted(w->base + off, SLICE_SZ, w->region);
}

/* mmap, (touch every page,) munmap, w->iters times */
static void map_loop(struct worker *w, int populate)
{
	unsigned long i;
	char *p;

	for (i = 0; i < w->iters; i++) {
		p = mmap(NULL, w->len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			fatal("mmap");
		if (populate) {
			nohuge(p, w->len);
			touch_counted(p, w->len, w->region);
		}
		if (munmap(p, w->len))
			fatal("munmap");
	}
}

static void do_pf1(struct worker *w)
{
	map_loop(w, 1);
}

static void do_mmap(struct worker *w)
{
	map_loop(w, 0);
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	/* One thread per CPU: each region stays on one vCPU. */
	pin(ncpu > 0 ? w->id % ncpu : 0);
	for (;;) {
		pthread_barrier_wait(&bar_start);
		w->t_start = now();
		switch (w->job) {
		case JOB_SLICES:
			do_slices(w);
			break;
		case JOB_WHOLE:
			touch_counted(w->base, w->len, w->region);
			break;
		case JOB_PF1:
			do_pf1(w);
			break;
		case JOB_MMAP:
			do_mmap(w);
			break;
		case JOB_EXIT:
			return NULL;
		}
		w->t_end = now();
		pthread_barrier_wait(&bar_end);
	}
}

static int nr_started;

static void start_workers(int nr)
{
	int i;

	if (pthread_barrier_init(&bar_start, NULL, nr + 1) ||
	    pthread_barrier_init(&bar_end, NULL, nr + 1))
		fatal("pthread_barrier_init");
	for (i = 0; i < nr; i++) {
		workers[i].id = i;
		workers[i].nr = nr;
		workers[i].region = RG_NONE;
		errno = pthread_create(&workers[i].tid, NULL, worker_fn,
				       &workers[i]);
		if (errno)
			fatal("pthread_create");
	}
	nr_started = nr;
}

static void stop_workers(void)
{
	int i;

	for (i = 0; i < nr_started; i++)
		workers[i].job = JOB_EXIT;
	pthread_barrier_wait(&bar_start);
	for (i = 0; i < nr_started; i++)
		pthread_join(workers[i].tid, NULL);
	pthread_barrier_destroy(&bar_start);
	pthread_barrier_destroy(&bar_end);
	nr_started = 0;
}

/*
 * One round of the jobs already set up; returns its duration, from the
 * first worker starting to the last one finishing (the workers time
 * themselves: the main thread may be preempted at the barriers).
 */
static double round_once(void)
{
	double t0, t1;
	int i;

	pthread_barrier_wait(&bar_start);
	pthread_barrier_wait(&bar_end);
	t0 = workers[0].t_start;
	t1 = workers[0].t_end;
	for (i = 1; i < nr_started; i++) {
		if (workers[i].t_start < t0)
			t0 = workers[i].t_start;
		if (workers[i].t_end > t1)
			t1 = workers[i].t_end;
	}
	return t1 - t0;
}

/* ------------------------------------------------------------------ */
/* The benchmarks */

static size_t pft_len(void)
{
	/* 64 MiB: 16384 faults a round */
	return 64 * MiB;
}

static unsigned long pft_rounds(void)
{
	return scaled(16);
}

static void result_rate(const char *name, double count, double secs,
			const char *unit)
{
	say("result %s %.0f %s count=%.0f secs=%.3f", name,
	    secs > 0 ? count / secs : 0, unit, count, secs);
}

/* The region of pft_shared_t<nr>: one id for every nr > 2. */
static enum region pft_shared_region(int nr)
{
	return nr == 1 ? RG_PFT_SHARED_T1 : nr == 2 ? RG_PFT_SHARED_T2 :
	       RG_PFT_SHARED_TN;
}

static void pft_shared(int nr)
{
	size_t len = pft_len();
	unsigned long r, rounds = pft_rounds();
	struct vmsnap a, b;
	char name[32];
	double secs = 0;
	char *p;
	int i;

	snprintf(name, sizeof(name), "pft_shared_t%d", nr);
	if (nr > MAX_THREADS || nr > sysconf(_SC_NPROCESSORS_ONLN)) {
		error("%s: %d threads, but %d at most and %ld CPUs online",
		      name, nr, MAX_THREADS, sysconf(_SC_NPROCESSORS_ONLN));
		return;
	}
	p = map_aligned(len, PROT_READ | PROT_WRITE);
	nohuge(p, len);
	touch(p, len);		/* anon_vma and page tables */
	dontneed(p, len);
	start_workers(nr);
	region_name(pft_shared_region(nr), name);
	for (i = 0; i < nr; i++) {
		workers[i].job = JOB_SLICES;
		workers[i].base = p;
		workers[i].len = len;
		workers[i].region = pft_shared_region(nr);
	}
	vmstat_read(&a);
	for (r = 0; r < rounds; r++) {
		secs += round_once();
		dontneed(p, len);
	}
	vmstat_read(&b);
	stop_workers();
	munmap(p, len);
	result_rate(name, (double)rounds * (len / PAGE_SZ), secs, "faults/s");
	vmstat_print(name, &a, &b);
}

/*
 * pft_single: pft_shared_t1 in the main thread of a process that has no
 * other thread (mm_users 1): the series does not try speculatively there
 * (nothing to gain without another thread), so this is an ineligible
 * first-touch fault.  Run before any thread was created.
 */
static void pft_single(void)
{
	size_t len = pft_len();
	unsigned long r, rounds = pft_rounds();
	struct vmsnap a, b;
	double t0, secs = 0;
	char *p;

	region_name(RG_PFT_SINGLE, "pft_single");
	pin(0);
	p = map_aligned(len, PROT_READ | PROT_WRITE);
	nohuge(p, len);
	touch(p, len);
	dontneed(p, len);
	vmstat_read(&a);
	for (r = 0; r < rounds; r++) {
		t0 = now();
		touch_counted(p, len, RG_PFT_SINGLE);
		secs += now() - t0;
		dontneed(p, len);
	}
	vmstat_read(&b);
	unpin();
	munmap(p, len);
	result_rate("pft_single", (double)rounds * (len / PAGE_SZ), secs,
		    "faults/s");
	vmstat_print("pft_single", &a, &b);
}

/*
 * shm_shared_t2: pft_shared_t2 on a MAP_SHARED anonymous (shmem) vma,
 * which is never speculative: write faults on pages that stay in the
 * shmem page cache (touched once before, only the PTEs are zapped
 * between rounds), under the per-VMA lock on every kernel.
 */
static void shm_shared(int nr)
{
	size_t len = pft_len();
	unsigned long r, rounds = pft_rounds();
	struct vmsnap a, b;
	char name[32];
	double secs = 0;
	char *p;
	int i;

	snprintf(name, sizeof(name), "shm_shared_t%d", nr);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fatal("mmap(MAP_SHARED | MAP_ANONYMOUS)");
	nohuge(p, len);
	touch(p, len);		/* shmem pages and page tables */
	dontneed(p, len);
	start_workers(nr);
	if (nr == 2)
		region_name(RG_SHM_SHARED_T2, name);
	for (i = 0; i < nr; i++) {
		workers[i].job = JOB_SLICES;
		workers[i].base = p;
		workers[i].len = len;
		workers[i].region = nr == 2 ? RG_SHM_SHARED_T2 : RG_NONE;
	}
	vmstat_read(&a);
	for (r = 0; r < rounds; r++) {
		secs += round_once();
		dontneed(p, len);
	}
	vmstat_read(&b);
	stop_workers();
	munmap(p, len);
	result_rate(name, (double)rounds * (len / PAGE_SZ), secs, "faults/s");
	vmstat_print(name, &a, &b);
}

static void pft_separate(int nr)
{
	size_t len = pft_len() / nr;
	unsigned long r, rounds = pft_rounds();
	char *vma[MAX_THREADS], *res;
	struct vmsnap a, b;
	char name[32];
	double secs = 0;
	int i;

	snprintf(name, sizeof(name), "pft_separate_t%d", nr);
	res = map_separate(nr, len, vma);
	for (i = 0; i < nr; i++) {
		touch(vma[i], len);
		dontneed(vma[i], len);
	}
	start_workers(nr);
	if (nr == 2)
		region_name(RG_PFT_SEPARATE_T2, name);
	for (i = 0; i < nr; i++) {
		workers[i].job = JOB_WHOLE;
		workers[i].base = vma[i];
		workers[i].len = len;
		workers[i].region = nr == 2 ? RG_PFT_SEPARATE_T2 : RG_NONE;
	}
	vmstat_read(&a);
	for (r = 0; r < rounds; r++) {
		secs += round_once();
		for (i = 0; i < nr; i++)
			dontneed(vma[i], len);
	}
	vmstat_read(&b);
	stop_workers();
	munmap(res, nr * (len + SLICE_SZ) + SLICE_SZ);
	result_rate(name, (double)rounds * nr * (len / PAGE_SZ), secs,
		    "faults/s");
	vmstat_print(name, &a, &b);
}

static void page_fault1(int nr)
{
	size_t len = 32 * MiB;
	unsigned long iters = scaled(32 / nr);
	struct vmsnap a, b;
	char name[32];
	double secs;
	int i;

	snprintf(name, sizeof(name), "page_fault1_t%d", nr);
	start_workers(nr);
	if (nr == 2)
		region_name(RG_PAGE_FAULT1_T2, name);
	for (i = 0; i < nr; i++) {
		workers[i].job = JOB_PF1;
		workers[i].len = len;
		workers[i].iters = iters;
		workers[i].region = nr == 2 ? RG_PAGE_FAULT1_T2 : RG_NONE;
	}
	vmstat_read(&a);
	secs = round_once();
	vmstat_read(&b);
	stop_workers();
	result_rate(name, (double)nr * iters * (len / PAGE_SZ), secs,
		    "faults/s");
	vmstat_print(name, &a, &b);
}

static void mmap_munmap(int nr)
{
	unsigned long iters = scaled(50000 / nr);
	struct vmsnap a, b;
	char name[32];
	double secs;
	int i;

	snprintf(name, sizeof(name), "mmap_munmap_t%d", nr);
	start_workers(nr);
	for (i = 0; i < nr; i++) {
		workers[i].job = JOB_MMAP;
		workers[i].len = 128 * MiB;
		workers[i].iters = iters;
	}
	vmstat_read(&a);
	secs = round_once();
	vmstat_read(&b);
	stop_workers();
	result_rate(name, (double)nr * iters, secs, "ops/s");
	vmstat_print(name, &a, &b);
}

static void munmap_populated(void)
{
	size_t len = 128 * MiB;
	unsigned long r, rounds = scaled(8);
	struct vmsnap a, b;
	double t0, secs = 0;
	char *p;

	vmstat_read(&a);
	for (r = 0; r < rounds; r++) {
		p = map_aligned(len, PROT_READ | PROT_WRITE);
		nohuge(p, len);
		touch(p, len);
		t0 = now();
		if (munmap(p, len))
			fatal("munmap");
		secs += now() - t0;
	}
	vmstat_read(&b);
	result_rate("munmap_populated", (double)rounds * len / MiB, secs,
		    "MiB/s");
	vmstat_print("munmap_populated", &a, &b);
}

/* writer_interference: a thread toggling the protection of a vma. */
static volatile int writer_stop;
static unsigned long writer_ops;

struct writer_arg {
	char *addr;
	size_t len;
};

static void *writer_fn(void *arg)
{
	struct writer_arg *wa = arg;
	int rw = PROT_READ | PROT_WRITE;

	while (!writer_stop) {
		/* RW <-> RWX: changes vm_flags, never faults the reader */
		if (mprotect(wa->addr, wa->len, rw | PROT_EXEC) ||
		    mprotect(wa->addr, wa->len, rw)) {
			error("mprotect: %s", strerror(errno));
			break;
		}
		writer_ops += 2;
	}
	return NULL;
}

static void writer_interference(int same)
{
	const char *name = same ? "wi_same_vma" : "wi_other_vma";
	size_t len = pft_len() / 2;
	unsigned long r, rounds = pft_rounds();
	char *vma[2], *res;
	struct writer_arg wa;
	struct vmsnap a, b;
	pthread_t wtid;
	double secs = 0, t0, wsecs;
	char wname[40];

	/* vma[0] is A, vma[1] is B: PROT_NONE gaps keep them apart */
	res = map_separate(2, len, vma);
	touch(vma[0], len);
	dontneed(vma[0], len);
	start_workers(1);
	workers[0].job = JOB_WHOLE;
	workers[0].base = vma[0];
	workers[0].len = len;
	wa.addr = same ? vma[0] : vma[1];
	wa.len = same ? len : PAGE_SZ;
	writer_stop = 0;
	writer_ops = 0;
	vmstat_read(&a);
	t0 = now();
	errno = pthread_create(&wtid, NULL, writer_fn, &wa);
	if (errno)
		fatal("pthread_create");
	for (r = 0; r < rounds; r++) {
		secs += round_once();
		dontneed(vma[0], len);
	}
	writer_stop = 1;
	pthread_join(wtid, NULL);
	wsecs = now() - t0;
	vmstat_read(&b);
	stop_workers();
	munmap(res, 2 * (len + SLICE_SZ) + SLICE_SZ);
	result_rate(name, (double)rounds * (len / PAGE_SZ), secs, "faults/s");
	snprintf(wname, sizeof(wname), "%s_mprotect", name);
	result_rate(wname, writer_ops, wsecs, "ops/s");
	vmstat_print(name, &a, &b);
}

/* ------------------------------------------------------------------ */
/* Bad accesses: the signal must not depend on the kernel */

static sigjmp_buf sig_env;
static volatile sig_atomic_t sig_no, sig_code;
static void *volatile sig_addr;

static void sig_catch(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	sig_no = sig;
	sig_code = si->si_code;
	sig_addr = si->si_addr;
	siglongjmp(sig_env, 1);
}

enum sig_prep { SIG_UNMAPPED, SIG_NONE, SIG_RO, SIG_RO_READ, SIG_RW_TO_RO };

struct sig_case {
	const char *name;
	enum sig_prep prep;
	int write;
};

static const struct sig_case sig_cases[] = {
	{ "unmapped_read", SIG_UNMAPPED, 0 },
	{ "unmapped_write", SIG_UNMAPPED, 1 },
	{ "prot_none_read", SIG_NONE, 0 },
	{ "prot_none_write", SIG_NONE, 1 },
	{ "readonly_write_untouched", SIG_RO, 1 },
	{ "readonly_write_zero_page", SIG_RO_READ, 1 },
	{ "mprotect_readonly_write", SIG_RW_TO_RO, 1 },
};

static const char *sig_name(int sig)
{
	return sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" :
	       sig == 0 ? "none" : "other";
}

static const char *sig_code_name(int sig, int code)
{
	if (sig != SIGSEGV)
		return "-";
	return code == SEGV_MAPERR ? "SEGV_MAPERR" :
	       code == SEGV_ACCERR ? "SEGV_ACCERR" :
	       code == SEGV_PKUERR ? "SEGV_PKUERR" : "other";
}

/* One bad access on a fresh private anonymous page prepared as asked. */
static void sig_one(const struct sig_case *c)
{
	volatile char *p;
	char *m;

	m = mmap(NULL, PAGE_SZ, c->prep == SIG_NONE ? PROT_NONE :
		 c->prep == SIG_RO || c->prep == SIG_RO_READ ? PROT_READ :
		 PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		error("signals %s: mmap: %s", c->name, strerror(errno));
		return;
	}
	p = m;
	if (c->prep == SIG_RO_READ)
		(void)*p;
	if (c->prep == SIG_RW_TO_RO) {
		*p = 1;
		if (mprotect(m, PAGE_SZ, PROT_READ))
			error("signals %s: mprotect: %s", c->name,
			      strerror(errno));
	}
	if (c->prep == SIG_UNMAPPED)
		munmap(m, PAGE_SZ);

	sig_no = 0;
	sig_code = 0;
	sig_addr = NULL;
	if (!sigsetjmp(sig_env, 1)) {
		if (c->write)
			*p = 2;
		else
			(void)*p;
	}
	say("signal %s %s %s addr=%s", c->name, sig_name(sig_no),
	    sig_code_name(sig_no, sig_code),
	    sig_addr == (void *)p ? "ok" : "wrong");
	if (c->prep != SIG_UNMAPPED)
		munmap(m, PAGE_SZ);
}

static void signals(void)
{
	struct sigaction sa, old_segv, old_bus;
	struct vmsnap a, b;
	unsigned int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sig_catch;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &old_segv) ||
	    sigaction(SIGBUS, &sa, &old_bus)) {
		error("signals: sigaction: %s", strerror(errno));
		return;
	}
	vmstat_read(&a);
	for (i = 0; i < sizeof(sig_cases) / sizeof(sig_cases[0]); i++)
		sig_one(&sig_cases[i]);
	vmstat_read(&b);
	vmstat_print("signals", &a, &b);
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
}

/* ------------------------------------------------------------------ */
/* Setup */

static void setup_init(void)
{
	int fd;

	guest_console();
	if (mount("proc", "/proc", "proc", 0, NULL))
		error("mount /proc: %s", strerror(errno));
	if (mount("sysfs", "/sys", "sysfs", 0, NULL))
		error("mount /sys: %s", strerror(errno));
	/*
	 * A fault signal to PID 1 counts as unhandled even with a handler
	 * (unhandled_signal()), so the kernel prints "init[1]: segfault
	 * at ..." at KERN_EMERG for every case of "signals", into the
	 * middle of our next line on the console.  Quiet it.
	 */
	fd = open("/proc/sys/debug/exception-trace", O_WRONLY);
	if (fd < 0 || write(fd, "0", 1) != 1)
		error("debug.exception-trace=0: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* Value of "key=" on the kernel command line, or NULL. */
static char *cmdline_arg(const char *key, char *buf, size_t size)
{
	char line[4096], *tok, *save;
	size_t klen = strlen(key);
	FILE *f = fopen("/proc/cmdline", "r");

	if (!f)
		return NULL;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	for (tok = strtok_r(line, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save)) {
		if (!strncmp(tok, key, klen) && tok[klen] == '=') {
			snprintf(buf, size, "%s", tok + klen + 1);
			return buf;
		}
	}
	return NULL;
}

static void print_file(const char *label, const char *path)
{
	char line[256];
	FILE *f = fopen(path, "r");

	if (!f || !fgets(line, sizeof(line), f)) {
		say("%s (none)", label);
	} else {
		line[strcspn(line, "\n")] = 0;
		say("%s %s", label, line);
	}
	if (f)
		fclose(f);
}

/* want: "0", "1" or NULL (leave it) */
static void set_sysctl(const char *want)
{
	char buf[16];
	int fd;
	ssize_t n;

	if (access(SYSCTL_PATH, F_OK)) {
		say("sysctl vm.speculative_page_fault=absent");
		if (want && strcmp(want, "0"))
			error("%s=%s asked for, but this kernel has no such file",
			      SYSCTL_PATH, want);
		return;
	}
	if (want) {
		fd = open(SYSCTL_PATH, O_WRONLY);
		if (fd < 0 || write(fd, want, strlen(want)) < 0)
			error("write %s: %s", SYSCTL_PATH, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	fd = open(SYSCTL_PATH, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		error("read %s: %s", SYSCTL_PATH, strerror(errno));
		return;
	}
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	say("sysctl vm.speculative_page_fault=%s", buf);
	if (want && strcmp(buf, want))
		error("%s is %s, not %s", SYSCTL_PATH, buf, want);
}

/* Write val to THP_DIR/file and check that it reads back as [val]. */
static void thp_write(const char *file, const char *val)
{
	char path[128], line[256], want[32];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), THP_DIR "/%s", file);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, val, strlen(val)) < 0)
		error("write %s to %s: %s", val, path, strerror(errno));
	if (fd >= 0)
		close(fd);
	snprintf(want, sizeof(want), "[%s]", val);
	f = fopen(path, "r");
	if (!f || !fgets(line, sizeof(line), f) || !strstr(line, want))
		error("%s is not %s", path, want);
	if (f)
		fclose(f);
}

/* "[never]" etc.: the selected word of a THP enabled file, or "" */
static void thp_mode(const char *path, char *buf, size_t size)
{
	char line[256], *l, *r;
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (!f)
		return;
	if (fgets(line, sizeof(line), f) && (l = strchr(line, '[')) &&
	    (r = strchr(l, ']'))) {
		*r = 0;
		snprintf(buf, size, "%s", l + 1);
	}
	fclose(f);
}

/*
 * spfthp=never|always|mthp: check the PMD setting of the command line,
 * enable the mTHP sizes for mthp, print every size's setting and note
 * the sizes whose counters the "spf: thp" lines give.
 */
static void thp_setup(const char *mode)
{
	char top[32], m[32], path[320], *sz;
	struct dirent *d;
	DIR *dir;

	if (access(THP_DIR, F_OK)) {
		say("thp (no %s)", THP_DIR);
		if (mode && strcmp(mode, "never"))
			error("spfthp=%s, but this kernel has no THP", mode);
		return;
	}
	thp_present = 1;
	if (!mode)
		mode = "never";
	thp_mode(THP_DIR "/enabled", top, sizeof(top));
	if (!strcmp(mode, "always")) {
		if (strcmp(top, "always"))
			error("spfthp=always, but THP enabled is [%s]", top);
	} else if (!strcmp(mode, "mthp")) {
		if (access(THP_DIR "/hugepages-64kB/enabled", F_OK) ||
		    access(THP_DIR "/hugepages-16kB/enabled", F_OK)) {
			error("spfthp=mthp, but no %s/hugepages-{16,64}kB",
			      THP_DIR);
			return;
		}
		thp_write("hugepages-16kB/enabled", "always");
		thp_write("hugepages-64kB/enabled", "always");
	} else if (strcmp(mode, "never")) {
		error("spfthp=%s: never, always or mthp", mode);
		return;
	}
	use_thp = strcmp(mode, "never") != 0;
	say("thp_mode %s, MADV_NOHUGEPAGE %s", mode, use_thp ? "off" : "on");
	dir = opendir(THP_DIR);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, "hugepages-", 10))
			continue;
		sz = d->d_name + 10;
		snprintf(path, sizeof(path), THP_DIR "/%s/enabled", d->d_name);
		thp_mode(path, m, sizeof(m));
		say("thp_size %s %s", sz, m[0] ? m : "(none)");
		/* counted: always, madvise, or inherit of always|madvise */
		if (!strcmp(m, "inherit"))
			snprintf(m, sizeof(m), "%s", top);
		if (strcmp(m, "always") && strcmp(m, "madvise"))
			continue;
		if (nr_sizes < MAX_SIZES)
			snprintf(thp_size[nr_sizes++], sizeof(thp_size[0]),
				 "%s", sz);
	}
	closedir(dir);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench-spf [-n] [-S 0|1] [-s percent] [-b list] [-T mode]\n"
		"  -n          not PID 1: no mounts, no power off (host test)\n"
		"  -S 0|1      write vm.speculative_page_fault first\n"
		"  -s percent  work per benchmark (default 100)\n"
		"  -b list     benchmarks to run, comma-separated prefixes\n"
		"  -T mode     THP: never (MADV_NOHUGEPAGE, the default), always\n"
		"              (as set) or mthp (enables 16kB and 64kB)\n");
	exit(2);
}

static const char *only;

static int want(const char *name)
{
	char buf[256], *tok, *save;

	if (!only)
		return 1;
	snprintf(buf, sizeof(buf), "%s", only);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (!strncmp(name, tok, strlen(tok)))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *sysctl_want = NULL, *thp_want = NULL;
	char want_buf[16], scale_buf[16], thp_buf[16];
	static char only_buf[256];
	struct utsname u;
	double t0 = now();
	char name[32];
	int opt, ncpu;

	as_init = getpid() == 1;
	while ((opt = getopt(argc, argv, "nS:s:b:T:")) != -1) {
		switch (opt) {
		case 'n':
			as_init = 0;
			break;
		case 'S':
			sysctl_want = optarg;
			break;
		case 's':
			scale = atoi(optarg);
			break;
		case 'b':
			only = optarg;
			break;
		case 'T':
			thp_want = optarg;
			break;
		default:
			usage();
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (as_init) {
		setup_init();
		sysctl_want = cmdline_arg("spfbench", want_buf,
					  sizeof(want_buf));
		if (cmdline_arg("spfscale", scale_buf, sizeof(scale_buf)))
			scale = atoi(scale_buf);
		if (cmdline_arg("spfonly", only_buf, sizeof(only_buf)))
			only = only_buf;
		thp_want = cmdline_arg("spfthp", thp_buf, sizeof(thp_buf));
	}
	if (scale <= 0)
		scale = 100;
	if (sysctl_want && strcmp(sysctl_want, "0") && strcmp(sysctl_want, "1")) {
		error("spfbench=%s: 0 or 1", sysctl_want);
		sysctl_want = NULL;
	}
	uname(&u);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	say("kernel %s %s", u.release, u.version);
	say("cpus %d, scale %d%%", ncpu, scale);
	print_file("thp", THP_DIR "/enabled");
	thp_setup(thp_want);
	print_file("clocksource",
		   "/sys/devices/system/clocksource/clocksource0/current_clocksource");
	set_sysctl(sysctl_want);
	if (failures)
		finish();	/* wrong setup: nothing worth measuring */

	if (want("signals"))
		signals();
	if (want("pft_single"))
		pft_single();
	if (want("pft_shared_t1"))
		pft_shared(1);
	if (want("pft_shared_t2"))
		pft_shared(2);
	/* With more than 2 vCPUs (bench-spf.sh SPF_SMP=4|8): one per vCPU. */
	snprintf(name, sizeof(name), "pft_shared_t%d", ncpu);
	if (ncpu > 2 && want(name))
		pft_shared(ncpu);
	if (want("pft_separate_t2"))
		pft_separate(2);
	if (want("shm_shared_t2"))
		shm_shared(2);
	if (want("page_fault1_t1"))
		page_fault1(1);
	if (want("page_fault1_t2"))
		page_fault1(2);
	if (want("mmap_munmap_t1"))
		mmap_munmap(1);
	if (want("munmap_populated"))
		munmap_populated();
	if (want("wi_other_vma"))
		writer_interference(0);
	if (want("wi_same_vma"))
		writer_interference(1);

	say("total %.1f s, %d errors", now() - t0, failures);
	say("done");
	finish();
	return 0;
}
