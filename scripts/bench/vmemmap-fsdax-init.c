// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the initramfs that scripts/bench/vmemmap-fsdax.sh boots in QEMU:
 * ext4 with -o dax on /dev/pmem0, the raw namespace of the legacy pmem
 * region that the kernel parameter memmap=<size>!<start> creates.
 *
 * 1. Records the memmap figures at boot (nd_pmem is built in, so the
 *    namespace is probed before /init runs), then unbinds the namespace
 *    from nd_pmem and binds it again, recording both: the difference is
 *    the memmap of the namespace.
 * 2. mke2fs (Debian's, with its libraries in the initramfs) and mount
 *    -o dax; every file made later must carry STATX_ATTR_DAX.
 * 3. File I/O: files written with write() and a known pattern, fsync,
 *    read back with read(), every byte compared.
 * 4. mmap: MAP_SHARED files written through the mapping (one sparse,
 *    one over blocks written by write(), one MAP_SYNC), msync, munmap,
 *    checked with read() and through a new read-only mapping.
 * 5. Touched fractions: one large file, written with write(); for each
 *    fraction the file system is mounted again (the inode and its DAX
 *    entries are gone), the file is mapped with 4 KiB faults only and the
 *    given share of its pages is read through the mapping, evenly spread
 *    and checked.  The figures are recorded with the mapping in place.
 *    A pass reads every page through a 2 MiB aligned mapping, where
 *    the fault handler may use PMD entries; the last ones read the first
 *    1, 10 and 50 % of the pages.
 * 6. Teardown: unmount, unbind (the memmap must go away again), bind,
 *    mount, check every file written before, unmount.
 *
 * With nd_pmem.vmemmap_ondemand=1 (/sys/module/nd_pmem/parameters) the
 * namespace's memmap is allocated on demand: the probe must add none,
 * each fraction starts with every chunk reclaimed (the remount dropped
 * the file's DAX entries and with them their pins), reclaim at limit 0
 * must take none while the file is mapped, nor after munmap while the
 * entries remain, and teardown must free exactly the chunks still live.
 * Last, memory-failure on an untouched pfn (hard_offline_page) must read
 * the placeholder and give up without writing it.
 *
 * A measurement is one line "fsdax: result <point> <key>=<value>...";
 * a failed check prints "fsdax: FAIL <what>", the end "fsdax: done".
 * The kernel log is copied from /dev/kmsg as "fsdax: kmsg<prio>: <text>"
 * (the guest boots with "quiet").  Then it powers off.
 *
 * Build: gcc -static -O2 -Wall -o init vmemmap-fsdax-init.c
 */

#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/wait.h>

#include "bench-guest.h"

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX		0x00200000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC		0x80000
#endif

#define MNT		"/mnt"
#define DEV		"/dev/pmem0"
#define MKE2FS		"/sbin/mke2fs"
#define ND_DRV		"/sys/bus/nd/drivers/nd_pmem"
#define PAGE		4096UL
#define PMD		(2UL << 20)
#define BUF_SIZE	(1UL << 20)
#define BIG_FILE	MNT "/big"
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static char ns_name[256];
static int ondemand;		/* nd_pmem.vmemmap_ondemand */
#define OD_DIR		"/sys/kernel/debug/vmemmap_ondemand"

struct figures {
	long mem_total;		/* kB */
	long mem_free;		/* kB */
	long page_tables;	/* kB */
	long memmap;		/* pages */
	long memmap_boot;	/* pages */
	long od_live;		/* materialised chunks, -1 without debugfs */
};

/*
 * One "result" line: meminfo, the memmap counters, every vmemmap_od_
 * event and the on-demand debugfs files that exist.
 */
static void record(const char *point, struct figures *fig)
{
	static const char *const dbg[] = { "live_chunks", "pgtable_pages",
					   "limit_pages", NULL };
	char line[1024], extra[768], val[64], path[128];
	struct figures f;
	size_t n = 0;
	FILE *vm;
	int i;

	drain_kmsg();
	f.mem_total = read_field("/proc/meminfo", "MemTotal");
	f.mem_free = read_field("/proc/meminfo", "MemFree");
	f.page_tables = read_field("/proc/meminfo", "PageTables");
	f.memmap = read_field("/proc/vmstat", "nr_memmap_pages");
	f.memmap_boot = read_field("/proc/vmstat", "nr_memmap_boot_pages");
	f.od_live = read_str(OD_DIR "/live_chunks", val, sizeof(val)) ? -1 :
		    strtol(val, NULL, 10);
	extra[0] = '\0';
	vm = fopen("/proc/vmstat", "r");
	while (vm && fgets(line, sizeof(line), vm)) {
		if (strncmp(line, "vmemmap_od_", 11) ||
		    n >= sizeof(extra) - 64)
			continue;
		line[strcspn(line, "\n")] = '\0';
		*strchr(line, ' ') = '=';
		n += snprintf(extra + n, sizeof(extra) - n, " %s", line);
	}
	if (vm)
		fclose(vm);
	for (i = 0; dbg[i]; i++) {
		snprintf(path, sizeof(path),
			 "/sys/kernel/debug/vmemmap_ondemand/%s", dbg[i]);
		if (!read_str(path, val, sizeof(val)) &&
		    n < sizeof(extra) - 64)
			n += snprintf(extra + n, sizeof(extra) - n,
				      " od_%s=%s", dbg[i], val);
	}
	say("result %s MemTotal=%ld MemFree=%ld PageTables=%ld nr_memmap_pages=%ld nr_memmap_boot_pages=%ld%s",
	    point, f.mem_total, f.mem_free, f.page_tables, f.memmap,
	    f.memmap_boot, extra);
	if (fig)
		*fig = f;
}

/* Run @argv, wait; 0 when it exited with 0. */
static int run(char *const argv[])
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		static char *const envp[] = { "PATH=/sbin:/bin", NULL };

		execve(argv[0], argv, envp);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* The 64-bit word @idx of the pattern with seed @seed. */
static uint64_t pattern(uint64_t seed, uint64_t idx)
{
	uint64_t x = (seed << 40) ^ idx;

	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ULL;
	x ^= x >> 29;
	return x | 1;
}

/* Fill @buf with the bytes at file offsets [@off, @off + @len). */
static void fill(unsigned char *buf, size_t len, uint64_t seed, uint64_t off)
{
	size_t i = 0;

	/* Whole words while both ends allow it (x86: unaligned is fine). */
	if (off % 8 == 0) {
		for (; i + 8 <= len; i += 8) {
			uint64_t w = pattern(seed, (off + i) / 8);

			memcpy(buf + i, &w, 8);
		}
	}
	while (i < len) {
		uint64_t w = pattern(seed, (off + i) / 8);
		unsigned int b = (off + i) % 8;

		for (; b < 8 && i < len; b++, i++)
			buf[i] = w >> (8 * b);
	}
}

static unsigned char *buf, *want;

static int write_pattern_file(const char *path, size_t size, uint64_t seed)
{
	size_t done = 0;
	int fd;

	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0) {
		fail("create %s: %s", path, strerror(errno));
		return -1;
	}
	while (done < size) {
		size_t len = size - done < BUF_SIZE ? size - done : BUF_SIZE;
		ssize_t n;

		fill(buf, len, seed, done);
		n = write(fd, buf, len);
		if (n <= 0) {
			fail("write %s at %zu: %s", path, done,
			     n < 0 ? strerror(errno) : "short");
			close(fd);
			return -1;
		}
		done += n;
	}
	if (fsync(fd)) {
		fail("fsync %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Compare @len bytes at file offset @off; report the first difference. */
static int compare(const char *what, const unsigned char *got, size_t len,
		   uint64_t seed, uint64_t off)
{
	size_t i;

	fill(want, len, seed, off);
	if (!memcmp(got, want, len))
		return 0;
	for (i = 0; i < len && got[i] == want[i]; i++)
		;
	fail("%s: byte %llu is 0x%02x, want 0x%02x", what,
	     (unsigned long long)(off + i), got[i], want[i]);
	return -1;
}

static int check_file_read(const char *path, size_t size, uint64_t seed)
{
	size_t done = 0;
	struct stat st;
	int fd, ret = 0;

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fail("open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || (size_t)st.st_size != size) {
		fail("%s: size %lld, want %zu", path, (long long)st.st_size,
		     size);
		close(fd);
		return -1;
	}
	while (done < size && !ret) {
		size_t len = size - done < BUF_SIZE ? size - done : BUF_SIZE;
		ssize_t n = read(fd, buf, len);

		if (n <= 0) {
			fail("read %s at %zu: %s", path, done,
			     n < 0 ? strerror(errno) : "short");
			ret = -1;
			break;
		}
		ret = compare(path, buf, n, seed, done);
		done += n;
	}
	close(fd);
	return ret;
}

static int check_map(const char *what, const unsigned char *p, size_t size,
		     uint64_t seed)
{
	size_t off;

	for (off = 0; off < size; off += BUF_SIZE) {
		size_t len = size - off < BUF_SIZE ? size - off : BUF_SIZE;

		if (compare(what, p + off, len, seed, off))
			return -1;
	}
	return 0;
}

/* The file must be DAX: statx attribute, checked on every new file. */
static int check_dax(const char *path)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &stx)) {
		fail("statx %s: %s", path, strerror(errno));
		return -1;
	}
	if (!(stx.stx_attributes_mask & STATX_ATTR_DAX) ||
	    !(stx.stx_attributes & STATX_ATTR_DAX)) {
		fail("%s is not DAX (statx attributes 0x%llx mask 0x%llx)",
		     path, (unsigned long long)stx.stx_attributes,
		     (unsigned long long)stx.stx_attributes_mask);
		return -1;
	}
	return 0;
}

static int do_mount(void)
{
	char line[512];
	int found = 0;
	FILE *f;

	if (mount(DEV, MNT, "ext4", 0, "dax")) {
		fail("mount -o dax %s: %s", DEV, strerror(errno));
		return -1;
	}
	f = fopen("/proc/mounts", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, DEV " " MNT " ext4 ", 16) &&
		    strstr(line, "dax"))
			found = 1;
	}
	if (f)
		fclose(f);
	if (!found) {
		fail("%s is not mounted with dax in /proc/mounts", MNT);
		return -1;
	}
	return 0;
}

static int do_umount(void)
{
	if (umount(MNT)) {
		fail("umount %s: %s", MNT, strerror(errno));
		return -1;
	}
	return 0;
}

static int wait_dev(int present)
{
	int i;

	for (i = 0; i < 100; i++) {
		if ((access(DEV, F_OK) == 0) == present)
			return 0;
		usleep(50000);
	}
	fail("%s did not %s", DEV, present ? "appear" : "go away");
	return -1;
}

static int ns_bind(int bind)
{
	if (write_file(bind ? ND_DRV "/bind" : ND_DRV "/unbind", ns_name)) {
		fail("%s %s: %s", bind ? "bind" : "unbind", ns_name,
		     strerror(errno));
		return -1;
	}
	return wait_dev(bind);
}

/*
 * Unbind the namespace, check that its memmap is freed, bind it again and
 * check that it comes back.  @tag names the result lines.  Sets *@memmap
 * to the nr_memmap_pages difference.
 */
static int unbind_rebind(const char *tag, long expect, long *memmap)
{
	struct figures bound, unbound, rebound;
	char point[64];
	long d;

	snprintf(point, sizeof(point), "%s-bound", tag);
	record(point, &bound);
	if (ns_bind(0))
		return -1;
	snprintf(point, sizeof(point), "%s-unbound", tag);
	record(point, &unbound);
	if (ns_bind(1))
		return -1;
	snprintf(point, sizeof(point), "%s-rebound", tag);
	record(point, &rebound);
	d = bound.memmap - unbound.memmap;
	*memmap = d;
	say("result %s-delta memmap_pages_freed=%ld memmap_pages_added=%ld memfree_kb_on_unbind=%ld memfree_kb_on_bind=%ld expected_memmap_pages=%ld",
	    tag, d, rebound.memmap - unbound.memmap,
	    unbound.mem_free - bound.mem_free,
	    unbound.mem_free - rebound.mem_free, expect);
	if (ondemand) {
		/* Unbind frees the live chunks, bind allocates none. */
		if (d != bound.od_live || unbound.od_live)
			fail("%s: unbind freed %ld memmap pages with %ld chunks live, %ld left",
			     tag, d, bound.od_live, unbound.od_live);
		if (rebound.memmap != unbound.memmap || rebound.od_live)
			fail("%s: bind added %ld memmap pages (%ld chunks)",
			     tag, rebound.memmap - unbound.memmap,
			     rebound.od_live);
		return 0;
	}
	if (d <= 0)
		fail("%s: unbind freed no memmap (nr_memmap_pages %ld -> %ld)",
		     tag, bound.memmap, unbound.memmap);
	if (rebound.memmap - unbound.memmap != d)
		fail("%s: bind added %ld memmap pages, unbind freed %ld", tag,
		     rebound.memmap - unbound.memmap, d);
	if (d != expect)
		say("note: %s: %ld memmap pages, not %ld (64 bytes per page)",
		    tag, d, expect);
	if ((unbound.mem_free - bound.mem_free) * 1024 < d * (long)PAGE / 2)
		say("note: %s: MemFree rose by %ld kB only on unbind", tag,
		    unbound.mem_free - bound.mem_free);
	return 0;
}

struct file_spec {
	const char *name;
	size_t size;
	uint64_t seed;
};

static const struct file_spec io_files[] = {
	{ MNT "/io-4k", 4096, 1 },
	{ MNT "/io-odd", (1 << 20) + 4097, 2 },
	{ MNT "/io-2m", 2 << 20, 3 },
	{ MNT "/io-17m", (17 << 20) + 100, 4 },
	{ MNT "/io-1", 1, 5 },
	{ MNT "/io-1m", 1 << 20, 6 },
};

#define NR_IO	ARRAY_SIZE(io_files)

static void test_file_io(void)
{
	unsigned int i;

	for (i = 0; i < NR_IO; i++) {
		if (write_pattern_file(io_files[i].name, io_files[i].size,
			       io_files[i].seed))
			continue;
		check_dax(io_files[i].name);
	}
	/* Every byte, through read(), after all of them are written. */
	for (i = 0; i < NR_IO; i++)
		check_file_read(io_files[i].name, io_files[i].size,
				io_files[i].seed);
	say("file-io %u files checked", (unsigned int)NR_IO);
}

static const struct file_spec map_files[] = {
	/* sparse (ftruncate), odd size: write faults allocate blocks */
	{ MNT "/map-sparse", (3 << 20) + 5000, 11 },
	/* over blocks written by write(): write faults on mapped blocks */
	{ MNT "/map-written", 8 << 20, 12 },
	/* MAP_SYNC: ext4 takes it only on a DAX file */
	{ MNT "/map-sync", 4 << 20, 13 },
};

#define NR_MAP	ARRAY_SIZE(map_files)

static int map_write(const struct file_spec *s, int sync)
{
	unsigned char *p;
	size_t off;
	int fd;

	fd = open(s->name, O_CREAT | O_RDWR, 0644);
	if (fd < 0 || ftruncate(fd, s->size)) {
		fail("create %s: %s", s->name, strerror(errno));
		goto err;
	}
	p = mmap(NULL, s->size, PROT_READ | PROT_WRITE,
		 sync ? MAP_SHARED_VALIDATE | MAP_SYNC : MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fail("mmap%s %s: %s", sync ? " MAP_SYNC" : "", s->name,
		     strerror(errno));
		goto err;
	}
	for (off = 0; off < s->size; off += BUF_SIZE) {
		size_t len = s->size - off < BUF_SIZE ? s->size - off :
			     BUF_SIZE;

		fill(p + off, len, s->seed, off);
	}
	if (msync(p, s->size, MS_SYNC))
		fail("msync %s: %s", s->name, strerror(errno));
	munmap(p, s->size);
	close(fd);
	return check_dax(s->name);
err:
	if (fd >= 0)
		close(fd);
	return -1;
}

static int map_check(const char *name, size_t size, uint64_t seed)
{
	unsigned char *p;
	int fd, ret;

	fd = open(name, O_RDONLY);
	if (fd < 0) {
		fail("open %s: %s", name, strerror(errno));
		return -1;
	}
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		fail("mmap %s: %s", name, strerror(errno));
		return -1;
	}
	ret = check_map(name, p, size, seed);
	munmap(p, size);
	return ret;
}

static void test_mmap(void)
{
	const struct file_spec *w = &map_files[1];
	unsigned int i;

	/* map-written: first written with write() and another pattern. */
	write_pattern_file(w->name, w->size, w->seed + 100);
	for (i = 0; i < NR_MAP; i++)
		map_write(&map_files[i], i == 2);
	for (i = 0; i < NR_MAP; i++) {
		check_file_read(map_files[i].name, map_files[i].size,
				map_files[i].seed);
		map_check(map_files[i].name, map_files[i].size,
			  map_files[i].seed);
	}
	/* A read-only touch of files written with write(). */
	for (i = 0; i < NR_IO; i++)
		map_check(io_files[i].name, io_files[i].size,
			  io_files[i].seed);
	say("mmap %u files written through mappings, %u read through them",
	    (unsigned int)NR_MAP, (unsigned int)(NR_MAP * 2 + NR_IO));
}

#define BIG_SEED	21

/*
 * Map @size bytes of @fd read-only.  With @pte_only the mapping starts
 * 4 KiB past a 2 MiB boundary while the file offset is 0, so no PMD
 * entry can map it: every fault is a 4 KiB fault.
 */
static unsigned char *map_big(int fd, size_t size, int pte_only,
			      unsigned char **area)
{
	unsigned char *p;
	uintptr_t a;

	*area = mmap(NULL, size + 2 * PMD, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (*area == MAP_FAILED)
		return MAP_FAILED;
	a = ((uintptr_t)*area + PMD - 1) & ~(PMD - 1);
	if (pte_only)
		a += PAGE;
	p = mmap((void *)a, size, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED)
		munmap(*area, size + 2 * PMD);
	return p;
}

static long od_live(void)
{
	char val[64];

	return read_str(OD_DIR "/live_chunks", val, sizeof(val)) ? -1 :
	       strtol(val, NULL, 10);
}

/*
 * Reclaim every idle chunk (limit 0, then no limit again); the number of
 * chunks still live.
 */
static long od_reclaim_all(void)
{
	long live;

	if (write_file(OD_DIR "/limit_pages", "0"))
		fail("write 0 to limit_pages: %s", strerror(errno));
	live = od_live();
	if (write_file(OD_DIR "/limit_pages", "18446744073709551615"))
		fail("unlimit limit_pages: %s", strerror(errno));
	return live;
}

/* Reclaim at limit 0 must leave the @want chunks of a mapped file. */
static void od_check_pinned(const char *what, long want)
{
	long live = od_reclaim_all();

	if (live != want)
		fail("%s: reclaim left %ld chunks of %ld in use", what, live,
		     want);
}

/*
 * Read the first word of @pct percent of the pages of the big file
 * (@pct 0-100), spread evenly or the first ones (@clustered), through a
 * fresh mapping on a fresh mount.
 */
static void touch_fraction(const char *label, size_t size, unsigned int pct,
			   int pte_only, int clustered)
{
	unsigned long pages = size / PAGE, n, i, bad = 0;
	char point[64];
	unsigned char *p, *area;
	double t0;
	int fd;

	if (do_umount() || do_mount())
		return;
	/* The remount dropped the file's entries, and their pins. */
	if (ondemand && od_reclaim_all())
		fail("touch %s: %ld chunks live after remount and reclaim",
		     label, od_live());
	fd = open(BIG_FILE, O_RDONLY);
	if (fd < 0) {
		fail("open %s: %s", BIG_FILE, strerror(errno));
		return;
	}
	snprintf(point, sizeof(point), "touch-%s-before", label);
	record(point, NULL);
	p = map_big(fd, size, pte_only, &area);
	close(fd);
	if (p == MAP_FAILED) {
		fail("mmap %s: %s", BIG_FILE, strerror(errno));
		return;
	}
	n = pages * pct / 100;
	t0 = now_sec();
	for (i = 0; i < n; i++) {
		unsigned long pg = clustered ? i : i * pages / n;
		/* volatile: the load is the point, it faults the page in */
		uint64_t w = *(volatile uint64_t *)(p + pg * PAGE);

		if (w != pattern(BIG_SEED, pg * PAGE / 8) && !bad++)
			fail("%s page %lu: 0x%llx", BIG_FILE, pg,
			     (unsigned long long)w);
	}
	say("touch %s: %lu of %lu pages in %.2fs%s%s", label, n, pages,
	    now_sec() - t0, pte_only ? ", 4 KiB faults only" :
	    ", 2 MiB aligned mapping", clustered ? ", the first ones" : "");
	snprintf(point, sizeof(point), "touch-%s-mapped", label);
	record(point, NULL);
	if (ondemand) {
		long live = od_live();

		if (n && live <= 0)
			fail("touch %s: %lu pages mapped, %ld chunks", label,
			     n, live);
		/* Mapped, then unmapped but still in the file's entries. */
		snprintf(point, sizeof(point), "touch %s mapped", label);
		od_check_pinned(point, live);
		for (i = 0; i < n; i++) {
			unsigned long pg = clustered ? i : i * pages / n;
			uint64_t w = *(volatile uint64_t *)(p + pg * PAGE);

			if (w != pattern(BIG_SEED, pg * PAGE / 8) && !bad++)
				fail("%s page %lu after reclaim: 0x%llx",
				     BIG_FILE, pg, (unsigned long long)w);
		}
		munmap(area, size + 2 * PMD);
		snprintf(point, sizeof(point), "touch %s unmapped", label);
		od_check_pinned(point, live);
	} else {
		munmap(area, size + 2 * PMD);
	}
	snprintf(point, sizeof(point), "touch-%s-unmapped", label);
	record(point, NULL);
}

/*
 * memory_failure() of a pmem pfn that no file maps: with an on-demand
 * memmap its struct page is a placeholder, which memory-failure reads
 * (folio->mapping is NULL: -EBUSY, as for an idle pfn with an eager
 * memmap) and must never write.
 */
static void offline_untouched(unsigned long long phys)
{
	unsigned long w0 = read_field("/proc/vmstat", "vmemmap_od_stub_write");
	char val[32];
	int err = 0;

	snprintf(val, sizeof(val), "%#llx", phys);
	if (write_file("/sys/devices/system/memory/hard_offline_page", val))
		err = errno;
	say("hard_offline_page %s: %s", val, err ? strerror(err) : "done");
	if (ondemand &&
	    read_field("/proc/vmstat", "vmemmap_od_stub_write") != (long)w0)
		fail("hard_offline_page %s wrote a placeholder", val);
	record("offlined", NULL);
}

static size_t make_big(void)
{
	struct statfs sfs;
	size_t size;
	double t0;

	if (statfs(MNT, &sfs)) {
		fail("statfs %s: %s", MNT, strerror(errno));
		return 0;
	}
	/* Three quarters of the free space, whole 2 MiB units. */
	size = (size_t)sfs.f_bavail * sfs.f_bsize / 4 * 3 & ~(PMD - 1);
	t0 = now_sec();
	if (write_pattern_file(BIG_FILE, size, BIG_SEED) || check_dax(BIG_FILE))
		return 0;
	say("big file %zu bytes (%zu pages) of %llu free, written in %.2fs",
	    size, size / PAGE,
	    (unsigned long long)sfs.f_bavail * sfs.f_bsize, now_sec() - t0);
	return size;
}

static void check_all(const char *when, size_t big)
{
	unsigned int i;
	double t0 = now_sec();

	for (i = 0; i < NR_IO; i++)
		check_file_read(io_files[i].name, io_files[i].size,
				io_files[i].seed);
	for (i = 0; i < NR_MAP; i++)
		check_file_read(map_files[i].name, map_files[i].size,
				map_files[i].seed);
	if (big)
		check_file_read(BIG_FILE, big, BIG_SEED);
	say("%s: %u files checked with read() in %.2fs", when,
	    (unsigned int)(NR_IO + NR_MAP + !!big), now_sec() - t0);
}

static int find_namespace(long *pages)
{
	char link[256], val[64], *p;
	ssize_t n;

	if (wait_dev(1))
		return -1;
	n = readlink("/sys/block/pmem0/device", link, sizeof(link) - 1);
	if (n <= 0) {
		fail("readlink /sys/block/pmem0/device: %s", strerror(errno));
		return -1;
	}
	link[n] = '\0';
	p = strrchr(link, '/');
	snprintf(ns_name, sizeof(ns_name), "%s", p ? p + 1 : link);
	if (read_str("/sys/block/pmem0/size", val, sizeof(val))) {
		fail("no /sys/block/pmem0/size");
		return -1;
	}
	*pages = strtol(val, NULL, 10) * 512 / PAGE;
	if (read_str("/sys/block/pmem0/queue/dax", val, sizeof(val)) ||
	    strcmp(val, "1")) {
		fail("/sys/block/pmem0/queue/dax is %s, not 1: no struct pages, no FS_DAX",
		     val);
		return -1;
	}
	say("pmem0: namespace %s, %ld pages, queue/dax 1 (FS_DAX capable)",
	    ns_name, *pages);
	return 0;
}

int main(void)
{
	static char *const mke2fs[] = {
		MKE2FS, "-q", "-F", "-t", "ext4", "-b", "4096",
		"-E", "lazy_itable_init=0,lazy_journal_init=0,nodiscard",
		DEV, NULL
	};
	long pages, memmap, memmap2;
	unsigned long long pmem_start;
	char path[320], val[64];
	size_t big = 0;
	double t0;

	bench_setup("fsdax", 0);
	mkdir(MNT, 0755);
	say("start");
	buf = malloc(BUF_SIZE);
	want = malloc(BUF_SIZE);
	if (!buf || !want) {
		fail("malloc");
		goto out;
	}
	record("boot", NULL);
	if (find_namespace(&pages))
		goto out;
	ondemand = !read_str("/sys/module/nd_pmem/parameters/vmemmap_ondemand",
			     val, sizeof(val)) && val[0] == 'Y';
	say("memmap of the namespace: %s", ondemand ? "on demand" : "eager");
	snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/resource", ns_name);
	if (read_str(path, val, sizeof(val))) {
		fail("no %s", path);
		goto out;
	}
	pmem_start = strtoull(val, NULL, 0);
	if (ondemand && od_live() < 0) {
		fail("no %s/live_chunks", OD_DIR);
		goto out;
	}

	/* The memmap of the namespace: it was set up at boot. */
	if (unbind_rebind("probe", ondemand ? 0 : pages / 64, &memmap))
		goto out;
	say("result memmap namespace_pages=%ld memmap_pages=%ld memmap_bytes=%ld bytes_per_page=%ld",
	    pages, memmap, memmap * (long)PAGE, memmap * (long)PAGE / pages);

	t0 = now_sec();
	if (run(mke2fs)) {
		fail("%s %s", MKE2FS, DEV);
		goto out;
	}
	say("mke2fs %.2fs", now_sec() - t0);
	if (do_mount())
		goto out;
	record("mounted", NULL);

	test_file_io();
	record("file-io", NULL);
	test_mmap();
	record("mmap", NULL);

	big = make_big();
	record("big-written", NULL);
	if (big) {
		touch_fraction("0", big, 0, 1, 0);
		touch_fraction("1", big, 1, 1, 0);
		touch_fraction("10", big, 10, 1, 0);
		touch_fraction("50", big, 50, 1, 0);
		touch_fraction("100", big, 100, 1, 0);
		touch_fraction("100-pmd", big, 100, 0, 0);
		/* The same shares, clustered at the start of the file. */
		touch_fraction("1-first", big, 1, 1, 1);
		touch_fraction("10-first", big, 10, 1, 1);
		touch_fraction("50-first", big, 50, 1, 1);
	}

	/* Teardown and back: the data must survive an unbind. */
	if (do_umount())
		goto out;
	if (unbind_rebind("teardown", pages / 64, &memmap2))
		goto out;
	if (!ondemand && memmap2 != memmap)
		fail("teardown freed %ld memmap pages, probe %ld", memmap2,
		     memmap);
	if (do_mount())
		goto out;
	record("remounted", NULL);
	check_all("after unbind/bind", big);
	if (do_umount())
		goto out;
	/* The last page of the namespace: no file is mapped there. */
	offline_untouched(pmem_start + (unsigned long long)(pages - 1) * PAGE);
	record("end", NULL);
out:
	drain_kmsg();
	say("%s", failures ? "failed" : "passed");
	if (!failures)
		say("done");
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
