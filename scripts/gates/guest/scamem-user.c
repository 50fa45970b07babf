// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace lifecycle test of a user mapping of vmalloc memory made with
 * vmalloc_mmap() (part 2, scamem), driven through kcov, whose mmap uses it.
 * Runs as /init of a QEMU guest (static binary), prints TAP ("ok N name"
 * or "not ok N name", "# ..." diagnostics) on the console and powers off.
 * scripts/gates/usertest.sh builds it, boots it and checks the result.
 *
 * Memory is "released" when, after the last mapping is gone:
 *  - the pages that were mapped are mapped no more: /proc/kpagecount
 *    (the map count, not the reference count) is zero for (nearly) all
 *    of them (their PFNs come from /proc/self/pagemap while mapped; a
 *    few may be reused meanwhile);
 *  - nr_vmalloc (/proc/vmstat) is back to the baseline, within
 *    VMALLOC_SLACK pages (cached vmapped task stacks of forked children);
 *  - MemFree (/proc/meminfo) is back to the baseline within half the
 *    area: see MEMFREE_SLACK.
 * A leaked area (a VMA that does not drop its reference to the scamem)
 * fails the last two: MemFree by the area (64 MiB), nr_vmalloc by the
 * scamem's page array (128 KiB, vmalloc()ed: 32 pages and more).  The
 * area's pages leave nr_vmalloc at vfree() whoever keeps them.
 *
 * Note on kcov: every VMA holds a reference to the kcov file (vm_file), so
 * close(fd) with a mapping alive does not release the file; kcov_close()
 * and so the vfree() of the area run only when the last mapping is gone.
 * The tests print the nr_vmalloc delta after close(fd) to show it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <linux/io_uring.h>
#include <sys/syscall.h>

#include "guest.h"

/* The number of tests main() runs. */
#define USERTEST_PLAN	11

#define KCOV_INIT_TRACE	_IOR('c', 1, unsigned long)
#define KCOV_PATH	"/sys/kernel/debug/kcov"
#define FI_PAGE		"/sys/kernel/debug/fail_page_alloc"
#define FI_SLAB		"/sys/kernel/debug/failslab"

#define PAGE		4096UL
/* Big enough that one leaked area stands far out of MemFree's noise. */
#define AREA		(64UL << 20)
#define AREA_PAGES	(AREA / PAGE)
/*
 * MemFree noise: pages on the per-cpu free lists are not counted as free
 * (at most a zone's low watermark per zone, a few MiB with 2 GiB), KASAN
 * frees the shadow of vfree()d areas lazily (1/8 of at most 64 MiB of
 * lazily freed vmap space: 8 MiB), plus page tables and slabs.  Half an
 * area (32 MiB) is above all of it and half of what a leak costs.
 */
#define MEMFREE_SLACK_KB	(AREA / 2 / 1024)
/* A vmapped task stack (32 KiB with KASAN) cached per CPU: 2 * 8 pages. */
#define VMALLOC_SLACK		16
/* Frees can be deferred (RCU, task work, pcp decay): retry for 10 s. */
#define RETRIES			50

struct snap {
	long memfree_kb;
	long vmalloc_used_kb;
	long nr_vmalloc;
};

static void snapshot(struct snap *s)
{
	/* Fold the per-cpu vmstat deltas and drop clean caches first. */
	write_file("/proc/sys/vm/stat_refresh", "1");
	write_file("/proc/sys/vm/drop_caches", "3");
	s->memfree_kb = read_field("/proc/meminfo", "MemFree");
	s->vmalloc_used_kb = read_field("/proc/meminfo", "VmallocUsed");
	s->nr_vmalloc = read_field("/proc/vmstat", "nr_vmalloc");
}

static unsigned long pattern(unsigned long i, unsigned long seed)
{
	return (i * 0x9e3779b97f4a7c15UL) ^ seed;
}

static void fill(void *p, unsigned long len, unsigned long seed)
{
	unsigned long *w = p, i;

	for (i = 0; i < len / sizeof(*w); i++)
		w[i] = pattern(i, seed);
}

/* Index of the first word that differs from the pattern, or -1. */
static long check(const void *p, unsigned long len, unsigned long seed)
{
	const unsigned long *w = p;
	unsigned long i;

	for (i = 0; i < len / sizeof(*w); i++)
		if (w[i] != pattern(i, seed))
			return i;
	return -1;
}

static int kcov_open(unsigned long len)
{
	int fd = open(KCOV_PATH, O_RDWR);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, KCOV_INIT_TRACE, len / sizeof(unsigned long))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Open kcov, map a fresh area of @len bytes (MAP_SHARED), or NULL. */
static void *kcov_map(unsigned long len, int *fdp)
{
	int fd = kcov_open(len);
	void *p;

	if (fd < 0) {
		diag("kcov open/KCOV_INIT_TRACE: %s", strerror(-fd));
		return NULL;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		diag("kcov mmap: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	*fdp = fd;
	return p;
}

/* PFNs of the pages mapped at @p, from /proc/self/pagemap. */
static uint64_t *get_pfns(const void *p, unsigned long len)
{
	unsigned long n = len / PAGE, i;
	uint64_t *pfns = calloc(n, sizeof(*pfns));
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (!pfns || fd < 0) {
		diag("pagemap: %s", strerror(errno));
		free(pfns);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (pread(fd, pfns, n * sizeof(*pfns),
		  (uintptr_t)p / PAGE * sizeof(*pfns)) != (ssize_t)(n * sizeof(*pfns))) {
		diag("pagemap read: %s", strerror(errno));
		free(pfns);
		close(fd);
		return NULL;
	}
	close(fd);
	for (i = 0; i < n; i++) {
		if (!(pfns[i] >> 63) || !(pfns[i] & ((1ULL << 55) - 1))) {
			diag("page %lu not present or no PFN (%#llx)", i,
			     (unsigned long long)pfns[i]);
			free(pfns);
			return NULL;
		}
		pfns[i] &= (1ULL << 55) - 1;
	}
	return pfns;
}

/* How many of @n PFNs have a nonzero page count. */
static long count_referenced(const uint64_t *pfns, unsigned long n)
{
	int fd = open("/proc/kpagecount", O_RDONLY);
	unsigned long i;
	long busy = 0;
	uint64_t c;

	if (fd < 0) {
		diag("kpagecount: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (pread(fd, &c, sizeof(c), pfns[i] * sizeof(c)) != sizeof(c)) {
			diag("kpagecount read: %s", strerror(errno));
			close(fd);
			return -1;
		}
		busy += c != 0;
	}
	close(fd);
	return busy;
}

/*
 * Was the memory released?  @pfns (may be NULL) are the pages that were
 * mapped; @base the snapshot from before the area was allocated.  Frees
 * may be deferred (RCU, task work of the exiting task): retry for a while.
 */
static int released(const char *what, const uint64_t *pfns, unsigned long n,
		    const struct snap *base)
{
	struct snap now;
	long busy = 0;
	int try;

	for (try = 0; try < RETRIES; try++) {
		if (try)
			usleep(200 * 1000);
		snapshot(&now);
		busy = pfns ? count_referenced(pfns, n) : 0;
		if (busy >= 0 && (unsigned long)busy <= n / 4 &&
		    now.nr_vmalloc - base->nr_vmalloc <= VMALLOC_SLACK &&
		    base->memfree_kb - now.memfree_kb <= (long)MEMFREE_SLACK_KB)
			break;
	}
	diag("%s: %ld/%lu pages still mapped, nr_vmalloc %+ld pages, VmallocUsed %+ld kB, MemFree %+ld kB (slack %lu pages / %lu kB)",
	     what, busy, n, now.nr_vmalloc - base->nr_vmalloc,
	     now.vmalloc_used_kb - base->vmalloc_used_kb,
	     now.memfree_kb - base->memfree_kb, (unsigned long)VMALLOC_SLACK,
	     (unsigned long)MEMFREE_SLACK_KB);
	return try < RETRIES;
}

static void note_close(const struct snap *base)
{
	struct snap now;

	snapshot(&now);
	diag("after close(fd) with the mapping alive: nr_vmalloc %+ld pages (the VMAs hold the kcov file, so it is not vfree()d yet)",
	     now.nr_vmalloc - base->nr_vmalloc);
}

/* 1: data survives close(fd) and the unmapping of a second mapping. */
static void test_close_second_mapping(void)
{
	struct snap base;
	uint64_t *pfns = NULL;
	void *a, *b = MAP_FAILED;
	int fd, ok = 0;

	snapshot(&base);
	a = kcov_map(AREA, &fd);
	if (!a)
		goto out;
	b = mmap(NULL, AREA, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (b == MAP_FAILED) {
		diag("second mmap: %s", strerror(errno));
		close(fd);
		munmap(a, AREA);
		goto out;
	}
	fill(a, AREA, 1);
	pfns = get_pfns(a, AREA);
	if (check(b, AREA, 1) >= 0)
		diag("second mapping does not see the first one's data");
	close(fd);
	note_close(&base);
	ok = pfns && check(a, AREA, 1) < 0 && check(b, AREA, 1) < 0;
	munmap(b, AREA);
	if (check(a, AREA, 1) >= 0) {
		diag("data lost after munmap of the second mapping");
		ok = 0;
	}
	fill(a, AREA, 11);
	if (check(a, AREA, 11) >= 0)
		ok = 0;
	munmap(a, AREA);
	if (!released("close+munmap", pfns, AREA_PAGES, &base))
		ok = 0;
out:
	free(pfns);
	result(ok, "data survives close(fd) and munmap of a second mapping");
}

/* 2: fork shares the mapping both ways; everything is freed at exit. */
static void test_fork(void)
{
	struct snap base;
	uint64_t *pfns;
	void *a;
	int fd, ok = 0, status;
	pid_t pid;

	snapshot(&base);
	a = kcov_map(AREA, &fd);
	if (!a)
		goto out;
	fill(a, AREA / 2, 2);
	pfns = get_pfns(a, AREA);
	close(fd);
	pid = fork();
	if (pid == 0) {
		if (check(a, AREA / 2, 2) >= 0)
			_exit(1);
		fill((char *)a + AREA / 2, AREA / 2, 22);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		diag("fork/wait: %s", strerror(errno));
	} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		diag("child saw wrong data or died (status %#x)", status);
	} else if (check((char *)a + AREA / 2, AREA / 2, 22) >= 0) {
		diag("parent does not see the child's writes");
	} else {
		ok = 1;
	}
	munmap(a, AREA);
	if (!released("fork, both exited/unmapped", pfns, AREA_PAGES, &base))
		ok = 0;
	free(pfns);
out:
	result(ok, "fork shares the mapping and frees it after both exit");
}

/* 3: mremap moves (whole and half: a split) keep data; growing fails. */
static void test_mremap(void)
{
	struct snap base;
	uint64_t *pfns;
	char *a, *dst, *m, *h;
	int fd, ok = 0;
	void *r;

	snapshot(&base);
	a = kcov_map(AREA, &fd);
	if (!a)
		goto out;
	fill(a, AREA, 3);
	pfns = get_pfns(a, AREA);
	close(fd);
	/* Reserve a destination, then move onto it. */
	dst = mmap(NULL, 2 * AREA, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dst == MAP_FAILED) {
		diag("reserve: %s", strerror(errno));
		munmap(a, AREA);
		free(pfns);
		goto out;
	}
	m = mremap(a, AREA, AREA, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	if (m != dst) {
		diag("mremap move: %s", strerror(errno));
		munmap(a, AREA);
		goto unmap;
	}
	if (check(m, AREA, 3) >= 0) {
		diag("data lost by the move");
		goto unmap;
	}
	if (mincore(a, PAGE, (unsigned char[1]){ 0 }) != -1 || errno != ENOMEM) {
		diag("old address still mapped");
		goto unmap;
	}
	/* Move the second half away: splits the VMA (->open on the copy). */
	h = mremap(m + AREA / 2, AREA / 2, AREA / 2,
		   MREMAP_MAYMOVE | MREMAP_FIXED, dst + AREA + AREA / 2);
	if (h != dst + AREA + AREA / 2) {
		diag("mremap half: %s", strerror(errno));
		goto unmap;
	}
	{
		/* The second half's pattern continues at word AREA/2/8. */
		unsigned long *w = (unsigned long *)h, i, bad = 0;

		for (i = 0; i < AREA / 2 / sizeof(*w); i++)
			bad += w[i] != pattern(i + AREA / 2 / sizeof(*w), 3);
		if (check(m, AREA / 2, 3) >= 0 || bad) {
			diag("data lost by the split move");
			goto unmap;
		}
	}
	/* Growing: kcov's VMA is VM_DONTEXPAND, mremap must refuse. */
	r = mremap(m, AREA / 2, AREA, MREMAP_MAYMOVE);
	if (r != MAP_FAILED) {
		diag("mremap grow succeeded at %p", r);
		m = r;
		goto unmap;
	}
	if (errno != EFAULT) {
		diag("mremap grow failed with %s, expected EFAULT", strerror(errno));
		goto unmap;
	}
	diag("mremap grow: EFAULT (VM_DONTEXPAND), as expected");
	ok = 1;
unmap:
	munmap(dst, 2 * AREA);
	if (!released("mremap'd pieces unmapped", pfns, AREA_PAGES, &base))
		ok = 0;
	free(pfns);
out:
	result(ok, "mremap move and split keep the data, grow fails with EFAULT");
}

/* 4: MAP_FIXED anonymous mappings replace the mapping, half by half. */
static void test_map_fixed(void)
{
	struct snap base;
	uint64_t *pfns;
	char *a, *p;
	int fd, ok = 0;

	snapshot(&base);
	a = kcov_map(AREA, &fd);
	if (!a)
		goto out;
	fill(a, AREA, 4);
	pfns = get_pfns(a, AREA);
	close(fd);
	p = mmap(a, AREA / 2, PROT_READ | PROT_WRITE,
		 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != a) {
		diag("MAP_FIXED first half: %s", strerror(errno));
		goto unmap;
	}
	if (p[0] || p[AREA / 2 - 1] || check(a, PAGE, 4) < 0) {
		diag("first half not replaced by zeroes");
		goto unmap;
	}
	{
		unsigned long *w = (unsigned long *)(a + AREA / 2), i, bad = 0;

		for (i = 0; i < AREA / 2 / sizeof(*w); i++)
			bad += w[i] != pattern(i + AREA / 2 / sizeof(*w), 4);
		if (bad) {
			diag("second half lost its data");
			goto unmap;
		}
	}
	p = mmap(a + AREA / 2, AREA / 2, PROT_READ | PROT_WRITE,
		 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != a + AREA / 2) {
		diag("MAP_FIXED second half: %s", strerror(errno));
		goto unmap;
	}
	ok = 1;
	/* Nothing maps the kcov area any more, the anon mapping stays. */
	if (!released("replaced by MAP_FIXED", pfns, AREA_PAGES, &base))
		ok = 0;
unmap:
	munmap(a, AREA);
	if (!ok)
		released("after failure", pfns, AREA_PAGES, &base);
	free(pfns);
out:
	result(ok, "MAP_FIXED over the mapping releases the memory");
}

/* 5: a child exits with the mapping alive and its fd closed. */
static void test_exit(void)
{
	struct snap base;
	uint64_t *pfns;
	int ok = 0, status;
	pid_t pid;

	pfns = mmap(NULL, AREA_PAGES * sizeof(*pfns) + PAGE,
		    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (pfns == MAP_FAILED) {
		diag("shared buffer: %s", strerror(errno));
		goto out;
	}
	snapshot(&base);
	pid = fork();
	if (pid == 0) {
		uint64_t *p;
		void *a;
		int fd;

		a = kcov_map(AREA, &fd);
		if (!a)
			_exit(1);
		fill(a, AREA, 5);
		p = get_pfns(a, AREA);
		if (!p)
			_exit(1);
		memcpy(pfns, p, AREA_PAGES * sizeof(*p));
		close(fd);
		if (check(a, AREA, 5) >= 0)
			_exit(1);
		_exit(0);	/* no munmap: exit_mmap() unmaps */
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status)) {
		diag("child failed");
		goto unmap;
	}
	ok = released("child exited without munmap", pfns, AREA_PAGES, &base);
unmap:
	munmap(pfns, AREA_PAGES * sizeof(*pfns) + PAGE);
out:
	result(ok, "exit with the mapping alive releases the memory");
}

#define CHUNK	(1UL << 20)

/* Does @buf hold the words of the pattern at byte offset @off? */
static int chunk_ok(const unsigned long *buf, unsigned long off,
		    unsigned long seed)
{
	unsigned long i;

	for (i = 0; i < CHUNK / sizeof(*buf); i++)
		if (buf[i] != pattern(off / sizeof(*buf) + i, seed))
			return 0;
	return 1;
}

/* 6: GUP from another process reads and writes the mapping after close. */
static void test_remote(void)
{
	struct snap base;
	int ok = 0, status = 0, cmd[2], rep[2];
	unsigned long *buf = NULL;
	struct { void *addr; uint64_t pfns_ok; } msg = { 0 };
	char path[64], c = 0;
	unsigned long off;
	pid_t pid;
	int memfd;

	snapshot(&base);
	if (pipe(cmd) || pipe(rep)) {
		diag("pipe: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid == 0) {
		void *a;
		int fd;

		close(cmd[1]);
		close(rep[0]);
		a = kcov_map(AREA, &fd);
		if (a) {
			fill(a, AREA, 6);
			close(fd);
		}
		msg.addr = a;
		if (write(rep[1], &msg, sizeof(msg)) != sizeof(msg))
			_exit(2);
		/* Wait until the parent wrote through /proc/<pid>/mem. */
		if (read(cmd[0], &c, 1) != 1)
			_exit(2);
		_exit(!a || check(a, AREA, 66) >= 0);
	}
	close(cmd[0]);
	close(rep[1]);
	if (pid < 0 || read(rep[0], &msg, sizeof(msg)) != sizeof(msg) ||
	    !msg.addr) {
		diag("child could not map");
		goto reap;
	}
	buf = malloc(CHUNK);
	if (!buf)
		goto reap;
	for (off = 0; off < AREA; off += CHUNK) {
		struct iovec local = { buf, CHUNK };
		struct iovec remote = { (char *)msg.addr + off, CHUNK };
		ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

		if (n != (ssize_t)CHUNK || !chunk_ok(buf, off, 6)) {
			diag("process_vm_readv at %#lx: %zd, %s", off, n,
			     strerror(errno));
			goto reap;
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	memfd = open(path, O_RDWR);
	if (memfd < 0) {
		diag("%s: %s", path, strerror(errno));
		goto reap;
	}
	for (off = 0; off < AREA; off += CHUNK) {
		unsigned long *w = buf, i;

		memset(buf, 0, CHUNK);
		if (pread(memfd, buf, CHUNK, (uintptr_t)msg.addr + off) !=
		    (ssize_t)CHUNK || !chunk_ok(buf, off, 6)) {
			diag("read of %s at %#lx: %s", path, off,
			     strerror(errno));
			close(memfd);
			goto reap;
		}
		for (i = 0; i < CHUNK / sizeof(*w); i++)
			w[i] = pattern(off / sizeof(*w) + i, 66);
		if (pwrite(memfd, buf, CHUNK, (uintptr_t)msg.addr + off) !=
		    (ssize_t)CHUNK) {
			diag("write of %s at %#lx: %s", path, off,
			     strerror(errno));
			close(memfd);
			goto reap;
		}
	}
	close(memfd);
	ok = 1;
reap:
	if (write(cmd[1], &c, 1) != 1)
		ok = 0;
	close(cmd[1]);
	close(rep[0]);
	if (pid > 0 && (waitpid(pid, &status, 0) != pid ||
			!WIFEXITED(status) || WEXITSTATUS(status))) {
		diag("child did not see the data written through /proc/pid/mem (status %#x)",
		     status);
		ok = 0;
	}
	free(buf);
	if (!released("remote reader done, child exited", NULL, 0, &base))
		ok = 0;
out:
	result(ok, "process_vm_readv and /proc/pid/mem (GUP) after close(fd)");
}

/* Fault injection ---------------------------------------------------- */

static int fi_set(const char *dir, const char *file, const char *val)
{
	char path[128];
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	err = write_file(path, val);
	if (err)
		diag("%s = %s: %s", path, val, strerror(-err));
	return err;
}

static int fi_setup(const char *dir)
{
	int err = 0;

	err |= fi_set(dir, "probability", "100");
	err |= fi_set(dir, "interval", "1");
	err |= fi_set(dir, "times", "0");
	err |= fi_set(dir, "space", "0");
	err |= fi_set(dir, "verbose", "0");
	err |= fi_set(dir, "task-filter", "Y");
	err |= fi_set(dir, "ignore-gfp-wait", "N");
	if (!strcmp(dir, FI_PAGE))
		err |= fi_set(dir, "min-order", "0");
	return err;
}

#define FI_AREA		(64 * PAGE)
/*
 * Far from every other mapping, so that vm_insert_pages() has to allocate
 * user page tables (PUD, PMD, PTE pages) the injection can fail.
 */
#define FI_ADDR		((void *)0x500000000000UL)

static unsigned long fi_ok, fi_enomem, fi_bad;
/* Per loop: runs that worked, and that failed in open, ioctl, mmap. */
static unsigned long fi_stage[4];

/*
 * One open + KCOV_INIT_TRACE + mmap with injection armed (times/space
 * already written); everything that fails must fail with ENOMEM and what
 * succeeds must work.  Runs in a child so that make-it-fail and a fault
 * of our own memory (which the injection may hit too) stay there.
 */
static void fi_one(const char *what, int n)
{
	int fd = -1, err = 0, stage = 0;
	void *p = MAP_FAILED;
	char stack[64 * 1024];

	/* Prefault (copy on write after fork) what we touch while armed. */
	memset(stack, 1, sizeof(stack));
	errno = 0;
	if (write_file("/proc/self/make-it-fail", "1"))
		_exit(3);
	fd = open(KCOV_PATH, O_RDWR);
	if (fd < 0) {
		err = errno;
		goto done;
	}
	stage = 1;
	if (ioctl(fd, KCOV_INIT_TRACE, FI_AREA / sizeof(unsigned long))) {
		err = errno;
		goto done;
	}
	stage = 2;
	p = mmap(FI_ADDR, FI_AREA, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
	if (p == MAP_FAILED) {
		err = errno;
		goto done;
	}
	stage = 3;
done:
	/* Disarming may itself fail while failures are left to inject. */
	for (int i = 0; i < 100; i++)
		if (!write_file("/proc/self/make-it-fail", "0"))
			break;
	if (stage == 3) {
		fill(p, FI_AREA, n);
		close(fd);
		if (check(p, FI_AREA, n) >= 0)
			_exit(4);
		munmap(p, FI_AREA);
		_exit(0);
	}
	if (fd >= 0)
		close(fd);
	if (err != ENOMEM) {
		printf("# %s %d: stage %d failed with %s, not ENOMEM\n", what,
		       n, stage, strerror(err));
		fflush(stdout);
		_exit(5);
	}
	_exit(10 + stage);
}

static void fi_run(const char *what, int n)
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0)
		fi_one(what, n);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
		diag("%s %d: child died (status %#x)", what, n, status);
		fi_bad++;
		return;
	}
	switch (WEXITSTATUS(status)) {
	case 0:
		fi_ok++;
		fi_stage[0]++;
		break;
	case 10: case 11: case 12:
		fi_enomem++;
		fi_stage[WEXITSTATUS(status) - 9]++;
		break;
	default:
		diag("%s %d: exit %d", what, n, WEXITSTATUS(status));
		fi_bad++;
	}
}

static void fi_summary(const char *what)
{
	diag("%s: %lu worked, ENOMEM from open %lu, KCOV_INIT_TRACE %lu, mmap %lu",
	     what, fi_stage[0], fi_stage[1], fi_stage[2], fi_stage[3]);
	memset(fi_stage, 0, sizeof(fi_stage));
}

/*
 * One fi_run() per value of @knob ("times": the first n allocations
 * fail; "space": one fails after n units of good ones) of fault attribute
 * @dir, from @from to @to by @step; disarmed afterwards.
 */
static void fi_sweep(const char *dir, const char *knob, int from, int to,
		     int step, const char *what)
{
	char val[32];
	int n;

	for (n = from; n <= to; n += step) {
		snprintf(val, sizeof(val), "%d", n);
		fi_set(dir, knob, val);
		if (strcmp(knob, "times"))
			fi_set(dir, "times", "1");
		fi_run(what, n);
	}
	fi_set(dir, "times", "0");
	fi_set(dir, "space", "0");
}

static void test_fault_injection(void)
{
	struct snap base;
	int ok = 0;

	if (access(FI_PAGE, F_OK) || access(FI_SLAB, F_OK) ||
	    access("/proc/self/make-it-fail", F_OK)) {
		diag("no fault injection in this kernel");
		goto out;
	}
	if (fi_setup(FI_PAGE) || fi_setup(FI_SLAB))
		goto out;
	snapshot(&base);
	kmsg("pagewise-usertest: fault injection begin\n");
	/* The first n page allocations of the task fail. */
	fi_sweep(FI_PAGE, "times", 1, 16, 1, "fail_page_alloc times");
	fi_summary("fail_page_alloc times=1..16");
	/* The first n slab allocations of the task fail. */
	fi_sweep(FI_SLAB, "times", 1, 16, 1, "failslab times");
	fi_summary("failslab times=1..16");
	/*
	 * One page allocation fails after n pages succeeded: walks the
	 * failure through the area's pages, its KASAN shadow and page
	 * tables, and the user page tables of vm_insert_pages().
	 */
	fi_sweep(FI_PAGE, "space", 1, 160, 1, "fail_page_alloc space");
	fi_summary("fail_page_alloc space=1..160 times=1");
	/* One slab allocation fails after n bytes of good ones. */
	fi_sweep(FI_SLAB, "space", 64, 8192, 64, "failslab space");
	fi_summary("failslab space=64..8192 step 64, times=1");
	fi_set(FI_PAGE, "probability", "0");
	fi_set(FI_SLAB, "probability", "0");
	kmsg("pagewise-usertest: fault injection end\n");
	diag("fault injection: %lu runs succeeded, %lu failed cleanly with ENOMEM, %lu bad",
	     fi_ok, fi_enomem, fi_bad);
	ok = !fi_bad && fi_ok && fi_enomem;
	if (!released("after fault injection", NULL, 0, &base))
		ok = 0;
out:
	result(ok, "fault injection: ENOMEM or success, no leak");
}

/*
 * Wait for child @pid and then for its grandchild, reparented to us (pid
 * 1), which exits with 30 when its checks passed and 31 or more when not
 * (@codes says what those mean).  1 if the child exited with 0 and the
 * grandchild with 30, else 0.
 */
static int reap_family(const char *what, pid_t pid, const char *codes)
{
	int status, reaped = 0, gc_ok = 0;

	while (reaped < 2 && pid > 0) {
		pid_t w = wait(&status);

		if (w < 0)
			break;
		if (!WIFEXITED(status)) {
			diag("%s: process %d died (status %#x)", what, w, status);
			continue;
		}
		if (w == pid) {
			reaped++;
			if (WEXITSTATUS(status)) {
				diag("%s: child exit %d", what, WEXITSTATUS(status));
				break;
			}
		} else if (WEXITSTATUS(status) >= 30) {
			reaped++;
			gc_ok = WEXITSTATUS(status) == 30;
			if (!gc_ok)
				diag("%s: grandchild exit %d (%s)", what,
				     WEXITSTATUS(status), codes);
		}
	}
	return gc_ok;
}

/*
 * 8: pages that GUP took from the mapping outlive the fd, the mapping,
 * the set and the process that mapped them.  A child maps the area and
 * vmsplice()s PIPE_PAGES of it into a pipe, which takes a reference on
 * each page through get_user_pages (with special PTEs, through the set:
 * GUP-fast gives up on them), closes kcov and unmaps (the set goes),
 * forks a grandchild that inherits the pipe, and exits with the pages
 * still held.  The grandchild reads the pipe and checks the data: pages
 * freed with the set would show up here as wrong data or, under KASAN,
 * a report.  Then the memory must be back.
 */
#define PIPE_PAGES	16

static void test_gup_pipe(void)
{
	int ok = 0, gc_ok;
	struct snap base;
	pid_t pid;

	snapshot(&base);
	pid = fork();
	if (pid == 0) {
		struct iovec iov;
		int fd, pfd[2];
		void *a;
		pid_t gc;

		a = kcov_map(AREA, &fd);
		if (!a)
			_exit(20);
		fill(a, PIPE_PAGES * PAGE, 8);
		if (pipe(pfd))
			_exit(21);
		iov.iov_base = a;
		iov.iov_len = PIPE_PAGES * PAGE;
		if (vmsplice(pfd[1], &iov, 1, 0) != (ssize_t)(PIPE_PAGES * PAGE)) {
			diag("vmsplice: %s", strerror(errno));
			_exit(22);
		}
		close(fd);
		munmap(a, AREA);
		gc = fork();
		if (gc == 0) {
			static unsigned long buf[PIPE_PAGES * PAGE / sizeof(long)];
			size_t got = 0;

			close(pfd[1]);
			usleep(100 * 1000);	/* the parent is gone by now */
			while (got < sizeof(buf)) {
				ssize_t n = read(pfd[0], (char *)buf + got,
						 sizeof(buf) - got);

				if (n <= 0)
					_exit(31);
				got += n;
			}
			_exit(check(buf, sizeof(buf), 8) >= 0 ? 32 : 30);
		}
		_exit(gc > 0 ? 0 : 23);
	}
	gc_ok = reap_family("gup pipe", pid,
			    "31: short read, 32: wrong data");
	if (gc_ok == 1 && released("pipe read, everyone exited", NULL, 0, &base))
		ok = 1;
	result(ok, "vmsplice'd pages outlive close(fd), munmap and exit of the mapper");
}

/*
 * 9: io_uring's kernel-allocated regions, mapped through their set: the
 * rings and SQEs carry a NOP submission and its completion, and a
 * provided-buffer ring (IOU_PBUF_RING_MMAP) stays readable and writable
 * through its mapping after it is unregistered and after the ring fd is
 * closed (the CVE-2024-0582 pattern: the region is freed while mapped).
 * Then memory is back.
 */
#ifndef IOU_PBUF_RING_MMAP
#define IOU_PBUF_RING_MMAP	1
#endif
#ifndef IORING_OFF_PBUF_RING
#define IORING_OFF_PBUF_RING	0x80000000ULL
#define IORING_OFF_PBUF_SHIFT	16
#endif

/* struct io_uring_buf_reg as 7.3 has it (Debian 12's header calls flags "pad"). */
struct pw_buf_reg {
	uint64_t ring_addr;
	uint32_t ring_entries;
	uint16_t bgid;
	uint16_t flags;
	uint32_t min_left;
	uint32_t resv[5];
};

/* Rss (kB) of the mapping that starts at @addr, from /proc/self/smaps. */
static long smaps_rss_kb(const void *addr)
{
	char line[256], start[32];
	FILE *f = fopen("/proc/self/smaps", "r");
	int in = 0;
	long kb = -1;

	if (!f)
		return -1;
	snprintf(start, sizeof(start), "%lx-", (unsigned long)addr);
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strchr(line, ' ') > strchr(line, '-'))
			in = !strncmp(line, start, strlen(start));
		else if (in && sscanf(line, "Rss: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* The offset /proc/self/maps shows for the mapping at @addr, or -1. */
static long long maps_offset(const void *addr)
{
	char line[256], start[32];
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long long off;
	long long ret = -1;

	if (!f)
		return -1;
	snprintf(start, sizeof(start), "%lx-", (unsigned long)addr);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, start, strlen(start)) &&
		    sscanf(line, "%*s %*s %llx", &off) == 1) {
			ret = off;
			break;
		}
	}
	fclose(f);
	return ret;
}

static int uring_fail(const char *what)
{
	diag("io_uring %s: %s", what, strerror(errno));
	return 0;
}

/* Register (or unregister) provided-buffer ring @bgid, kernel-allocated. */
static int pbuf_ring(int fd, int bgid, int unregister)
{
	struct pw_buf_reg reg;

	memset(&reg, 0, sizeof(reg));
	reg.ring_entries = 8;
	reg.bgid = bgid;
	/* unregister takes the group id alone */
	reg.flags = unregister ? 0 : IOU_PBUF_RING_MMAP;
	return syscall(__NR_io_uring_register, fd,
		       unregister ? IORING_UNREGISTER_PBUF_RING :
				    IORING_REGISTER_PBUF_RING, &reg, 1);
}

/* Map the one-page kernel-allocated ring of group @bgid. */
static char *pbuf_map(int fd, int bgid)
{
	return mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    IORING_OFF_PBUF_RING |
		    ((unsigned long long)bgid << IORING_OFF_PBUF_SHIFT));
}

/* A ring with its SQ/CQ rings and SQE array mapped (IORING_FEAT_SINGLE_MMAP). */
struct uring {
	int fd;
	struct io_uring_params p;
	char *ring;
	struct io_uring_sqe *sqes;
	size_t ring_sz, sqes_sz;
};

#define URING_U32(u, off)	((unsigned int *)((u)->ring + (u)->p.off))

static int uring_open(struct uring *u)
{
	memset(u, 0, sizeof(*u));
	u->fd = syscall(__NR_io_uring_setup, 8, &u->p);
	if (u->fd < 0)
		return uring_fail("setup");
	if (!(u->p.features & IORING_FEAT_SINGLE_MMAP)) {
		diag("io_uring: no IORING_FEAT_SINGLE_MMAP");
		close(u->fd);
		return 0;
	}
	u->ring_sz = u->p.cq_off.cqes +
		     u->p.cq_entries * sizeof(struct io_uring_cqe);
	if (u->ring_sz < u->p.sq_off.array + u->p.sq_entries * sizeof(unsigned int))
		u->ring_sz = u->p.sq_off.array + u->p.sq_entries * sizeof(unsigned int);
	u->sqes_sz = u->p.sq_entries * sizeof(struct io_uring_sqe);
	u->ring = mmap(NULL, u->ring_sz, PROT_READ | PROT_WRITE, MAP_SHARED,
		       u->fd, IORING_OFF_SQ_RING);
	u->sqes = mmap(NULL, u->sqes_sz, PROT_READ | PROT_WRITE, MAP_SHARED,
		       u->fd, IORING_OFF_SQES);
	if (u->ring == MAP_FAILED || u->sqes == MAP_FAILED) {
		uring_fail("mmap rings");
		close(u->fd);
		return 0;
	}
	return 1;
}

static void uring_unmap(struct uring *u)
{
	munmap(u->sqes, u->sqes_sz);
	munmap(u->ring, u->ring_sz);
}

/*
 * Submit @sqe (its opcode, fd, addr, len, off, buf_index) and wait for its
 * completion.  1 and the completion's result in *@res, or 0.
 */
static int uring_run(struct uring *u, const struct io_uring_sqe *sqe, int *res)
{
	unsigned int *tail = URING_U32(u, sq_off.tail), *head;
	unsigned int idx = *tail & *URING_U32(u, sq_off.ring_mask);
	struct io_uring_cqe *cqe;

	u->sqes[idx] = *sqe;
	u->sqes[idx].user_data = 0x5ca3e + idx;
	URING_U32(u, sq_off.array)[idx] = idx;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, u->fd, 1, 1, IORING_ENTER_GETEVENTS,
		    NULL, 0) != 1)
		return uring_fail("enter");
	head = URING_U32(u, cq_off.head);
	if (*head == __atomic_load_n(URING_U32(u, cq_off.tail), __ATOMIC_ACQUIRE)) {
		diag("io_uring: no completion");
		return 0;
	}
	cqe = (struct io_uring_cqe *)(u->ring + u->p.cq_off.cqes) +
	      (*head & *URING_U32(u, cq_off.ring_mask));
	if (cqe->user_data != 0x5ca3e + idx) {
		diag("io_uring: completion of %llx, not %x",
		     (unsigned long long)cqe->user_data, 0x5ca3e + idx);
		return 0;
	}
	*res = cqe->res;
	__atomic_store_n(head, *head + 1, __ATOMIC_RELEASE);
	return 1;
}

static int uring_nop_and_pbuf(void)
{
	struct io_uring_sqe nop = { .opcode = IORING_OP_NOP };
	size_t pbuf_sz = PAGE;
	unsigned int tail;
	struct uring u;
	char *pbuf;
	int fd, res;

	if (!uring_open(&u))
		return 0;
	fd = u.fd;
	if (!uring_run(&u, &nop, &res))
		return 0;
	if (res != 0) {
		diag("io_uring: NOP completed with %d", res);
		return 0;
	}
	tail = *URING_U32(&u, sq_off.tail);

	if (pbuf_ring(fd, 7, 0))
		return uring_fail("register pbuf ring");
	pbuf = pbuf_map(fd, 7);
	if (pbuf == MAP_FAILED)
		return uring_fail("mmap pbuf ring");
	fill(pbuf, pbuf_sz, 9);
	/* The mmap offsets are cookies, and stay what userspace passed. */
	if (maps_offset(u.sqes) != (long long)IORING_OFF_SQES ||
	    maps_offset(pbuf) != (long long)(IORING_OFF_PBUF_RING | 7ULL << IORING_OFF_PBUF_SHIFT)) {
		diag("io_uring: /proc/self/maps offsets %llx (SQEs), %llx (pbuf ring), not the mmap offsets",
		     maps_offset(u.sqes), maps_offset(pbuf));
		return 0;
	}
	/* Special PTEs (x86_64): the page is the set's, not the mapping's. */
	if (smaps_rss_kb(pbuf) != 0) {
		diag("io_uring: pbuf ring mapping has Rss %ld kB, not 0 (not the set's mapping?)",
		     smaps_rss_kb(pbuf));
		return 0;
	}
	if (pbuf_ring(fd, 7, 1))
		return uring_fail("unregister pbuf ring");
	/* The region is freed; the mapping still holds its pages. */
	if (check(pbuf, pbuf_sz, 9) >= 0) {
		diag("io_uring: pbuf ring data changed after unregister");
		return 0;
	}
	fill(pbuf, pbuf_sz, 10);
	close(fd);
	usleep(200 * 1000);	/* the ring context is freed from a worker */
	if (check(pbuf, pbuf_sz, 10) >= 0 ||
	    *(volatile unsigned int *)URING_U32(&u, sq_off.tail) != tail) {
		diag("io_uring: mappings changed after close");
		return 0;
	}
	munmap(pbuf, pbuf_sz);
	uring_unmap(&u);
	return 1;
}

static void test_io_uring(void)
{
	struct snap base;
	int ok;

	snapshot(&base);
	ok = uring_nop_and_pbuf();
	if (!released("io_uring rings and pbuf ring unmapped", NULL, 0, &base))
		ok = 0;
	result(ok, "io_uring regions mapped through their set outlive unregister and close");
}

/*
 * 10: the race the set closes for io_uring, stressed: a thread keeps
 * zapping (MADV_DONTNEED), faulting in and GUP-reading
 * (process_vm_readv() on ourselves) the newest provided-buffer ring
 * mapping while the main thread registers, maps, fills and unregisters
 * rings, one after the other, and finally closes the ring fd.  Every
 * mapping must keep its data to the end; a region freed under a mapping
 * would show as wrong data or a KASAN report.  Then memory is back.
 */
#define RACE_RINGS	64

static char *race_cur;
static int race_stop;
static unsigned long race_faults, race_gups;

static void *race_thread(void *arg)
{
	char buf[64];

	(void)arg;
	while (!__atomic_load_n(&race_stop, __ATOMIC_ACQUIRE)) {
		char *p = __atomic_load_n(&race_cur, __ATOMIC_ACQUIRE);
		struct iovec l = { buf, sizeof(buf) }, r = { p, sizeof(buf) };

		if (!p)
			continue;
		madvise(p, PAGE, MADV_DONTNEED);
		(void)*(volatile char *)p;
		race_faults++;
		if (process_vm_readv(getpid(), &l, 1, &r, 1, 0) == sizeof(buf))
			race_gups++;
	}
	return NULL;
}

static int uring_race(void)
{
	struct io_uring_params p;
	char *maps[RACE_RINGS];
	pthread_t t;
	int fd, i, ok = 1;

	memset(&p, 0, sizeof(p));
	fd = syscall(__NR_io_uring_setup, 8, &p);
	if (fd < 0)
		return uring_fail("setup");
	if (pthread_create(&t, NULL, race_thread, NULL))
		return uring_fail("pthread_create");
	for (i = 0; i < RACE_RINGS; i++) {
		maps[i] = MAP_FAILED;
		if (pbuf_ring(fd, 3, 0)) {
			ok = uring_fail("register pbuf ring");
			break;
		}
		maps[i] = pbuf_map(fd, 3);
		if (maps[i] == MAP_FAILED) {
			ok = uring_fail("mmap pbuf ring");
			break;
		}
		fill(maps[i], PAGE, 100 + i);
		__atomic_store_n(&race_cur, maps[i], __ATOMIC_RELEASE);
		if (pbuf_ring(fd, 3, 1)) {
			ok = uring_fail("unregister pbuf ring");
			break;
		}
	}
	close(fd);
	usleep(200 * 1000);
	__atomic_store_n(&race_stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	diag("io_uring race: %d rings, %lu faults and %lu GUP reads by the racer",
	     i, race_faults, race_gups);
	while (--i >= 0) {
		if (maps[i] == MAP_FAILED)
			continue;
		if (check(maps[i], PAGE, 100 + i) >= 0) {
			diag("io_uring race: ring %d lost its data", i);
			ok = 0;
		}
		munmap(maps[i], PAGE);
	}
	return ok && race_faults && race_gups;
}

static void test_io_uring_race(void)
{
	struct snap base;
	int ok;

	snapshot(&base);
	ok = uring_race();
	if (!released("io_uring race, rings unmapped", NULL, 0, &base))
		ok = 0;
	result(ok, "io_uring rings freed while faulted and GUP-read stay the set's");
}

/*
 * 11: long-term pins from userspace.  io_uring's fixed buffers are pinned
 * with FOLL_LONGTERM | FOLL_WRITE, through the set (GUP-fast gives up on
 * special PTEs); GUP refuses such pins on file mappings that write-notify.
 * A child maps a kcov area, fills it, registers it as fixed buffer 0 of a
 * ring, forks a grandchild that shares the ring, closes kcov, unmaps and
 * exits with the pins held.  The grandchild, once reparented, closes and
 * unmaps its copies as well: the area is vfree()d (nr_vmalloc drops by
 * the area) and only the pins keep the pages (MemFree does not come
 * back).  It then moves data through the pinned pages, READ_FIXED from a
 * pipe into the middle of the buffer and WRITE_FIXED of three chunks to
 * another pipe, checks what comes out, and exits: the ring goes and
 * unpins.  Then the memory must be back.
 */
#define PIN_CHUNK	(4 * PAGE)

static int pin_io(struct uring *u, char *a)
{
	static unsigned long in[PIN_CHUNK / sizeof(long)], out[3][PIN_CHUNK / sizeof(long)];
	static const unsigned long offs[3] = { 0, AREA / 2, AREA - PIN_CHUNK };
	static const unsigned long seeds[3] = { 11, 12, 11 };
	struct io_uring_sqe sqe;
	int pin[2], pout[2], i, res;

	if (pipe(pin) || pipe(pout))
		return uring_fail("pipe");
	fill(in, PIN_CHUNK, 12);
	if (write(pin[1], in, PIN_CHUNK) != (ssize_t)PIN_CHUNK)
		return uring_fail("pipe write");
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_READ_FIXED;
	sqe.fd = pin[0];
	sqe.addr = (uintptr_t)a + AREA / 2;
	sqe.len = PIN_CHUNK;
	if (!uring_run(u, &sqe, &res))
		return 0;
	if (res != (int)PIN_CHUNK) {
		diag("pins: READ_FIXED into the pinned pages: %d", res);
		return 0;
	}
	for (i = 0; i < 3; i++) {
		memset(&sqe, 0, sizeof(sqe));
		sqe.opcode = IORING_OP_WRITE_FIXED;
		sqe.fd = pout[1];
		sqe.addr = (uintptr_t)a + offs[i];
		sqe.len = PIN_CHUNK;
		if (!uring_run(u, &sqe, &res))
			return 0;
		if (res != (int)PIN_CHUNK) {
			diag("pins: WRITE_FIXED from offset %#lx: %d", offs[i], res);
			return 0;
		}
		if (read(pout[0], out[i], PIN_CHUNK) != (ssize_t)PIN_CHUNK)
			return uring_fail("pipe read");
		/* The area was filled from its start: index from there. */
		if (seeds[i] == 11 && offs[i]) {
			unsigned long j, w = offs[i] / sizeof(long);

			for (j = 0; j < PIN_CHUNK / sizeof(long); j++)
				if (out[i][j] != pattern(w + j, 11))
					break;
			if (j < PIN_CHUNK / sizeof(long)) {
				diag("pins: word %lu at offset %#lx changed", j, offs[i]);
				return 0;
			}
		} else if (check(out[i], PIN_CHUNK, seeds[i]) >= 0) {
			diag("pins: wrong data from offset %#lx", offs[i]);
			return 0;
		}
	}
	return 1;
}

/* The grandchild: wait to be reparented, drop kcov, check, do the I/O. */
static int pin_grandchild(struct uring *u, char *a, int kfd, pid_t child,
			  const struct snap *base)
{
	struct snap now;
	int try;

	while (getppid() == child)
		usleep(10 * 1000);
	close(kfd);
	munmap(a, AREA);
	for (try = 0; try < RETRIES; try++) {
		usleep(200 * 1000);
		snapshot(&now);
		if (now.nr_vmalloc - base->nr_vmalloc < (long)AREA_PAGES / 2)
			break;
	}
	diag("pins only: nr_vmalloc %+ld pages, MemFree %+ld kB",
	     now.nr_vmalloc - base->nr_vmalloc, now.memfree_kb - base->memfree_kb);
	if (try == RETRIES) {
		diag("pins: the area was not vfree()d");
		return 0;
	}
	if (base->memfree_kb - now.memfree_kb < (long)(AREA / 2 / 1024)) {
		diag("pins: the pinned pages were freed");
		return 0;
	}
	return pin_io(u, a);
}

static void test_longterm_pin(void)
{
	int ok = 0, gc_ok;
	struct snap base;
	pid_t pid;

	snapshot(&base);
	pid = fork();
	if (pid == 0) {
		struct iovec iov;
		struct uring u;
		int kfd, res;
		char *a;
		pid_t gc, me = getpid();

		a = kcov_map(AREA, &kfd);
		if (!a)
			_exit(20);
		fill(a, AREA, 11);
		if (!uring_open(&u))
			_exit(21);
		iov.iov_base = a;
		iov.iov_len = AREA;
		res = syscall(__NR_io_uring_register, u.fd,
			      IORING_REGISTER_BUFFERS, &iov, 1);
		if (res) {
			uring_fail("register the kcov area as a fixed buffer");
			_exit(22);
		}
		gc = fork();
		if (gc == 0)
			_exit(pin_grandchild(&u, a, kfd, me, &base) ? 30 : 31);
		close(kfd);
		munmap(a, AREA);
		_exit(gc > 0 ? 0 : 23);
	}
	gc_ok = reap_family("pins", pid, "31: the diagnostics above");
	if (gc_ok == 1 && released("pinned area, everyone exited", NULL, 0, &base))
		ok = 1;
	result(ok, "FOLL_LONGTERM pins (io_uring fixed buffer) outlive fork, exit, munmap and vfree()");
}

int main(void)
{
	int fd;
	void *p;

	guest_start(USERTEST_PLAN);
	/* Warm up: first-use allocations are not leaks. */
	p = kcov_map(AREA, &fd);
	if (p) {
		fill(p, AREA, 0);
		close(fd);
		munmap(p, AREA);
	}
	test_close_second_mapping();
	test_fork();
	test_mremap();
	test_map_fixed();
	test_exit();
	test_remote();
	test_fault_injection();
	test_gup_pipe();
	test_io_uring();
	test_io_uring_race();
	test_longterm_pin();
	guest_done();
	return 0;
}
