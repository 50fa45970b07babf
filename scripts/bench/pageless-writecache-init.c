// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the initramfs that scripts/bench/pageless-writecache.sh boots
 * in QEMU: dm-writecache in pmem mode ("p"), its cache /dev/pmem0 (the
 * raw namespace of the legacy pmem region that memmap=<size>!<start>
 * creates), its origin /dev/nvme0n1 (QEMU's emulated NVMe disk, a fresh
 * all-zero image each boot) or the disk pwc.origin= names (ram0: brd).  Debian's dmsetup and fio, with their
 * libraries, are in the initramfs.
 *
 *  1. boot: /proc/meminfo and /proc/vmstat figures; /dev/pmem0 and
 *     the origin must exist; queue/dax of pmem0 is reported.
 *  2. memmap: the namespace is unbound from nd_pmem and bound again; the
 *     nr_memmap_pages and MemFree differences are its memmap.  What is
 *     expected follows pwc.memmap= on the kernel command line: "eager"
 *     (the default: about one page of memmap per 64 pages of pmem),
 *     "none" (no memmap at all, the page-less kernel) or "any".
 *     With pwc.force_raw=1 the namespace's force_raw is set (and it is
 *     probed again) before this step: the whole run is then on a
 *     namespace without struct pages.
 * 2a. raw-probe (pwc.raw_probe=1, the default, and no pwc.force_raw):
 *     force_raw is set, the namespace probed again without a memmap, and
 *     the same "dmsetup create" tried on it; its outcome is recorded, not
 *     judged.  Then force_raw is cleared and the memmap must come back.
 *  3. create: the first 4 KiB of pmem0 are zeroed (a new cache) and
 *     "dmsetup create wc" loads "writecache p /dev/nvme0n1 /dev/pmem0
 *     4096 0" over the whole origin.  With pwc.refuse=1 the origin cannot
 *     take page-less writeback (nvme-pci under swiotlb=force): the create
 *     must fail, and the run goes on at step 12.
 *  4. fio-a: random 4 KiB writes with crc32c verification headers over
 *     pwc.a percent of the cache's size (default 10), read back and
 *     checked through /dev/mapper/wc.  Below the default watermarks
 *     (50/45) it all stays cached.
 *  5. flush-a: "dmsetup message wc 0 flush" writes every cached block
 *     back to the origin (the bios that part 1 makes page-less); the
 *     status must show no error, no block in use and none in writeback.
 *  6. reload: suspend, reload with high_watermark pwc.high and
 *     low_watermark pwc.low (default 45 and 40), resume; the table must
 *     show the new watermarks.
 *  7. fio-b: writes of mixed sizes (4 KiB to 128 KiB), pwc.b percent of
 *     the cache (default 10), on the origin range after fio-a's; checked
 *     as fio-a.  With pwc.high below pwc.b, writeback runs while fio
 *     writes.
 *  8. flush-b: as flush-a.
 *  9. remove: "dmsetup remove wc".
 * 10. origin: both fio jobs again with --verify_only on the origin: the
 *     data must have reached the origin.
 * 11. teardown (only with pwc.teardown=1 on the command line): wc is
 *     loaded again over the clean cache, the namespace is unbound while
 *     wc holds it, and what follows is recorded: the unbind's result,
 *     dmsetup status, a read and a write through wc, the flush message,
 *     dmsetup remove, the bind.  With pwc.memmap=none (the namespace has
 *     no struct pages and wc holds its page-less range) it is checked
 *     instead: the unbind must wait until "dmsetup remove", wc must stay
 *     readable meanwhile, and the namespace must bind again.
 * 12. dma-api: /sys/kernel/debug/dma-api/error_count must be 0.
 *
 * Output: "pwc: result <point> <key>=<value>..." figures, "pwc: status
 * <when> <dmsetup status>", "pwc: fio <job> ..." summaries, "pwc: step
 * <name> ok|failed <seconds>s", "pwc: FAIL <what>" for every failed
 * check and "ok N"/"not ok N" (scripts/gates/guest/guest.h) per step; the
 * commands' own output as "pwc: <command>| <line>"; the kernel log from
 * /dev/kmsg as "pwc: kmsg<prio>: <text>" (the guest boots with "quiet").
 * The end: "pwc: passed" or "pwc: failed", then "pwc: done".
 *
 * Build: gcc -static -O2 -Wall -I scripts/gates/guest -o init
 *        pageless-writecache-init.c
 */

#define _GNU_SOURCE
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>

#include "bench-guest.h"

#define PMEM		"/dev/pmem0"
#define WC_NAME		"wc"
#define WC_DEV		"/dev/mapper/" WC_NAME
#define DMSETUP		"/sbin/dmsetup"
#define FIO		"/bin/fio"
#define ND_DRV		"/sys/bus/nd/drivers/nd_pmem"
#define DMA_ERRORS	"/sys/kernel/debug/dma-api/error_count"
#define OUT_FILE	"/tmp/out"
#define PAGE		4096L
#define SECTOR		512L

static char ns_name[256];
static char origin_name[32] = "nvme0n1";	/* pwc.origin= */
static char origin[64] = "/dev/nvme0n1";
static long pmem_bytes, origin_bytes;
static int step_base;		/* failures when the step began */

/* The command line's pwc.* options. */
static char opt_memmap[16] = "eager";
static int opt_teardown;
static int opt_force_raw;
static int opt_refuse;
static int opt_raw_probe = 1;
static int opt_a = 10, opt_b = 10;
static int opt_high = 45, opt_low = 40;

/* pwc.memmap=, pwc.teardown=, pwc.a=, pwc.b= from /proc/cmdline. */
static void parse_cmdline(void)
{
	char line[4096], *tok, *save;

	if (read_str("/proc/cmdline", line, sizeof(line))) {
		fail("read /proc/cmdline: %s", strerror(errno));
		return;
	}
	for (tok = strtok_r(line, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (!strncmp(tok, "pwc.memmap=", 11))
			snprintf(opt_memmap, sizeof(opt_memmap), "%s", tok + 11);
		else if (!strncmp(tok, "pwc.teardown=", 13))
			opt_teardown = atoi(tok + 13);
		else if (!strncmp(tok, "pwc.force_raw=", 14))
			opt_force_raw = atoi(tok + 14);
		else if (!strncmp(tok, "pwc.origin=", 11))
			snprintf(origin_name, sizeof(origin_name), "%s",
				 tok + 11);
		else if (!strncmp(tok, "pwc.refuse=", 11))
			opt_refuse = atoi(tok + 11);
		else if (!strncmp(tok, "pwc.raw_probe=", 14))
			opt_raw_probe = atoi(tok + 14);
		else if (!strncmp(tok, "pwc.a=", 6))
			opt_a = atoi(tok + 6);
		else if (!strncmp(tok, "pwc.b=", 6))
			opt_b = atoi(tok + 6);
		else if (!strncmp(tok, "pwc.high=", 9))
			opt_high = atoi(tok + 9);
		else if (!strncmp(tok, "pwc.low=", 8))
			opt_low = atoi(tok + 8);
	}
	if (!origin_name[0] ||
	    strspn(origin_name, "abcdefghijklmnopqrstuvwxyz0123456789") !=
	    strlen(origin_name))
		fail("pwc.origin=%s: a block device name", origin_name);
	snprintf(origin, sizeof(origin), "/dev/%s", origin_name);
	if (strcmp(opt_memmap, "eager") && strcmp(opt_memmap, "none") &&
	    strcmp(opt_memmap, "any"))
		fail("pwc.memmap=%s: eager, none or any", opt_memmap);
	if (opt_a < 1 || opt_a > 45 || opt_b < 1 || opt_b > 45)
		fail("pwc.a=%d pwc.b=%d: 1 to 45 (percent of the cache)",
		     opt_a, opt_b);
	if (opt_low < 0 || opt_high > 100 || opt_low > opt_high)
		fail("pwc.high=%d pwc.low=%d: 0 <= low <= high <= 100",
		     opt_high, opt_low);
	say("options: pwc.memmap=%s pwc.force_raw=%d pwc.raw_probe=%d pwc.origin=%s pwc.refuse=%d pwc.teardown=%d pwc.a=%d pwc.b=%d pwc.high=%d pwc.low=%d",
	    opt_memmap, opt_force_raw, opt_raw_probe, origin_name, opt_refuse,
	    opt_teardown, opt_a, opt_b, opt_high, opt_low);
}

struct figures {
	long mem_total;		/* kB */
	long mem_free;		/* kB */
	long memmap;		/* pages */
	long memmap_boot;	/* pages */
};

/* One "result" line: meminfo and the memmap counters of vmstat. */
static void record(const char *point, struct figures *fig)
{
	struct figures f;

	drain_kmsg();
	f.mem_total = read_field("/proc/meminfo", "MemTotal");
	f.mem_free = read_field("/proc/meminfo", "MemFree");
	f.memmap = read_field("/proc/vmstat", "nr_memmap_pages");
	f.memmap_boot = read_field("/proc/vmstat", "nr_memmap_boot_pages");
	say("result %s MemTotal=%ld MemFree=%ld nr_memmap_pages=%ld nr_memmap_boot_pages=%ld",
	    point, f.mem_total, f.mem_free, f.memmap, f.memmap_boot);
	if (f.mem_total < 0 || f.memmap < 0 || f.memmap_boot < 0)
		fail("%s: MemTotal or nr_memmap_pages/nr_memmap_boot_pages missing",
		     point);
	if (fig)
		*fig = f;
}

/*
 * Run @argv with its output in OUT_FILE, then copy that to the console as
 * "pwc: <tag>| <line>".  Returns the exit status, -1 when it did not exit.
 */
static int run(const char *tag, char *const argv[])
{
	char line[1024];
	int status, fd;
	FILE *f;
	pid_t pid;

	drain_kmsg();
	pid = fork();
	if (pid < 0) {
		fail("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		static char *const envp[] = { "PATH=/sbin:/bin", "HOME=/",
					      "DM_DISABLE_UDEV=1", NULL };

		fd = open(OUT_FILE, O_CREAT | O_TRUNC | O_WRONLY, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execve(argv[0], argv, envp);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0) {
		fail("waitpid: %s", strerror(errno));
		return -1;
	}
	f = fopen(OUT_FILE, "r");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		say("%s| %s", tag, line);
	}
	if (f)
		fclose(f);
	drain_kmsg();
	if (!WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* run(), failing unless the exit status is 0. */
static int run_ok(const char *tag, char *const argv[])
{
	int rc = run(tag, argv);

	if (rc) {
		fail("%s exited with %d", argv[0], rc);
		return -1;
	}
	return 0;
}

/* The first line of OUT_FILE (the output of the last run()). */
static int out_line(char *buf, size_t size)
{
	if (read_str(OUT_FILE, buf, size) || !buf[0]) {
		fail("no output from the last command");
		return -1;
	}
	return 0;
}

/* A step's verdict: TAP line, timing, and the failures it counted. */
static double step_t0;

static void step_begin(const char *name)
{
	step_base = failures;
	step_t0 = now_sec();
	say("step %s ...", name);
}

static int step_end(const char *name)
{
	int ok = failures == step_base;

	drain_kmsg();
	say("step %s %s %.1fs", name, ok ? "ok" : "failed",
	    now_sec() - step_t0);
	result(ok, name);
	return ok ? 0 : -1;
}

static int wait_path(const char *path, int present, int secs)
{
	int i;

	for (i = 0; i < secs * 10; i++) {
		if ((access(path, F_OK) == 0) == present)
			return 0;
		usleep(100000);
	}
	fail("%s did not %s in %ds", path, present ? "appear" : "go away",
	     secs);
	return -1;
}

static long block_bytes(const char *name)
{
	char path[128], val[64];

	snprintf(path, sizeof(path), "/sys/block/%s/size", name);
	if (read_str(path, val, sizeof(val))) {
		fail("no %s", path);
		return -1;
	}
	return strtol(val, NULL, 10) * SECTOR;
}

/* Step 1: the devices, and what sysfs says about pmem0. */
static int find_devices(void)
{
	char link[256], val[64], *p;
	ssize_t n;

	if (wait_path(PMEM, 1, 10) || wait_path(origin, 1, 60))
		return -1;
	n = readlink("/sys/block/pmem0/device", link, sizeof(link) - 1);
	if (n <= 0) {
		fail("readlink /sys/block/pmem0/device: %s", strerror(errno));
		return -1;
	}
	link[n] = '\0';
	p = strrchr(link, '/');
	snprintf(ns_name, sizeof(ns_name), "%s", p ? p + 1 : link);
	pmem_bytes = block_bytes("pmem0");
	origin_bytes = block_bytes(origin_name);
	if (pmem_bytes <= 0 || origin_bytes <= 0)
		return -1;
	if (read_str("/sys/block/pmem0/queue/dax", val, sizeof(val)))
		snprintf(val, sizeof(val), "(none)");
	say("pmem0: namespace %s, %ld bytes (%ld pages), queue/dax %s",
	    ns_name, pmem_bytes, pmem_bytes / PAGE, val);
	if (!read_str("/sys/block/pmem0/dax/write_cache", val, sizeof(val)))
		say("pmem0: dax/write_cache %s", val);
	say("origin: %s, %ld bytes (%ld sectors)", origin, origin_bytes,
	    origin_bytes / SECTOR);
	return 0;
}

static int ns_bind(int bind)
{
	int ret = write_file(bind ? ND_DRV "/bind" : ND_DRV "/unbind",
			     ns_name);

	if (ret) {
		fail("%s %s: %s", bind ? "bind" : "unbind", ns_name,
		     strerror(-ret));
		return -1;
	}
	return wait_path(PMEM, bind, 10);
}

/* The namespace's force_raw: no memmap, no DAX on its next probe. */
static int set_force_raw(int raw)
{
	char path[320], val[64];
	int ret;

	if (ns_bind(0))
		return -1;
	snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/force_raw",
		 ns_name);
	ret = write_file(path, raw ? "1" : "0");
	if (ret)
		fail("write %s: %s", path, strerror(-ret));
	if (ns_bind(1) || ret)
		return -1;
	if (read_str("/sys/block/pmem0/queue/dax", val, sizeof(val)))
		snprintf(val, sizeof(val), "(none)");
	say("pmem0: force_raw %d, queue/dax %s", raw, val);
	return 0;
}

/* Step 2: unbind and bind the namespace; the difference is its memmap. */
static void memmap_cost(void)
{
	struct figures bound, unbound, rebound;
	long pages = pmem_bytes / PAGE, freed, added;

	record("probe-bound", &bound);
	if (ns_bind(0))
		return;
	record("probe-unbound", &unbound);
	if (ns_bind(1))
		return;
	record("probe-rebound", &rebound);
	freed = bound.memmap - unbound.memmap;
	added = rebound.memmap - unbound.memmap;
	say("result memmap namespace_pages=%ld memmap_pages=%ld memmap_bytes=%ld memmap_pages_added=%ld memfree_kb_on_unbind=%ld memfree_kb_on_bind=%ld expected_eager_pages=%ld",
	    pages, freed, freed * PAGE, added,
	    unbound.mem_free - bound.mem_free,
	    unbound.mem_free - rebound.mem_free, pages / 64);
	if (added != freed)
		fail("bind added %ld memmap pages, unbind freed %ld", added,
		     freed);
	if (!strcmp(opt_memmap, "eager") && freed <= 0)
		fail("pwc.memmap=eager: the unbind freed no memmap (nr_memmap_pages %ld -> %ld)",
		     bound.memmap, unbound.memmap);
	if (!strcmp(opt_memmap, "none") && freed)
		fail("pwc.memmap=none: the unbind freed %ld memmap pages",
		     freed);
	if (!strcmp(opt_memmap, "eager") && freed != pages / 64)
		say("note: %ld memmap pages, not %ld (64 bytes per page)",
		    freed, pages / 64);
}

/* A new cache: dm-writecache wants the first sector zeroed. */
static int zero_cache_start(void)
{
	static char zero[PAGE];
	int fd = open(PMEM, O_WRONLY);

	if (fd < 0) {
		fail("open %s: %s", PMEM, strerror(errno));
		return -1;
	}
	if (pwrite(fd, zero, sizeof(zero), 0) != sizeof(zero) || fsync(fd)) {
		fail("zero the start of %s: %s", PMEM, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static char table_plain[256], table_wm[256];

static int dm_create(void)
{
	char *argv[] = { DMSETUP, "create", WC_NAME, "--table", table_plain,
			 NULL };

	if (run_ok("dmsetup create", argv))
		return -1;
	return wait_path(WC_DEV, 1, 10);
}

static int dm_remove(void)
{
	char *argv[] = { DMSETUP, "remove", WC_NAME, NULL };

	if (run_ok("dmsetup remove", argv))
		return -1;
	return wait_path(WC_DEV, 0, 10);
}

struct wc_status {
	long error, blocks, free, writeback;
	long reads, read_hits, writes, write_hits_uncommitted;
	long write_hits_committed, writes_around, writes_allocate;
	long writes_blocked, flushes, discards;
};

/* "dmsetup status wc": "0 <len> writecache <14 numbers>". */
static int dm_status(const char *when, struct wc_status *s)
{
	char *argv[] = { DMSETUP, "status", WC_NAME, NULL };
	char line[512];
	unsigned long long start, len;
	int n;

	if (run_ok("dmsetup status", argv) || out_line(line, sizeof(line)))
		return -1;
	say("status %s %s", when, line);
	n = sscanf(line, "%llu %llu writecache %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld",
		   &start, &len, &s->error, &s->blocks, &s->free,
		   &s->writeback, &s->reads, &s->read_hits, &s->writes,
		   &s->write_hits_uncommitted, &s->write_hits_committed,
		   &s->writes_around, &s->writes_allocate, &s->writes_blocked,
		   &s->flushes, &s->discards);
	if (n != 16) {
		fail("%s: cannot parse the status line (%d fields)", when, n);
		return -1;
	}
	if (s->error)
		fail("%s: the writecache reports error %ld", when, s->error);
	return 0;
}

/* The flush message: write back everything, then nothing may be in use. */
static int dm_flush(const char *when)
{
	char *argv[] = { DMSETUP, "message", WC_NAME, "0", "flush", NULL };
	struct wc_status s;
	double t0 = now_sec();

	if (run_ok("dmsetup message flush", argv))
		return -1;
	say("flush %s took %.1fs", when, now_sec() - t0);
	if (dm_status(when, &s))
		return -1;
	if (s.free != s.blocks || s.writeback)
		fail("%s: %ld of %ld blocks still in use, %ld in writeback",
		     when, s.blocks - s.free, s.blocks, s.writeback);
	return 0;
}

/* Suspend, load the table with the new watermarks, resume, check. */
static int dm_reload(void)
{
	char *suspend[] = { DMSETUP, "suspend", WC_NAME, NULL };
	char *reload[] = { DMSETUP, "reload", WC_NAME, "--table", table_wm,
			   NULL };
	char *resume[] = { DMSETUP, "resume", WC_NAME, NULL };
	char *table[] = { DMSETUP, "table", WC_NAME, NULL };
	char line[512], high[32], low[32];

	if (run_ok("dmsetup suspend", suspend) ||
	    run_ok("dmsetup reload", reload) ||
	    run_ok("dmsetup resume", resume) ||
	    run_ok("dmsetup table", table) || out_line(line, sizeof(line)))
		return -1;
	say("table after reload: %s", line);
	snprintf(high, sizeof(high), "high_watermark %d", opt_high);
	snprintf(low, sizeof(low), "low_watermark %d", opt_low);
	if (!strstr(line, high) || !strstr(line, low))
		fail("the reloaded table lacks the new watermarks: %s", line);
	return 0;
}

/*
 * One fio job: @bs is "bs=4k" or a "bssplit=..." option, written over
 * [@off, @off + @size) of @dev with crc32c verification headers.
 * @verify_only replays it and checks what is on @dev.
 */
struct fio_job {
	const char *name;
	const char *bs;
	long off, size;
};

static int fio(const struct fio_job *j, const char *dev, int verify_only)
{
	char name[64], filename[64], bs[128], off[64], size[64], tag[64];
	char line[512], *p;
	char *argv[24];
	int i = 0, rc, summaries = 0;
	FILE *f;

	snprintf(name, sizeof(name), "--name=%s", j->name);
	snprintf(filename, sizeof(filename), "--filename=%s", dev);
	snprintf(bs, sizeof(bs), "--%s", j->bs);
	snprintf(off, sizeof(off), "--offset=%ld", j->off);
	snprintf(size, sizeof(size), "--size=%ld", j->size);
	argv[i++] = FIO;
	argv[i++] = name;
	argv[i++] = filename;
	argv[i++] = "--rw=randwrite";
	argv[i++] = bs;
	argv[i++] = off;
	argv[i++] = size;
	argv[i++] = "--ioengine=libaio";
	argv[i++] = "--iodepth=8";
	argv[i++] = "--direct=1";
	argv[i++] = "--verify=crc32c";
	argv[i++] = "--verify_fatal=1";
	argv[i++] = "--verify_state_save=0";
	argv[i++] = "--randrepeat=1";
	argv[i++] = "--group_reporting";
	argv[i++] = verify_only ? "--verify_only" : "--do_verify=1";
	argv[i] = NULL;
	snprintf(tag, sizeof(tag), "fio %s%s", j->name,
		 verify_only ? " verify_only" : "");
	rc = run(tag, argv);
	if (rc) {
		fail("%s on %s exited with %d", tag, dev, rc);
		return -1;
	}
	/* The "Run status" lines: "  WRITE: bw=..." and "   READ: bw=...". */
	f = fopen(OUT_FILE, "r");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		p = line + strspn(line, " ");
		if (!strncmp(p, "WRITE: bw=", 10) ||
		    !strncmp(p, "READ: bw=", 9)) {
			say("fio %s %s: %s", j->name,
			    verify_only ? "origin" : "wc", p);
			summaries++;
		}
		if (strstr(line, "verify: bad") || strstr(line, "bad magic") ||
		    strstr(line, "verify failed"))
			fail("%s: fio reports: %s", tag, p);
	}
	if (f)
		fclose(f);
	if (!summaries)
		fail("%s: no READ:/WRITE: summary in fio's output", tag);
	return 0;
}

/*
 * The namespace as the page-less kernel is to see it, today: force_raw
 * set, probed again without a memmap and without BLK_FEAT_DAX.  What
 * dmsetup create says about it is recorded, not judged; then force_raw
 * is cleared and the namespace probed as before.
 */
static void raw_probe(void)
{
	char *create[] = { DMSETUP, "create", WC_NAME, "--table", table_plain,
			   NULL };
	struct figures before, raw, after;
	int rc;

	record("raw-probe-before", &before);
	if (set_force_raw(1))
		return;
	record("raw-probe-raw", &raw);
	say("raw-probe: nr_memmap_pages %ld with force_raw, %ld before (%ld fewer)",
	    raw.memmap, before.memmap, before.memmap - raw.memmap);
	if (!zero_cache_start()) {
		rc = run("dmsetup create", create);
		say("raw-probe: dmsetup create on the raw namespace exited with %d (%s)",
		    rc, rc ? "refused" : "accepted");
		if (!access(WC_DEV, F_OK) && dm_remove())
			return;
	}
	if (set_force_raw(0))
		return;
	record("raw-probe-after", &after);
	if (after.memmap != before.memmap)
		fail("raw-probe: nr_memmap_pages %ld after, %ld before",
		     after.memmap, before.memmap);
}

/*
 * One 4 KiB O_DIRECT write through wc after the namespace is gone: wc
 * copies it into its pmem mapping.  In a child, so that an oops kills the
 * child and not /init.
 */
static void write_after_unbind(const struct fio_job *a)
{
	int status;
	pid_t pid;

	kmsg("pwc: writing through wc after the unbind\n");
	pid = fork();
	if (pid == 0) {
		void *p = NULL;
		int fd = open(WC_DEV, O_WRONLY | O_DIRECT);

		if (fd < 0 || posix_memalign(&p, PAGE, PAGE))
			_exit(2);
		memset(p, 0x5a, PAGE);
		_exit(pwrite(fd, p, PAGE, a->off) == PAGE && !fsync(fd) ?
		      0 : 1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		fail("teardown: fork/waitpid: %s", strerror(errno));
		return;
	}
	drain_kmsg();
	if (WIFSIGNALED(status))
		say("teardown: write through wc: killed by signal %d",
		    WTERMSIG(status));
	else
		say("teardown: write through wc: %s",
		    !WEXITSTATUS(status) ? "ok" :
		    WEXITSTATUS(status) == 1 ? "I/O error" : "no device");
}

/* A read of 4 KiB through wc at @off, O_DIRECT; 0 if it returned them. */
static int read_through_wc(long off)
{
	void *p = NULL;
	ssize_t n = -1;
	int fd;

	fd = open(WC_DEV, O_RDONLY | O_DIRECT);
	if (fd < 0)
		return -1;
	if (!posix_memalign(&p, PAGE, PAGE)) {
		n = pread(fd, p, PAGE, off);
		free(p);
	}
	close(fd);
	return n == PAGE ? 0 : -1;
}

/* Step 11, optional: unbind the namespace under a loaded writecache. */
static void teardown(const struct fio_job *a)
{
	char *status[] = { DMSETUP, "status", WC_NAME, NULL };
	char *remove[] = { DMSETUP, "remove", WC_NAME, NULL };
	char *flush[] = { DMSETUP, "message", WC_NAME, "0", "flush", NULL };
	struct wc_status s;
	int ret, rc;

	/* The cache is clean and its superblock valid: wc loads it. */
	if (dm_create() || dm_status("teardown-created", &s))
		return;
	record("teardown-loaded", NULL);
	kmsg("pwc: unbinding the namespace under dm-writecache\n");
	ret = write_file(ND_DRV "/unbind", ns_name);
	say("teardown: unbind %s under wc: %s", ns_name,
	    ret ? strerror(-ret) : "done");
	sleep(1);
	say("teardown: %s %s after the unbind", PMEM,
	    access(PMEM, F_OK) ? "is gone" : "still exists");
	record("teardown-unbound", NULL);
	rc = run("dmsetup status", status);
	say("teardown: dmsetup status exited with %d", rc);
	say("teardown: read through wc: %s",
	    read_through_wc(a->off) ? strerror(errno) : "ok");
	write_after_unbind(a);
	rc = run("dmsetup flush", flush);
	say("teardown: dmsetup message wc 0 flush exited with %d", rc);
	rc = run("dmsetup remove", remove);
	say("teardown: dmsetup remove exited with %d", rc);
	if (rc)
		fail("teardown: dmsetup remove wc exited with %d", rc);
	if (!ret) {
		if (ns_bind(1))
			return;
	} else if (access(PMEM, F_OK)) {
		fail("teardown: the unbind failed but %s is gone", PMEM);
	}
	record("teardown-rebound", NULL);
}

/*
 * Step 11 on a namespace without struct pages: wc holds its page-less
 * range, so unbinding the namespace must wait for "dmsetup remove" and the
 * cache must stay readable meanwhile (the memmap kernel unmaps it under
 * wc).  The unbind runs in a child; /init checks that it is still waiting
 * after 3 s, reads through wc, removes wc and checks that the unbind then
 * finishes and the namespace can be bound again.
 */
static void teardown_pageless(const struct fio_job *a)
{
	char *remove[] = { DMSETUP, "remove", WC_NAME, NULL };
	struct wc_status s;
	int status = 0, i, rc;
	pid_t pid;

	if (dm_create() || dm_status("teardown-created", &s))
		return;
	record("teardown-loaded", NULL);
	kmsg("pwc: unbinding the page-less namespace under dm-writecache\n");
	pid = fork();
	if (pid == 0)
		_exit(write_file(ND_DRV "/unbind", ns_name) ? 1 : 0);
	if (pid < 0) {
		fail("teardown: fork: %s", strerror(errno));
		return;
	}
	sleep(3);
	if (waitpid(pid, &status, WNOHANG) == pid) {
		fail("teardown: the unbind finished while wc held the range");
		pid = 0;
	} else {
		say("teardown: the unbind waits while wc holds the range");
	}
	if (read_through_wc(a->off))
		fail("teardown: read through wc during the unbind: %s",
		     strerror(errno));
	else
		say("teardown: read through wc during the unbind: ok");
	record("teardown-unbinding", NULL);
	rc = run("dmsetup remove", remove);
	if (rc)
		fail("teardown: dmsetup remove wc exited with %d", rc);
	for (i = 0; pid > 0 && i < 30; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		sleep(1);
	}
	if (pid > 0 && i == 30) {
		fail("teardown: the unbind still waits 30 s after dmsetup remove");
		return;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail("teardown: the unbind failed (status %#x)", status);
	else if (pid > 0)
		say("teardown: the unbind finished within %d s of dmsetup remove",
		    i + 1);
	drain_kmsg();
	if (!access(PMEM, F_OK))
		fail("teardown: %s still exists after the unbind", PMEM);
	record("teardown-unbound", NULL);
	if (ns_bind(1))
		return;
	record("teardown-rebound", NULL);
}

/*
 * pwc.refuse=1: an origin that cannot take page-less bios (nvme-pci under
 * swiotlb=force, say) must be refused when the table is loaded, with the
 * reason in the kernel log, not fail at the first writeback.
 */
static void refused_create(void)
{
	char *argv[] = { DMSETUP, "create", WC_NAME, "--table", table_plain,
			 NULL };
	int rc;

	if (zero_cache_start())
		return;
	rc = run("dmsetup create", argv);
	drain_kmsg();
	if (!rc) {
		fail("create: dmsetup create succeeded on an origin that was to refuse");
		dm_remove();
		return;
	}
	say("create: refused as expected (dmsetup exited with %d)", rc);
	if (!access(WC_DEV, F_OK))
		fail("create: %s exists after the refusal", WC_DEV);
}

int main(void)
{
	struct fio_job a, b;
	struct wc_status s;
	long used;
	char val[64];

	bench_setup("pwc", 1);
	say("start");
	parse_cmdline();

	step_begin("boot");
	record("boot", NULL);
	find_devices();
	if (step_end("boot"))
		goto out;

	/* fio-a from 0, fio-b right after it, both 1 MiB aligned. */
	a.name = "a";
	a.bs = "bs=4k";
	a.off = 0;
	a.size = pmem_bytes / 100 * opt_a & ~((1L << 20) - 1);
	b.name = "b";
	b.bs = "bssplit=4k/40:8k/20:16k/20:64k/10:128k/10";
	b.off = a.size;
	b.size = pmem_bytes / 100 * opt_b & ~((1L << 20) - 1);
	if (b.off + b.size > origin_bytes) {
		fail("the origin (%ld bytes) is smaller than fio's %ld",
		     origin_bytes, b.off + b.size);
		goto out;
	}
	snprintf(table_plain, sizeof(table_plain),
		 "0 %ld writecache p %s %s 4096 0", origin_bytes / SECTOR,
		 origin, PMEM);
	snprintf(table_wm, sizeof(table_wm),
		 "0 %ld writecache p %s %s 4096 4 high_watermark %d low_watermark %d",
		 origin_bytes / SECTOR, origin, PMEM, opt_high, opt_low);

	if (opt_force_raw) {
		/* The whole run on the namespace without struct pages. */
		step_begin("force-raw");
		set_force_raw(1);
		if (step_end("force-raw"))
			goto out;
	}

	step_begin("memmap");
	memmap_cost();
	if (step_end("memmap"))
		goto out;

	if (opt_raw_probe && !opt_force_raw) {
		step_begin("raw-probe");
		raw_probe();
		if (step_end("raw-probe"))
			goto out;
	}

	step_begin("create");
	say("table: %s", table_plain);
	if (opt_refuse) {
		refused_create();
		step_end("create");
		goto dma;
	}
	if (!zero_cache_start() && !dm_create())
		dm_status("created", &s);
	record("created", NULL);
	if (step_end("create"))
		goto out;

	step_begin("fio-a");
	say("fio-a: %ld bytes at %ld, bs 4k, %d%% of the cache", a.size, a.off,
	    opt_a);
	if (!fio(&a, WC_DEV, 0) && !dm_status("after-fio-a", &s)) {
		used = s.blocks - s.free;
		say("fio-a: %ld of %ld cache blocks in use", used, s.blocks);
		if (s.writes_allocate <= 0)
			fail("fio-a: no write was allocated in the cache");
	}
	if (step_end("fio-a"))
		goto out;

	step_begin("flush-a");
	dm_flush("after-flush-a");
	if (step_end("flush-a"))
		goto out;

	step_begin("reload");
	dm_reload();
	if (step_end("reload"))
		goto out;

	step_begin("fio-b");
	say("fio-b: %ld bytes at %ld, bs 4k-128k, %d%% of the cache", b.size,
	    b.off, opt_b);
	if (!fio(&b, WC_DEV, 0) && !dm_status("after-fio-b", &s)) {
		used = s.blocks - s.free;
		say("fio-b: %ld of %ld cache blocks in use, %ld written",
		    used, s.blocks, b.size / PAGE);
		if (used >= b.size / PAGE)
			say("note: fio-b: no block was written back during the job");
	}
	if (step_end("fio-b"))
		goto out;

	step_begin("flush-b");
	dm_flush("after-flush-b");
	record("flushed", NULL);
	if (step_end("flush-b"))
		goto out;

	step_begin("remove");
	dm_remove();
	record("removed", NULL);
	if (step_end("remove"))
		goto out;

	step_begin("origin");
	if (!fio(&a, origin, 1))
		fio(&b, origin, 1);
	if (step_end("origin"))
		goto out;

	if (opt_teardown) {
		step_begin("teardown");
		if (!strcmp(opt_memmap, "none"))
			teardown_pageless(&a);
		else
			teardown(&a);
		step_end("teardown");
	}

dma:
	step_begin("dma-api");
	if (read_str(DMA_ERRORS, val, sizeof(val)))
		fail("no %s", DMA_ERRORS);
	else if (strcmp(val, "0"))
		fail("%s is %s", DMA_ERRORS, val);
	else
		say("dma-api: error_count 0");
	record("end", NULL);
	step_end("dma-api");
out:
	drain_kmsg();
	say("%s", failures ? "failed" : "passed");
	say("done");
	guest_done();
	return 0;
}
