// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the initramfs scripts/bench/mm-selftests.sh boots: mounts
 * proc, sys, debugfs, devtmpfs and a tmpfs on /tmp, sets
 * vm.speculative_page_fault from "spfst.spf=0|1" on the kernel command
 * line, runs the selftests listed in /tests (one a line: a name, then the
 * program under /mm and its arguments) in /tmp, each in its own process
 * group with a time limit ("spfst.timeout=<seconds>", default 300),
 * copies their output to the console with a "spfst[name]: " prefix and prints
 * per test:
 *
 *   spfst: result name=<n> sysctl=<0|1> rc=<exit code|timeout|signal-N>
 *          ok=<n> fail=<n> skip=<n> secs=<n> spf_attempt=<delta>
 *          spf_success=<delta> spf_abort=<delta> spf_upgrade=<delta>
 *
 * (one line; ok/fail/skip count the TAP lines "ok N", "not ok N" and
 * "... # SKIP"), then the spf_* lines of /proc/vmstat, "spfst: done",
 * and reboots (QEMU runs with -no-reboot, so it exits).
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
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXARGS 32

static int sysctl_val = 1;
static long timeout_s = 300;

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

static void read_spf(unsigned long long *v)
{
	static char buf[65536];
	char *line, *save;
	size_t i;

	for (i = 0; i < NSPF; i++)
		v[i] = 0;
	if (read_file("/proc/vmstat", buf, sizeof(buf)))
		return;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		for (i = 0; i < NSPF; i++) {
			size_t l = strlen(spf_names[i]);

			if (!strncmp(line, spf_names[i], l) && line[l] == ' ')
				v[i] = strtoull(line + l + 1, NULL, 10);
		}
	}
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

static void run_test(char *name, char **argv)
{
	unsigned long long before[NSPF], after[NSPF];
	char linebuf[4096], rcbuf[32], path[256];
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
	deadline = start + timeout_s;
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		if (chdir("/tmp"))
			_exit(127);
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
			    name, timeout_s);
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			deadline = now() + 30;
			continue;
		}
		r = poll(&p, 1, (int)(left * 1000) + 1);
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
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	read_spf(after);
	if (timed_out)
		snprintf(rcbuf, sizeof(rcbuf), "timeout");
	else if (WIFSIGNALED(status))
		snprintf(rcbuf, sizeof(rcbuf), "signal-%d", WTERMSIG(status));
	else
		snprintf(rcbuf, sizeof(rcbuf), "%d", WEXITSTATUS(status));
	say("spfst: result name=%s sysctl=%d rc=%s ok=%d fail=%d skip=%d secs=%.0f"
	    " spf_attempt=%llu spf_success=%llu spf_abort=%llu spf_upgrade=%llu\n",
	    name, sysctl_val, rcbuf, c.ok, c.fail, c.skip, now() - start,
	    after[0] - before[0], after[1] - before[1], after[2] - before[2],
	    after[3] - before[3]);
}

int main(void)
{
	static char buf[65536];
	char *line, *save, *p;
	FILE *f;

	mnt("proc", "/proc", "proc");
	mnt("sysfs", "/sys", "sysfs");
	mnt("devtmpfs", "/dev", "devtmpfs");
	mnt("debugfs", "/sys/kernel/debug", "debugfs");
	if (mnt("tmpfs", "/tmp", "tmpfs"))
		mnt("ramfs", "/tmp", "ramfs");
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (!read_file("/proc/cmdline", buf, sizeof(buf))) {
		p = strstr(buf, "spfst.spf=");
		if (p)
			sysctl_val = atoi(p + 10) ? 1 : 0;
		p = strstr(buf, "spfst.timeout=");
		if (p && atol(p + 14) > 0)
			timeout_s = atol(p + 14);
	}
	if (write_file("/proc/sys/vm/speculative_page_fault",
		       sysctl_val ? "1\n" : "0\n"))
		say("spfst: cannot write /proc/sys/vm/speculative_page_fault: %s\n",
		    strerror(errno));
	if (!read_file("/proc/sys/vm/speculative_page_fault", buf, sizeof(buf)))
		say("spfst: vm.speculative_page_fault=%s", buf);
	if (!read_file("/sys/kernel/mm/transparent_hugepage/enabled", buf,
		       sizeof(buf)))
		say("spfst: thp enabled: %s", buf);
	if (!read_file("/proc/version", buf, sizeof(buf)))
		say("spfst: %s", buf);
	say("spfst: per-test timeout %lds\n", timeout_s);

	f = fopen("/tests", "r");
	if (!f) {
		say("spfst: no /tests\n");
	} else {
		static char tl[1024];

		while (fgets(tl, sizeof(tl), f)) {
			char *argv[MAXARGS + 1], *name;
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
			run_test(name, argv);
		}
		fclose(f);
	}

	if (!read_file("/proc/vmstat", buf, sizeof(buf))) {
		for (line = strtok_r(buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			if (!strncmp(line, "spf_", 4))
				say("spfst: vmstat %s\n", line);
	}
	say("spfst: done\n");
	sync();
	/* QEMU runs with -no-reboot: a reboot ends it (no ACPI power off
	 * with qboot). */
	reboot(RB_AUTOBOOT);
	return 0;
}
