// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace test of part 3 (speculative page faults): what KUnit cannot
 * drive, in a QEMU guest (/init, see guest.h).
 *
 * 1. vm.speculative_page_fault takes 0 and 1 and refuses anything else
 *    with EINVAL, leaving the value alone.
 * 2, 3. The charge-failure exit. A child process in a memory cgroup at
 *    memory.max faults fresh anonymous memory from two threads; the only
 *    memory reclaim can take back is lazy-free (MADV_FREE) memory of the
 *    same child (there is no swap). A speculative fault charges without
 *    reclaim, so at the limit its charge fails: it must hand the fault to
 *    the locked path (spf_upgrade_nomem), which reclaims and charges.
 *    Checked: every page holds what its thread wrote, no OOM kill, the
 *    usage stays within memory.max, and with the sysctl on the exit was
 *    taken.  The same load runs with the sysctl off (2) and on (3); the
 *    memory.events "max" counts of both are printed: each speculative
 *    charge failure raises one more "max" event before the locked retry
 *    raises its own (review finding M2, docs/part3-spf.md), which the
 *    figures show as max(on) - max(off) close to spf_upgrade_nomem.
 * 4. mTHP first touches. With 64 KiB mTHP on, a second thread writes one
 *    byte to each 64 KiB block of a range whose PTE table and anon_vma
 *    exist, just after the process moved to a new memory cgroup: the
 *    faults are speculative (spf_success), each maps a 64 KiB folio
 *    (anon_fault_alloc of hugepages-64kB), and the data is there. The
 *    first of them is the first large folio of the cgroup, so it
 *    allocates the cgroup's deferred split list heads: without sleeping,
 *    or CONFIG_DEBUG_ATOMIC_SLEEP reports it (a report fails the gate).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "guest.h"

#define USERTEST_PLAN	4

#define SYSCTL		"/proc/sys/vm/speculative_page_fault"
#define CGROOT		"/sys/fs/cgroup"
#define PAGE		4096UL
#define LIMIT		(32UL << 20)
/* Lazy-free memory reclaim can take: most of the limit. */
#define LAZY		(20UL << 20)
/* Faulted by the two threads: more than the limit leaves. */
#define FRESH		(24UL << 20)

static int have_spf;

/* A file holding one number, or -1. */
static long read_number(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

static long sysctl_get(void)
{
	return read_number(SYSCTL);
}

static void test_sysctl_bad_input(void)
{
	static const char *const bad[] = { "2", "-1", "x" };
	long before = sysctl_get();
	int ok = 1;
	size_t i;

	if (!have_spf) {
		printf("ok %d sysctl refuses bad values # SKIP no %s\n",
		       ++tests, SYSCTL);
		return;
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = write_file(SYSCTL, bad[i]);

		if (ret != -EINVAL) {
			diag("writing \"%s\": %d, want -EINVAL", bad[i], ret);
			ok = 0;
		}
		if (sysctl_get() != before) {
			diag("writing \"%s\" changed the value", bad[i]);
			ok = 0;
		}
	}
	if (write_file(SYSCTL, "0") || sysctl_get() != 0 ||
	    write_file(SYSCTL, "1") || sysctl_get() != 1) {
		diag("0 and 1 must be taken");
		ok = 0;
	}
	result(ok, "sysctl refuses bad values");
}

struct half {
	char *p;
	unsigned long len;
	unsigned long seed;
};

static void *fault_half(void *arg)
{
	struct half *h = arg;
	unsigned long off;

	for (off = 0; off < h->len; off += PAGE)
		*(unsigned long *)(h->p + off) = h->seed + off;
	return NULL;
}

/* The child: fill the cgroup, free lazily, fault from two threads. */
static int charge_load(void)
{
	struct half h[2];
	pthread_t t;
	char *lazy, *p;
	unsigned long off, bad = 0;

	lazy = mmap(NULL, LAZY, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p = mmap(NULL, FRESH, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (lazy == MAP_FAILED || p == MAP_FAILED)
		return 2;
	/* Order-0 faults: THP faults are never speculative. */
	madvise(lazy, LAZY, MADV_NOHUGEPAGE);
	madvise(p, FRESH, MADV_NOHUGEPAGE);
	memset(lazy, 1, LAZY);
	if (madvise(lazy, LAZY, MADV_FREE))
		return 3;
	/* One page first: the vma gets its anon_vma on the locked path. */
	p[0] = 1;
	h[0] = (struct half){ p, FRESH / 2, 0x1000 };
	h[1] = (struct half){ p + FRESH / 2, FRESH / 2, 0x2000 };
	if (pthread_create(&t, NULL, fault_half, &h[1]))
		return 4;
	fault_half(&h[0]);
	pthread_join(t, NULL);
	for (off = 0; off < FRESH / 2; off += PAGE) {
		bad += *(unsigned long *)(h[0].p + off) != h[0].seed + off;
		bad += *(unsigned long *)(h[1].p + off) != h[1].seed + off;
	}
	if (bad) {
		diag("%lu pages lost their data", bad);
		return 5;
	}
	return 0;
}

static int run_in_cgroup(const char *cg)
{
	char path[128], pid[16];
	int status;
	pid_t c;

	fflush(stdout);
	c = fork();
	if (c < 0)
		return -1;
	if (!c) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
		snprintf(pid, sizeof(pid), "%d", getpid());
		if (write_file(path, pid))
			_exit(1);
		_exit(charge_load());
	}
	if (waitpid(c, &status, 0) != c)
		return -1;
	if (WIFSIGNALED(status)) {
		diag("the child died of signal %d", WTERMSIG(status));
		return -1;
	}
	return WEXITSTATUS(status);
}

/* One run with the sysctl at @spf; *@max gets memory.events "max". */
static void test_charge_failure(int spf, long *max)
{
	char cg[64], path[128], val[32];
	long nomem0, nomem, peak, oom;
	char name[96];
	int rc, ok = 1;

	snprintf(name, sizeof(name),
		 "charge failure at memory.max, sysctl %d", spf);
	*max = -1;
	if (!have_spf && spf) {
		printf("ok %d %s # SKIP no %s\n", ++tests, name, SYSCTL);
		return;
	}
	if (have_spf && write_file(SYSCTL, spf ? "1" : "0")) {
		result(0, name);
		return;
	}
	snprintf(cg, sizeof(cg), CGROOT "/spf%d", spf);
	if (mkdir(cg, 0755) && errno != EEXIST) {
		diag("mkdir %s: %s", cg, strerror(errno));
		result(0, name);
		return;
	}
	snprintf(path, sizeof(path), "%s/memory.max", cg);
	snprintf(val, sizeof(val), "%lu", LIMIT);
	if (write_file(path, val)) {
		diag("cannot set %s", path);
		result(0, name);
		return;
	}
	write_file("/proc/sys/vm/stat_refresh", "1");
	nomem0 = read_field("/proc/vmstat", "spf_upgrade_nomem");
	rc = run_in_cgroup(cg);
	write_file("/proc/sys/vm/stat_refresh", "1");
	nomem = read_field("/proc/vmstat", "spf_upgrade_nomem") - nomem0;
	snprintf(path, sizeof(path), "%s/memory.events", cg);
	*max = read_field(path, "max");
	oom = read_field(path, "oom_kill");
	snprintf(path, sizeof(path), "%s/memory.peak", cg);
	peak = read_number(path);
	diag("sysctl %d: child rc %d, memory.events max %ld oom_kill %ld, memory.peak %ld (max %lu), spf_upgrade_nomem %ld",
	     spf, rc, *max, oom, peak, LIMIT, have_spf ? nomem : 0);
	if (rc) {
		diag("the load failed (rc %d)", rc);
		ok = 0;
	}
	if (oom != 0 || *max <= 0) {
		diag("want no OOM kill and the limit reached");
		ok = 0;
	}
	if (peak > (long)LIMIT) {
		diag("usage went over memory.max");
		ok = 0;
	}
	if (spf && nomem <= 0) {
		diag("no speculative fault took the charge-failure exit");
		ok = 0;
	}
	if (!spf && have_spf && nomem != 0) {
		diag("speculative faults with the sysctl off");
		ok = 0;
	}
	rmdir(cg);
	result(ok, name);
}

#define THP		"/sys/kernel/mm/transparent_hugepage"
#define MTHP		THP "/hugepages-64kB"
#define BLOCK		(64UL << 10)
#define SPAN		(2UL << 20)

struct mthp_load {
	char *p;
	int go[2];
};

/* The second thread: wait until the process is in the cgroup, then fault. */
static void *mthp_fault(void *arg)
{
	struct mthp_load *l = arg;
	unsigned long off;
	char c;

	if (read(l->go[0], &c, 1) != 1)
		return NULL;
	for (off = BLOCK; off < SPAN; off += BLOCK)
		l->p[off + 8] = (char)(off / BLOCK);
	return NULL;
}

/* The child of test 4: 0 when every block holds its byte. */
static int mthp_load(const char *cg)
{
	struct mthp_load l;
	char path[128], pid[16];
	unsigned long off, bad = 0;
	pthread_t t;
	char *raw;

	raw = mmap(NULL, 2 * SPAN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED || pipe(l.go))
		return 2;
	l.p = (char *)(((uintptr_t)raw + SPAN - 1) & ~(SPAN - 1));
	/* With mTHP off: a 4 KiB folio, the PTE table and the anon_vma. */
	l.p[0] = 1;
	/* The thread exists, its stack faulted, before mTHP is on. */
	if (pthread_create(&t, NULL, mthp_fault, &l))
		return 3;
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (write_file(path, pid) || write_file(MTHP "/enabled", "always"))
		return 4;
	if (write(l.go[1], "g", 1) != 1)
		return 5;
	pthread_join(t, NULL);
	for (off = BLOCK; off < SPAN; off += BLOCK)
		bad += l.p[off + 8] != (char)(off / BLOCK) || l.p[off];
	if (bad) {
		diag("%lu blocks lost their data", bad);
		return 6;
	}
	return 0;
}

static void test_mthp_first_touch(void)
{
	const char *name = "mTHP first touches are speculative, in a new memory cgroup";
	const char *cg = CGROOT "/spf-mthp";
	long succ0, alloc0, succ, alloc;
	int rc = -1, status, ok = 1;
	pid_t c;

	if (!have_spf || access(MTHP "/enabled", W_OK)) {
		printf("ok %d %s # SKIP no %s or no 64 KiB mTHP\n", ++tests,
		       name, SYSCTL);
		return;
	}
	if (write_file(SYSCTL, "1") || write_file(THP "/enabled", "never") ||
	    write_file(MTHP "/enabled", "never") ||
	    (mkdir(cg, 0755) && errno != EEXIST)) {
		result(0, name);
		return;
	}
	write_file("/proc/sys/vm/stat_refresh", "1");
	succ0 = read_field("/proc/vmstat", "spf_success");
	alloc0 = read_number(MTHP "/stats/anon_fault_alloc");
	fflush(stdout);
	c = fork();
	if (!c)
		_exit(mthp_load(cg));
	if (c > 0 && waitpid(c, &status, 0) == c && WIFEXITED(status))
		rc = WEXITSTATUS(status);
	write_file(MTHP "/enabled", "never");
	write_file("/proc/sys/vm/stat_refresh", "1");
	succ = read_field("/proc/vmstat", "spf_success") - succ0;
	alloc = read_number(MTHP "/stats/anon_fault_alloc") - alloc0;
	diag("child rc %d, 64 KiB anon_fault_alloc %ld, spf_success %ld (%lu blocks)",
	     rc, alloc, succ, SPAN / BLOCK - 1);
	if (rc) {
		diag("the load failed (rc %d)", rc);
		ok = 0;
	}
	if (alloc < (long)(SPAN / BLOCK - 1) || succ < (long)(SPAN / BLOCK - 1)) {
		diag("want a speculative 64 KiB folio for every block");
		ok = 0;
	}
	rmdir(cg);
	result(ok, name);
}

int main(void)
{
	long max_off, max_on;

	guest_start(USERTEST_PLAN);
	have_spf = access(SYSCTL, W_OK) == 0;
	test_sysctl_bad_input();
	if (mount("cgroup2", CGROOT, "cgroup2", 0, NULL) ||
	    write_file(CGROOT "/cgroup.subtree_control", "+memory"))
		diag("no memory cgroup: %s", strerror(errno));
	test_charge_failure(0, &max_off);
	test_charge_failure(1, &max_on);
	if (max_off > 0 && max_on > 0)
		diag("M2: memory.events max %ld with the sysctl on, %ld off",
		     max_on, max_off);
	test_mthp_first_touch();
	if (have_spf)
		write_file(SYSCTL, "1");
	guest_done();
	return 0;
}
