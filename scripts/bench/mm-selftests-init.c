// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the initramfs scripts/bench/mm-selftests.sh boots: mounts
 * proc, sys, debugfs, devtmpfs and a tmpfs on /tmp, sets
 * vm.speculative_page_fault from "spfst.spf=0|1" on the kernel command
 * line ("spfst.spf=base": a kernel without the series, no sysctl to set
 * and no spf_* counters; "spfst.spf=none": leave it alone), sets up a zram swap device of "spfst.zram=<MiB>"
 * (default 256, 0: none), runs the selftests listed in /tests (one a
 * line: a name, then the program under /mm and its arguments) in /tmp,
 * each in its own process group with a time limit ("spfst.timeout=<s>",
 * default 300; "name@<s>" in /tests sets one test's own), copies their
 * output to the console with a "spfst[name]: " prefix and prints per test:
 *
 *   spfst: result name=<n> sysctl=<0|1|base> rc=<exit code|timeout|signal-N>
 *          ok=<n> fail=<n> skip=<n> secs=<n> spf_attempt=<delta>
 *          spf_success=<delta> spf_abort=<delta> spf_upgrade=<delta>
 *
 * (one line; ok/fail/skip count the TAP lines "ok N", "not ok N" and
 * "... # SKIP"; the spf deltas are "-" without the counters).
 *
 * A line whose name starts with '&' is background load: the program is
 * started there (at nice 10) and restarted whenever it exits, until the
 * list ends; its output goes to /tmp/bg-<name>.log and is copied to the
 * console only when a run fails.  At the end one line per background job:
 *
 *   spfst: background name=<n> runs=<n> fail=<n> last_rc=<rc>
 *
 * "spfst.budget=<s>": once that many seconds have passed since the first
 * test, the remaining tests are skipped ("spfst: budget ... skipped N").
 *
 * "spfst.write=<path>:<value>" (repeatable) writes a value to a file
 * before the first test, for a knob that has no command-line form (a
 * debugfs limit): "spfst: wrote <path> <value>", or "spfst: write-failed
 * <path>: <error>".  "spfst.show=<path>[,<path>...]" prints files at the
 * end, one "spfst: show <path> <first line>" each; "spfst.vmstat=<prefix>
 * [,<prefix>...]" prints the /proc/vmstat lines starting with one of the
 * prefixes besides spf_*.
 *
 * Then those vmstat lines ("spfst: vmstat <name> <value>"), "spfst:
 * done", and a reboot (QEMU runs with -no-reboot, so it exits).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXARGS 32
#define MAXBG 4

static char sysctl_val[8] = "1";
static int have_spf;
static long timeout_s = 300;

struct bg_job {
	char name[64];
	char line[1024];
	char *argv[MAXARGS + 1];
	pid_t pid;
	int runs, fails, last_rc;
};

static struct bg_job bg[MAXBG];
static int nbg;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int mnt(const char *src, const char *dst, const char *type)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, 0, NULL) && errno != EBUSY) {
		say("spfst: mount %s on %s: %s\n", type, dst, strerror(errno));
		return -1;
	}
	return 0;
}

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/* spf_* events of /proc/vmstat: attempt, success, abort, upgrade. */
static const char *const spf_names[] = {
	"spf_attempt", "spf_success", "spf_abort", "spf_upgrade",
};
#define NSPF (sizeof(spf_names) / sizeof(spf_names[0]))

/* Returns 1 when /proc/vmstat has the spf_* counters (series kernel). */
static int read_spf(unsigned long long *v)
{
	static char buf[65536];
	char *line, *save;
	int found = 0;
	size_t i;

	for (i = 0; i < NSPF; i++)
		v[i] = 0;
	if (read_file("/proc/vmstat", buf, sizeof(buf)))
		return 0;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		for (i = 0; i < NSPF; i++) {
			size_t l = strlen(spf_names[i]);

			if (!strncmp(line, spf_names[i], l) && line[l] == ' ') {
				v[i] = strtoull(line + l + 1, NULL, 10);
				found = 1;
			}
		}
	}
	return found;
}

static void rc_string(char *buf, size_t len, int status)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "signal-%d", WTERMSIG(status));
	else
		snprintf(buf, len, "%d", WEXITSTATUS(status));
}

/* Background load: start (or restart) job @j, output to /tmp/bg-<name>.log. */
static void bg_start(struct bg_job *j)
{
	char path[256], log[128];
	pid_t pid;

	snprintf(path, sizeof(path), "/mm/%s", j->argv[0]);
	snprintf(log, sizeof(log), "/tmp/bg-%s.log", j->name);
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		setpgid(0, 0);
		/* Load, not the test: it yields to the test it runs beside. */
		if (setpriority(PRIO_PROCESS, 0, 10))
			printf("setpriority: %s\n", strerror(errno));
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		if (chdir("/tmp"))
			_exit(127);
		execv(path, j->argv);
		printf("exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	if (pid < 0) {
		say("spfst: fork for background %s: %s\n", j->name,
		    strerror(errno));
		j->pid = 0;
		return;
	}
	setpgid(pid, pid);
	j->pid = pid;
	j->runs++;
}

/* A background job ended with @status: account it, show a failed run. */
static void bg_ended(struct bg_job *j, int status, int restart)
{
	char log[128], rcbuf[32];
	static char out[8192];
	char *line, *save;

	j->pid = 0;
	rc_string(rcbuf, sizeof(rcbuf), status);
	j->last_rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (!WIFEXITED(status) || (WEXITSTATUS(status) &&
				   WEXITSTATUS(status) != 4)) {
		j->fails++;
		say("spfst: background name=%s run=%d rc=%s\n", j->name,
		    j->runs, rcbuf);
		snprintf(log, sizeof(log), "/tmp/bg-%s.log", j->name);
		if (!read_file(log, out, sizeof(out)))
			for (line = strtok_r(out, "\n", &save); line;
			     line = strtok_r(NULL, "\n", &save))
				say("spfst[&%s]: %s\n", j->name, line);
	}
	if (restart)
		bg_start(j);
}

/* Reap what exited: background jobs are restarted, anything else dropped. */
static void reap(void)
{
	int status, i;
	pid_t p;

	while ((p = waitpid(-1, &status, WNOHANG)) > 0)
		for (i = 0; i < nbg; i++)
			if (bg[i].pid == p)
				bg_ended(&bg[i], status, 1);
}

/* Only the background jobs: the running test's own status stays for it. */
static void reap_bg(void)
{
	int status, i;

	for (i = 0; i < nbg; i++)
		if (bg[i].pid > 0 &&
		    waitpid(bg[i].pid, &status, WNOHANG) == bg[i].pid)
			bg_ended(&bg[i], status, 1);
}

static void bg_add(const char *name, char **argv)
{
	struct bg_job *j;
	char *p;
	int i;

	if (nbg == MAXBG) {
		say("spfst: too many background jobs, %s left out\n", name);
		return;
	}
	j = &bg[nbg++];
	snprintf(j->name, sizeof(j->name), "%s", name);
	/* Copy the arguments: the caller's line buffer is reused. */
	p = j->line;
	for (i = 0; argv[i] && i < MAXARGS; i++) {
		size_t l = strlen(argv[i]) + 1;

		if (p + l > j->line + sizeof(j->line))
			break;
		memcpy(p, argv[i], l);
		j->argv[i] = p;
		p += l;
	}
	j->argv[i] = NULL;
	say("spfst: background start name=%s\n", j->name);
	bg_start(j);
}

static void bg_stop_all(void)
{
	int i, status;

	for (i = 0; i < nbg; i++) {
		if (bg[i].pid > 0) {
			kill(-bg[i].pid, SIGKILL);
			kill(bg[i].pid, SIGKILL);
			while (waitpid(bg[i].pid, &status, 0) < 0 &&
			       errno == EINTR)
				;
			bg[i].pid = 0;
		}
		say("spfst: background name=%s runs=%d fail=%d last_rc=%d\n",
		    bg[i].name, bg[i].runs, bg[i].fails, bg[i].last_rc);
	}
}

/* Swap on a zram device of @mib MiB: cow's and khugepaged's swap cases. */
static void setup_swap(long mib)
{
	static char page[4096];
	unsigned int *info = (unsigned int *)(page + 1024);
	char val[32];
	int fd;

	if (mib <= 0)
		return;
	snprintf(val, sizeof(val), "%ldM\n", mib);
	if (write_file("/sys/block/zram0/disksize", val)) {
		say("spfst: no zram swap: /sys/block/zram0/disksize: %s\n",
		    strerror(errno));
		return;
	}
	/* mkswap: version 1, last page, no bad pages, "SWAPSPACE2". */
	info[0] = 1;
	info[1] = (unsigned int)(mib * 256 - 1);
	memcpy(page + sizeof(page) - 10, "SWAPSPACE2", 10);
	fd = open("/dev/zram0", O_WRONLY);
	if (fd < 0 || write(fd, page, sizeof(page)) != sizeof(page) ||
	    fsync(fd)) {
		say("spfst: no zram swap: writing /dev/zram0: %s\n",
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	if (swapon("/dev/zram0", 0)) {
		say("spfst: no zram swap: swapon: %s\n", strerror(errno));
		return;
	}
	say("spfst: swap on /dev/zram0, %ld MiB\n", mib);
}

struct counts {
	int ok, fail, skip;
};

static void tap_line(const char *name, const char *line, struct counts *c)
{
	const char *p = line;

	say("spfst[%s]: %s\n", name, line);
	while (*p == ' ' || *p == '\t')
		p++;
	if (!strncmp(p, "not ok ", 7) && p[7] >= '0' && p[7] <= '9') {
		if (strstr(p, "# SKIP"))
			c->skip++;
		else
			c->fail++;
	} else if (!strncmp(p, "ok ", 3) && p[3] >= '0' && p[3] <= '9') {
		if (strstr(p, "# SKIP"))
			c->skip++;
		else
			c->ok++;
	}
}

static void run_test(char *name, char **argv, long limit)
{
	unsigned long long before[NSPF], after[NSPF];
	char linebuf[4096], rcbuf[32], path[256], spf[128];
	struct counts c = { 0, 0, 0 };
	size_t fill = 0;
	int pfd[2], status = 0, timed_out = 0;
	double start, deadline;
	pid_t pid;

	snprintf(path, sizeof(path), "/mm/%s", argv[0]);
	if (pipe(pfd)) {
		say("spfst: pipe: %s\n", strerror(errno));
		return;
	}
	read_spf(before);
	say("spfst: start name=%s\n", name);
	start = now();
	deadline = start + limit;
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		if (chdir("/tmp"))
			_exit(127);
		/* Tests that run "./<self>" (ksm_functional_tests) find it. */
		if (symlink(path, argv[0]) && errno != EEXIST)
			printf("symlink %s: %s\n", argv[0], strerror(errno));
		execv(path, argv);
		printf("exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	if (pid < 0) {
		say("spfst: fork: %s\n", strerror(errno));
		close(pfd[0]);
		return;
	}
	setpgid(pid, pid);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		double left = deadline - now();
		ssize_t n;
		char *nl;
		int r;

		if (left <= 0) {
			if (timed_out)
				break;	/* killed, still not at EOF: give up */
			timed_out = 1;
			say("spfst: timeout name=%s after %lds: killing\n",
			    name, limit);
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			deadline = now() + 30;
			continue;
		}
		/* At most 1 s, so that background jobs are restarted. */
		r = poll(&p, 1, left < 1 ? (int)(left * 1000) + 1 : 1000);
		if (nbg)
			reap_bg();
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		n = read(pfd[0], linebuf + fill, sizeof(linebuf) - 1 - fill);
		if (n <= 0)
			break;
		fill += n;
		linebuf[fill] = 0;
		while ((nl = memchr(linebuf, '\n', fill))) {
			*nl = 0;
			tap_line(name, linebuf, &c);
			fill -= nl + 1 - linebuf;
			memmove(linebuf, nl + 1, fill);
			linebuf[fill] = 0;
		}
		if (fill == sizeof(linebuf) - 1) {
			tap_line(name, linebuf, &c);
			fill = 0;
		}
	}
	if (fill) {
		linebuf[fill] = 0;
		tap_line(name, linebuf, &c);
	}
	close(pfd[0]);
	kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* Reap anything else of the test that was left behind. */
	reap();
	if (read_spf(after))
		snprintf(spf, sizeof(spf),
			 "spf_attempt=%llu spf_success=%llu spf_abort=%llu spf_upgrade=%llu",
			 after[0] - before[0], after[1] - before[1],
			 after[2] - before[2], after[3] - before[3]);
	else
		snprintf(spf, sizeof(spf),
			 "spf_attempt=- spf_success=- spf_abort=- spf_upgrade=-");
	if (timed_out)
		snprintf(rcbuf, sizeof(rcbuf), "timeout");
	else
		rc_string(rcbuf, sizeof(rcbuf), status);
	say("spfst: result name=%s sysctl=%s rc=%s ok=%d fail=%d skip=%d secs=%.0f %s\n",
	    name, sysctl_val, rcbuf, c.ok, c.fail, c.skip, now() - start, spf);
}

/* The value of "key=" on the command line in @cmdline, or NULL. */
static const char *cmdline_arg(const char *cmdline, const char *key)
{
	const char *p = strstr(cmdline, key);

	return p ? p + strlen(key) : NULL;
}

/* Copies the value at @p (up to a blank) into @buf. */
static void arg_word(const char *p, char *buf, size_t len)
{
	size_t n = strcspn(p, " \t\n");

	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = 0;
}

/* Every "spfst.write=<path>:<value>" of @cmdline, in order. */
static void do_writes(const char *cmdline)
{
	const char *key = "spfst.write=", *p = cmdline;
	char arg[512], *colon;

	while ((p = strstr(p, key))) {
		p += strlen(key);
		arg_word(p, arg, sizeof(arg));
		colon = strrchr(arg, ':');
		if (!colon || colon == arg) {
			say("spfst: write-failed %s: not <path>:<value>\n", arg);
			continue;
		}
		*colon = 0;
		if (write_file(arg, colon + 1))
			say("spfst: write-failed %s: %s\n", arg, strerror(errno));
		else
			say("spfst: wrote %s %s\n", arg, colon + 1);
	}
}

/* "spfst.show=" files: their first line each. */
static void show_files(const char *list)
{
	static char val[4096];
	char arg[1024], *path, *save;

	arg_word(list, arg, sizeof(arg));
	for (path = strtok_r(arg, ",", &save); path;
	     path = strtok_r(NULL, ",", &save)) {
		if (read_file(path, val, sizeof(val))) {
			say("spfst: show %s unreadable: %s\n", path,
			    strerror(errno));
			continue;
		}
		val[strcspn(val, "\n")] = 0;
		say("spfst: show %s %s\n", path, val);
	}
}

/* Is @line's name one of the comma-separated @prefixes (or spf_)? */
static int vmstat_wanted(const char *line, const char *prefixes)
{
	const char *p = prefixes;
	size_t n;

	if (!strncmp(line, "spf_", 4))
		return 1;
	while (*p && *p != ' ' && *p != '\n') {
		n = strcspn(p, ", \t\n");
		if (n && !strncmp(line, p, n))
			return 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

int main(void)
{
	static char buf[65536], cmdline[4096];
	long budget_s = 0, zram_mib = 256;
	char *line, *save;
	const char *p;
	double first = 0;
	int skipped = 0;
	FILE *f;

	mnt("proc", "/proc", "proc");
	mnt("sysfs", "/sys", "sysfs");
	mnt("devtmpfs", "/dev", "devtmpfs");
	mnt("debugfs", "/sys/kernel/debug", "debugfs");
	if (mnt("tmpfs", "/tmp", "tmpfs"))
		mnt("ramfs", "/tmp", "ramfs");
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (read_file("/proc/cmdline", cmdline, sizeof(cmdline)))
		cmdline[0] = 0;
	strcpy(buf, cmdline);
	if (buf[0]) {
		p = cmdline_arg(buf, "spfst.spf=");
		if (p && !strncmp(p, "base", 4))
			strcpy(sysctl_val, "base");
		else if (p && !strncmp(p, "none", 4))
			strcpy(sysctl_val, "none");
		else if (p)
			strcpy(sysctl_val, atoi(p) ? "1" : "0");
		p = cmdline_arg(buf, "spfst.timeout=");
		if (p && atol(p) > 0)
			timeout_s = atol(p);
		p = cmdline_arg(buf, "spfst.budget=");
		if (p && atol(p) > 0)
			budget_s = atol(p);
		p = cmdline_arg(buf, "spfst.zram=");
		if (p)
			zram_mib = atol(p);
	}
	have_spf = !access("/proc/sys/vm/speculative_page_fault", F_OK);
	if (!strcmp(sysctl_val, "base")) {
		if (have_spf)
			say("spfst: spfst.spf=base, but this kernel has vm.speculative_page_fault\n");
	} else if (!strcmp(sysctl_val, "none")) {
		/* Left as the kernel has it (or has it not). */
	} else if (write_file("/proc/sys/vm/speculative_page_fault",
			      strcmp(sysctl_val, "1") ? "0\n" : "1\n")) {
		say("spfst: cannot write /proc/sys/vm/speculative_page_fault: %s\n",
		    strerror(errno));
	}
	if (!read_file("/proc/sys/vm/speculative_page_fault", buf, sizeof(buf)))
		say("spfst: vm.speculative_page_fault=%s", buf);
	else
		say("spfst: no vm.speculative_page_fault (sysctl=%s)\n",
		    sysctl_val);
	if (!read_file("/sys/kernel/mm/transparent_hugepage/enabled", buf,
		       sizeof(buf)))
		say("spfst: thp enabled: %s", buf);
	if (!read_file("/proc/version", buf, sizeof(buf)))
		say("spfst: %s", buf);
	setup_swap(zram_mib);
	do_writes(cmdline);
	say("spfst: per-test timeout %lds, budget %lds\n", timeout_s, budget_s);

	f = fopen("/tests", "r");
	if (!f) {
		say("spfst: no /tests\n");
	} else {
		static char tl[1024];

		while (fgets(tl, sizeof(tl), f)) {
			char *argv[MAXARGS + 1], *name, *at;
			long limit = timeout_s;
			int argc = 0;

			tl[strcspn(tl, "\n")] = 0;
			name = strtok_r(tl, " \t", &save);
			if (!name || name[0] == '#')
				continue;
			while (argc < MAXARGS &&
			       (argv[argc] = strtok_r(NULL, " \t", &save)))
				argc++;
			argv[argc] = NULL;
			if (!argc)
				continue;
			at = strchr(name, '@');
			if (at) {
				*at = 0;
				if (atol(at + 1) > 0)
					limit = atol(at + 1);
			}
			if (name[0] == '&') {
				bg_add(name + 1, argv);
				continue;
			}
			if (!first)
				first = now();
			if (budget_s && now() - first > budget_s) {
				skipped++;
				continue;
			}
			run_test(name, argv, limit);
		}
		fclose(f);
	}
	if (skipped)
		say("spfst: budget of %lds used up: skipped %d tests\n",
		    budget_s, skipped);
	bg_stop_all();

	if (!read_file("/proc/vmstat", buf, sizeof(buf))) {
		for (line = strtok_r(buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			if (vmstat_wanted(line, cmdline_arg(cmdline, "spfst.vmstat=") ?: ""))
				say("spfst: vmstat %s\n", line);
	}
	p = cmdline_arg(cmdline, "spfst.show=");
	if (p)
		show_files(p);
	say("spfst: done\n");
	sync();
	/* QEMU runs with -no-reboot: a reboot ends it (no ACPI power off
	 * with qboot). */
	reboot(RB_AUTOBOOT);
	return 0;
}
