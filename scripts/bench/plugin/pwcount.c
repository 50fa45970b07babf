// SPDX-License-Identifier: GPL-2.0
/*
 * pwcount: a QEMU TCG plugin (system emulation, x86_64 guests) that counts,
 * per vCPU and between markers the guest executes, guest instructions,
 * memory accesses and cross-vCPU transfers of 64-byte lines of guest
 * physical memory.  Built against the plugin API of the installed QEMU
 * (scripts/bench/plugin/build.sh); docs/tcg-counts.md has the whole story.
 *
 * Markers (scripts/bench/plugin/pwcount.h): the 8-byte no-op
 * "nopl 0x5057CCII(%rax,%rax,1)", bytes 0f 1f 84 00 II CC 57 50, command CC
 * (1 start, 2 stop, 3 op, 4 dump) for region II.  They are recognised at
 * translation time and are not counted as instructions.  A region is open
 * on one vCPU from its start to its stop marker on that vCPU; while it is
 * open everything that vCPU executes (user, kernel, interrupts; see
 * count=) counts for it.  One region at a time per vCPU.
 *
 * The line model (MSI-like, infinite caches, no evictions).  Every access
 * to guest RAM by any vCPU, inside a region or not, updates the state of
 * 64-byte line it touches (only the first one for an access that also
 * crosses into the next page): 'valid', the set of vCPUs holding an
 * up-to-date copy, and 'writer', the last vCPU that wrote it (or none).
 *
 *   read by v:  a transfer iff v is not in valid and writer is another
 *               vCPU: another vCPU wrote the line since v last read (or
 *               wrote) it.  Then valid |= {v}.
 *   write by v: a transfer iff valid holds a vCPU other than v: another
 *               vCPU touched (read or wrote) the line since v last wrote
 *               it.  Then valid = {v}, writer = v.
 *
 * A line no vCPU ever wrote is read by all without transfers.  An atomic
 * read-modify-write (lock add, xchg, cmpxchg) is one access for QEMU and
 * here a write: at most one transfer.  A plain load followed by a store
 * to a line another vCPU wrote counts two (the read and the invalidation
 * of the other copy).  Transfers are counted for the region open on the
 * accessing vCPU, if any.
 *
 * The model sees accesses in the order of their callbacks, which QEMU runs
 * just after each access, not atomically with it: two vCPUs' accesses to
 * one line close in time (or with the host preempting a vCPU thread in
 * between) can be modelled in the other order and lose a transfer.
 *
 * Lines are keyed by what qemu_plugin_hwaddr_phys_addr() returns for RAM:
 * the RAM block offset, equal to the guest physical address for the low
 * RAM of a PC (all of it up to -m 2G).  Accesses QEMU reports as I/O (MMIO,
 * or a TLB entry gone before the plugin looked it up) are counted as
 * 'untracked', as are addresses past PW_MAX_PHYS.
 *
 * Instructions are counted per translation block at its entry (and after
 * each marker inside it): a block left early by an exception counts its
 * remaining instructions too.  A rep string instruction is re-entered as
 * a block of its own per iteration: it counts its iterations plus one.
 *
 * Thread safety (MTTCG): a vCPU's counters are written only by its own
 * thread.  A line's state is one 64-bit word updated with a
 * compare-and-swap (valid in bits 0-55, writer + 1 in bits 56-63, so at
 * most 56 vCPUs); accesses that do not change it are a plain load.  The
 * per-line transfer statistics (a hash table, touched only on a transfer
 * inside a region) and the report are under one mutex.
 *
 * Arguments (-plugin libpwcount.so,arg=value,...):
 *   outfile=<path>   the report (default: QEMU's plugin output, stderr)
 *   regions=<a:b:c>  region ids that must have run; missing ones make the
 *                    report incomplete
 *   top=<n>          lines listed per region (default 10)
 *   map=<System.map> name the guest virtual addresses of the listed lines
 *                    and of the instructions that last moved them (boot
 *                    the guest with nokaslr)
 *   count=all|user|kernel
 *                    count only the instructions, and the accesses of
 *                    instructions, at user (lower half) or kernel (upper
 *                    half) addresses (default all); the line state always
 *                    follows every access
 *   profile=<path>   also write an instruction profile to <path>: per region,
 *                    the counted instructions per kernel symbol (map=) and
 *                    per block start address (off by default; the report
 *                    itself is the same with or without it)
 *
 * The report's first line is "pwcount: complete" or "pwcount: INCOMPLETE";
 * an incomplete report gives its reasons and no figures.  Incomplete: no
 * marker seen, an expected region never started, a region still open on
 * some vCPU at the report (the guest never reached its stop marker), a
 * stop or op marker outside its region, a start inside an open region.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define PW_MAGIC		0x50570000u
#define PW_CMD_START		1
#define PW_CMD_STOP		2
#define PW_CMD_OP		3
#define PW_CMD_DUMP		4

#define PW_NREGIONS		256
#define PW_MAX_VCPUS		56
#define PW_LINE_SHIFT		6
#define PW_CHUNK_SHIFT		15	/* lines per chunk: 2 MiB of memory */
#define PW_MAX_PHYS		(1ULL << 40)
#define PW_NCHUNKS		(PW_MAX_PHYS >> (PW_LINE_SHIFT + PW_CHUNK_SHIFT))
#define PW_VALID_MASK		((1ULL << PW_MAX_VCPUS) - 1)
#define PW_WRITER_SHIFT		56
#define PW_MAX_PROBLEMS		16

struct pw_counts {
	uint64_t starts;
	uint64_t ops;
	uint64_t insns;
	uint64_t loads;
	uint64_t stores;
	uint64_t untracked;
	uint64_t rd_xfer;
	uint64_t wr_xfer;
};

struct pw_vcpu {
	int region;			/* open region, or -1 */
	struct pw_counts c[PW_NREGIONS];
} __attribute__((aligned(64)));

/* Transfer statistics of one line within one region. */
struct pw_hot {
	uint64_t key;			/* region << 48 | line index; 0: free */
	uint64_t rd_xfer;
	uint64_t wr_xfer;
	uint64_t vaddr;			/* guest virtual address, last transfer */
	uint64_t pc;			/* instruction of the last transfer */
};

struct pw_sym {
	uint64_t addr;
	char *name;
};

static struct pw_vcpu *vcpus;
static int nvcpus;
static uint64_t **chunks;		/* line state words, allocated lazily */

static pthread_mutex_t pw_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pw_hot *hot;		/* under pw_lock */
static size_t hot_cap, hot_used;
static char *problems[PW_MAX_PROBLEMS];	/* under pw_lock */
static unsigned int nproblems;
static bool seen_marker;
static uint64_t untracked_phys;		/* RAM beyond PW_MAX_PHYS */

static const char *outfile;
static unsigned int top_n = 10;
static unsigned int count_mask = 3;	/* bit 0: user, bit 1: kernel */
static bool expected[PW_NREGIONS];
static struct pw_sym *syms;
static size_t nsyms;

/*
 * profile=: the instructions of a counting segment (a block up to its first
 * marker, or from a marker to the next), split into runs of consecutive
 * instructions in one symbol, each run keyed by its first address.  Built
 * at translation; when the segment's instructions are counted, each run's
 * are added to the vCPU's profile table under (region, address).  API 1
 * tells no plugin when a block is freed: a segment lives as long as QEMU
 * (a block translated again after a flush gets a new one).
 */
struct pw_run {
	uint64_t pc;
	uint64_t n;
};

struct pw_seg {
	size_t nruns;
	struct pw_run runs[];
};

/* One (region, run address) of a vCPU's profile table; pc 0: free. */
struct pw_prof {
	uint64_t pc;
	int region;
	uint64_t insns;
	uint64_t execs;
};

struct pw_vprof {
	pthread_mutex_t lock;		/* the vCPU's thread, and the report */
	struct pw_prof *tab;
	size_t cap, used;
} __attribute__((aligned(64)));

static const char *profile;
static struct pw_vprof *vprof;

/* Are the instructions at @pc counted (count=)? */
static inline bool pw_counted(uint64_t pc)
{
	return (count_mask >> (pc >> 63)) & 1;
}

/* Counters are written by their vCPU's thread only, read by the report. */
static inline void pw_add(uint64_t *p, uint64_t n)
{
	__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + n,
			 __ATOMIC_RELAXED);
}

static inline uint64_t pw_get(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void pw_problem(const char *fmt, unsigned int a, unsigned int b)
{
	char buf[160];

	snprintf(buf, sizeof(buf), fmt, a, b);
	pthread_mutex_lock(&pw_lock);
	if (nproblems < PW_MAX_PROBLEMS)
		problems[nproblems] = strdup(buf);
	nproblems++;
	pthread_mutex_unlock(&pw_lock);
}

/* The state word of line @line, or NULL past PW_MAX_PHYS. */
static uint64_t *pw_line_word(uint64_t line)
{
	uint64_t ci = line >> PW_CHUNK_SHIFT;
	uint64_t *c, *fresh, *expect = NULL;

	if (ci >= PW_NCHUNKS)
		return NULL;
	c = __atomic_load_n(&chunks[ci], __ATOMIC_ACQUIRE);
	if (!c) {
		fresh = calloc(1UL << PW_CHUNK_SHIFT, sizeof(*fresh));
		if (!fresh)
			abort();
		if (__atomic_compare_exchange_n(&chunks[ci], &expect, fresh,
						false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			c = fresh;
		} else {
			free(fresh);
			c = expect;
		}
	}
	return &c[line & ((1UL << PW_CHUNK_SHIFT) - 1)];
}

/* Apply the line model to an access; true if it is a transfer. */
static bool pw_line_access(uint64_t *word, unsigned int vcpu, bool store)
{
	uint64_t me = 1ULL << vcpu, wr = (uint64_t)(vcpu + 1) << PW_WRITER_SHIFT;
	uint64_t old = __atomic_load_n(word, __ATOMIC_RELAXED), new;
	uint64_t writer;
	bool xfer;

	do {
		if (store) {
			xfer = (old & PW_VALID_MASK & ~me) != 0;
			new = me | wr;
		} else {
			if (old & me)
				return false;
			writer = old >> PW_WRITER_SHIFT;
			xfer = writer && writer != (uint64_t)vcpu + 1;
			new = old | me;
		}
		if (new == old)
			return false;
	} while (!__atomic_compare_exchange_n(word, &old, new, true,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return xfer;
}

static uint64_t pw_hash(uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return key;
}

static struct pw_hot *pw_hot_slot(struct pw_hot *tab, size_t cap,
				  uint64_t key)
{
	size_t i = pw_hash(key) & (cap - 1);

	while (tab[i].key && tab[i].key != key)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

/* Called with pw_lock held. */
static void pw_hot_grow(void)
{
	size_t ncap = hot_cap ? hot_cap * 2 : 4096, i;
	struct pw_hot *ntab = calloc(ncap, sizeof(*ntab));

	if (!ntab)
		abort();
	for (i = 0; i < hot_cap; i++)
		if (hot[i].key)
			*pw_hot_slot(ntab, ncap, hot[i].key) = hot[i];
	free(hot);
	hot = ntab;
	hot_cap = ncap;
}

static void pw_hot_add(int region, uint64_t line, bool store, uint64_t vaddr,
		       uint64_t pc)
{
	/* line < 2^34, so the key is never 0. */
	uint64_t key = (uint64_t)(region + 1) << 48 | line;
	struct pw_hot *h;

	pthread_mutex_lock(&pw_lock);
	if ((hot_used + 1) * 2 > hot_cap)
		pw_hot_grow();
	h = pw_hot_slot(hot, hot_cap, key);
	if (!h->key) {
		h->key = key;
		hot_used++;
	}
	if (store)
		h->wr_xfer++;
	else
		h->rd_xfer++;
	h->vaddr = vaddr;
	h->pc = pc;
	pthread_mutex_unlock(&pw_lock);
}

static void pw_mem(unsigned int vcpu, qemu_plugin_meminfo_t info,
		   uint64_t vaddr, void *udata)
{
	struct qemu_plugin_hwaddr *hw = qemu_plugin_get_hwaddr(info, vaddr);
	bool store = qemu_plugin_mem_is_store(info);
	unsigned int size = 1U << qemu_plugin_mem_size_shift(info);
	struct pw_vcpu *v = &vcpus[vcpu];
	int region = v->region;
	struct pw_counts *c = NULL;
	uint64_t pa, line, last, *word;

	if (region >= 0 && pw_counted((uintptr_t)udata))
		c = &v->c[region];

	if (!hw || qemu_plugin_hwaddr_is_io(hw)) {
		if (c)
			pw_add(&c->untracked, 1);
		return;
	}
	pa = qemu_plugin_hwaddr_phys_addr(hw);
	if (c)
		pw_add(store ? &c->stores : &c->loads, 1);
	line = pa >> PW_LINE_SHIFT;
	last = (pa + size - 1) >> PW_LINE_SHIFT;
	/* A line-crossing access touching the next page: first line only. */
	if (((pa ^ (pa + size - 1)) >> 12) != 0)
		last = line;
	for (; line <= last; line++) {
		word = pw_line_word(line);
		if (!word) {
			__atomic_fetch_add(&untracked_phys, 1,
					   __ATOMIC_RELAXED);
			continue;
		}
		if (!pw_line_access(word, vcpu, store) || !c)
			continue;
		pw_add(store ? &c->wr_xfer : &c->rd_xfer, 1);
		pw_hot_add(region, line, store, vaddr, (uintptr_t)udata);
	}
}

/* Called with the vCPU's profile lock held. */
static struct pw_prof *pw_prof_slot(struct pw_prof *tab, size_t cap,
				    int region, uint64_t pc)
{
	size_t i = pw_hash(pc ^ (uint64_t)region << 8) & (cap - 1);

	while (tab[i].pc && (tab[i].pc != pc || tab[i].region != region))
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

/* The runs of segment @s executed once in @region on @vcpu (profile=). */
static void pw_prof_add(unsigned int vcpu, int region, const struct pw_seg *s)
{
	struct pw_vprof *vp = &vprof[vcpu];
	struct pw_prof *e;
	size_t i, j;

	pthread_mutex_lock(&vp->lock);
	for (i = 0; i < s->nruns; i++) {
		if ((vp->used + 1) * 2 > vp->cap) {
			size_t ncap = vp->cap ? vp->cap * 2 : 16384;
			struct pw_prof *ntab = calloc(ncap, sizeof(*ntab));

			if (!ntab)
				abort();
			for (j = 0; j < vp->cap; j++)
				if (vp->tab[j].pc)
					*pw_prof_slot(ntab, ncap,
						      vp->tab[j].region,
						      vp->tab[j].pc) = vp->tab[j];
			free(vp->tab);
			vp->tab = ntab;
			vp->cap = ncap;
		}
		e = pw_prof_slot(vp->tab, vp->cap, region, s->runs[i].pc);
		if (!e->pc) {
			e->pc = s->runs[i].pc;
			e->region = region;
			vp->used++;
		}
		e->insns += s->runs[i].n;
		e->execs++;
	}
	pthread_mutex_unlock(&vp->lock);
}

/* profile=: at block entry, after pw_tb_exec (udata: the segment). */
static void pw_prof_tb_exec(unsigned int vcpu, void *udata)
{
	int region = vcpus[vcpu].region;

	if (region >= 0)
		pw_prof_add(vcpu, region, udata);
}

/* profile=: on a marker, after pw_marker (udata: the segment after it). */
static void pw_prof_marker(unsigned int vcpu, void *udata)
{
	pw_prof_tb_exec(vcpu, udata);
}

/* Instructions of a block (up to its first marker), at block entry. */
static void pw_tb_exec(unsigned int vcpu, void *udata)
{
	struct pw_vcpu *v = &vcpus[vcpu];

	if (v->region >= 0)
		pw_add(&v->c[v->region].insns, (uintptr_t)udata);
}

static void pw_write_report(void);

/*
 * A marker: udata is id | cmd << 8 | n << 16, n the instructions after it
 * in its block up to the next marker (counted under the new state).
 */
static void pw_marker(unsigned int vcpu, void *udata)
{
	uintptr_t m = (uintptr_t)udata;
	unsigned int id = m & 0xff, cmd = (m >> 8) & 0xff;
	struct pw_vcpu *v = &vcpus[vcpu];

	__atomic_store_n(&seen_marker, true, __ATOMIC_RELAXED);
	switch (cmd) {
	case PW_CMD_START:
		if (v->region >= 0) {
			pw_problem("start marker of region %u inside open region %u",
				   id, v->region);
			break;
		}
		pw_add(&v->c[id].starts, 1);
		__atomic_store_n(&v->region, (int)id, __ATOMIC_RELAXED);
		break;
	case PW_CMD_STOP:
		if (v->region != (int)id) {
			pw_problem("stop marker of region %u outside it on vCPU %u",
				   id, vcpu);
			break;
		}
		__atomic_store_n(&v->region, -1, __ATOMIC_RELAXED);
		break;
	case PW_CMD_OP:
		if (v->region != (int)id) {
			pw_problem("op marker of region %u outside it on vCPU %u",
				   id, vcpu);
			break;
		}
		pw_add(&v->c[id].ops, 1);
		break;
	case PW_CMD_DUMP:
		pw_write_report();
		break;
	}
	if (v->region >= 0)
		pw_add(&v->c[v->region].insns, m >> 16);
}

static bool pw_is_marker(struct qemu_plugin_insn *insn, uintptr_t *m)
{
	const uint8_t *b = qemu_plugin_insn_data(insn);
	unsigned int cmd;

	if (qemu_plugin_insn_size(insn) != 8 || b[0] != 0x0f ||
	    b[1] != 0x1f || b[2] != 0x84 || b[3] != 0x00 ||
	    b[6] != ((PW_MAGIC >> 16) & 0xff) || b[7] != (PW_MAGIC >> 24))
		return false;
	cmd = b[5];
	if (cmd < PW_CMD_START || cmd > PW_CMD_DUMP)
		return false;
	*m = b[4] | cmd << 8;
	return true;
}

/*
 * The symbol of a kernel address: its index in syms, or -1 (a user address,
 * no map=, or not in the image: before the first symbol, after the last or
 * more than 1 MiB past its symbol).
 */
static long pw_sym_find(uint64_t addr)
{
	size_t lo = 0, hi = nsyms;

	if (!nsyms || addr < syms[0].addr || addr >> 63 == 0)
		return -1;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (hi == nsyms || addr - syms[lo].addr > (1U << 20))
		return -1;
	return lo;
}

/*
 * profile=: add instruction @insn (counted or not: @one) to segment @s,
 * starting a new run at a change of symbol; *@sym: the symbol of the last
 * run.  Returns the segment, reallocated as it grows.
 */
static struct pw_seg *pw_seg_add(struct pw_seg *s, long *sym,
				 struct qemu_plugin_insn *insn, uintptr_t one)
{
	uint64_t pc = qemu_plugin_insn_vaddr(insn);
	long k = pw_sym_find(pc);

	if (!one)
		return s;
	if (!s || *sym != k || (k < 0 && (pc >> 63) !=
				(s->runs[s->nruns - 1].pc >> 63))) {
		size_t n = s ? s->nruns + 1 : 1;

		s = realloc(s, sizeof(*s) + n * sizeof(s->runs[0]));
		if (!s)
			abort();
		s->nruns = n;
		s->runs[n - 1].pc = pc;
		s->runs[n - 1].n = 0;
		*sym = k;
	}
	s->runs[s->nruns - 1].n++;
	return s;
}

static void pw_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb), i;
	struct qemu_plugin_insn *insn, *marker = NULL;
	uintptr_t seg = 0, m, mark = 0;
	/* 0 to count none of the block's instructions (count=). */
	uintptr_t one = pw_counted(qemu_plugin_tb_vaddr(tb));
	/* profile=: the runs of the current segment (NULL: none yet). */
	struct pw_seg *ps = NULL;
	long psym = -1;

	for (i = 0; i < n; i++) {
		insn = qemu_plugin_tb_get_insn(tb, i);
		if (pw_is_marker(insn, &m)) {
			if (marker)
				qemu_plugin_register_vcpu_insn_exec_cb(marker,
					pw_marker, QEMU_PLUGIN_CB_NO_REGS,
					(void *)(mark | seg << 16));
			else if (seg && one)
				qemu_plugin_register_vcpu_tb_exec_cb(tb,
					pw_tb_exec, QEMU_PLUGIN_CB_NO_REGS,
					(void *)seg);
			if (profile && ps) {
				if (marker)
					qemu_plugin_register_vcpu_insn_exec_cb(
						marker, pw_prof_marker,
						QEMU_PLUGIN_CB_NO_REGS, ps);
				else
					qemu_plugin_register_vcpu_tb_exec_cb(
						tb, pw_prof_tb_exec,
						QEMU_PLUGIN_CB_NO_REGS, ps);
			}
			ps = NULL;
			marker = insn;
			mark = m;
			seg = 0;
			continue;
		}
		seg += one;
		if (profile)
			ps = pw_seg_add(ps, &psym, insn, one);
		qemu_plugin_register_vcpu_mem_cb(insn, pw_mem,
						 QEMU_PLUGIN_CB_NO_REGS,
						 QEMU_PLUGIN_MEM_RW,
						 (void *)(uintptr_t)
						 qemu_plugin_insn_vaddr(insn));
	}
	if (marker)
		qemu_plugin_register_vcpu_insn_exec_cb(marker, pw_marker,
						       QEMU_PLUGIN_CB_NO_REGS,
						       (void *)(mark | seg << 16));
	else if (seg && one)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, pw_tb_exec,
						     QEMU_PLUGIN_CB_NO_REGS,
						     (void *)seg);
	/* After the counting callbacks: runs in the order QEMU adds them. */
	if (profile && ps) {
		if (marker)
			qemu_plugin_register_vcpu_insn_exec_cb(marker,
				pw_prof_marker, QEMU_PLUGIN_CB_NO_REGS, ps);
		else
			qemu_plugin_register_vcpu_tb_exec_cb(tb,
				pw_prof_tb_exec, QEMU_PLUGIN_CB_NO_REGS, ps);
	}
}

static int pw_sym_cmp(const void *a, const void *b)
{
	const struct pw_sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int pw_load_map(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512], type, name[400];
	unsigned long long addr;
	size_t cap = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %399s", &addr, &type, name) != 3)
			continue;
		if (!strchr("tTdDbBrR", type))
			continue;
		if (nsyms == cap) {
			cap = cap ? cap * 2 : 65536;
			syms = realloc(syms, cap * sizeof(*syms));
			if (!syms)
				abort();
		}
		syms[nsyms].addr = addr;
		syms[nsyms].name = strdup(name);
		nsyms++;
	}
	fclose(f);
	qsort(syms, nsyms, sizeof(*syms), pw_sym_cmp);
	return 0;
}

/* "sym+0xoff" for a kernel text/data address, "-" otherwise. */
static void pw_symbolize(uint64_t addr, char *buf, size_t len)
{
	long k = pw_sym_find(addr);

	if (k < 0) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(buf, len, "%s+0x%" PRIx64, syms[k].name,
		 addr - syms[k].addr);
}

static int pw_hot_cmp(const void *a, const void *b)
{
	const struct pw_hot *x = a, *y = b;
	uint64_t tx = x->rd_xfer + x->wr_xfer, ty = y->rd_xfer + y->wr_xfer;

	if (tx != ty)
		return tx < ty ? 1 : -1;
	return x->key < y->key ? -1 : x->key > y->key;
}

static double pw_per(uint64_t n, uint64_t ops)
{
	return ops ? (double)n / ops : 0.0;
}

/*
 * Every reason the figures cannot be a result, printed; false if none.
 * @ran gets which regions some vCPU started. Called with pw_lock held.
 */
static bool pw_incomplete(FILE *f, bool *ran)
{
	char buf[160];
	bool any = false;
	unsigned int j;
	int r, k;

	for (r = 0; r < PW_NREGIONS; r++)
		for (k = 0; k < nvcpus; k++)
			if (pw_get(&vcpus[k].c[r].starts))
				ran[r] = true;

#define PW_WHY(...) do {						\
		snprintf(buf, sizeof(buf), __VA_ARGS__);		\
		if (!any)						\
			fprintf(f, "pwcount: INCOMPLETE\n");		\
		fprintf(f, "incomplete: %s\n", buf);			\
		any = true;						\
	} while (0)

	if (!__atomic_load_n(&seen_marker, __ATOMIC_RELAXED))
		PW_WHY("no marker seen: the guest ran no start marker");
	for (r = 0; r < PW_NREGIONS; r++)
		if (expected[r] && !ran[r])
			PW_WHY("region %d: no start marker seen", r);
	for (k = 0; k < nvcpus; k++) {
		r = __atomic_load_n(&vcpus[k].region, __ATOMIC_RELAXED);
		if (r >= 0)
			PW_WHY("region %d still open on vCPU %d: stop marker not reached",
			       r, k);
	}
	for (j = 0; j < nproblems && j < PW_MAX_PROBLEMS; j++)
		PW_WHY("%s", problems[j]);
	if (nproblems > PW_MAX_PROBLEMS)
		PW_WHY("... %u marker problems in all", nproblems);
#undef PW_WHY
	if (any)
		fprintf(f, "(no figures: an incomplete run is not a result)\n");
	return any;
}

/* Called with pw_lock held. */
static void pw_print(FILE *f)
{
	bool ran[PW_NREGIONS] = { false };
	struct pw_hot *sorted = NULL;
	size_t nsorted = 0, i;
	int r, k;

	if (pw_incomplete(f, ran))
		return;

	fprintf(f, "pwcount: complete\n");
	fprintf(f, "# model: 64-byte lines of guest RAM, MSI-like (docs/tcg-counts.md); count=%s\n",
		count_mask == 3 ? "all" : count_mask == 1 ? "user" : "kernel");
	fprintf(f, "# untracked RAM accesses past %llu GiB: %" PRIu64 "\n",
		PW_MAX_PHYS >> 30, pw_get(&untracked_phys));
	fprintf(f, "#%-6s %-5s %6s %10s %14s %13s %13s %9s %10s %10s\n",
		"region", "vcpu", "starts", "ops", "insns", "loads", "stores",
		"untracked", "rd_xfer", "wr_xfer");
	for (r = 0; r < PW_NREGIONS; r++) {
		struct pw_counts t = { 0 };

		if (!ran[r])
			continue;
		for (k = 0; k < nvcpus; k++) {
			struct pw_counts *c = &vcpus[k].c[r];
			struct pw_counts s = {
				pw_get(&c->starts), pw_get(&c->ops),
				pw_get(&c->insns), pw_get(&c->loads),
				pw_get(&c->stores), pw_get(&c->untracked),
				pw_get(&c->rd_xfer), pw_get(&c->wr_xfer),
			};

			if (!s.starts)
				continue;
			fprintf(f, "R %-5d %-5d %6" PRIu64 " %10" PRIu64 " %14"
				PRIu64 " %13" PRIu64 " %13" PRIu64 " %9" PRIu64
				" %10" PRIu64 " %10" PRIu64 "\n", r, k,
				s.starts, s.ops, s.insns, s.loads, s.stores,
				s.untracked, s.rd_xfer, s.wr_xfer);
			t.starts += s.starts;
			t.ops += s.ops;
			t.insns += s.insns;
			t.loads += s.loads;
			t.stores += s.stores;
			t.untracked += s.untracked;
			t.rd_xfer += s.rd_xfer;
			t.wr_xfer += s.wr_xfer;
		}
		fprintf(f, "T %-5d %-5s %6" PRIu64 " %10" PRIu64 " %14" PRIu64
			" %13" PRIu64 " %13" PRIu64 " %9" PRIu64 " %10" PRIu64
			" %10" PRIu64 "\n", r, "all", t.starts, t.ops, t.insns,
			t.loads, t.stores, t.untracked, t.rd_xfer, t.wr_xfer);
		fprintf(f, "P %-5d ops %" PRIu64 " insns/op %.3f accesses/op %.3f xfers/op %.4f rd_xfers/op %.4f wr_xfers/op %.4f\n",
			r, t.ops, pw_per(t.insns, t.ops),
			pw_per(t.loads + t.stores, t.ops),
			pw_per(t.rd_xfer + t.wr_xfer, t.ops),
			pw_per(t.rd_xfer, t.ops), pw_per(t.wr_xfer, t.ops));
	}

	/* The lines that transfer most, per region. */
	if (hot_used)
		sorted = malloc(hot_used * sizeof(*sorted));
	for (i = 0; sorted && i < hot_cap; i++)
		if (hot[i].key)
			sorted[nsorted++] = hot[i];
	if (nsorted)
		qsort(sorted, nsorted, sizeof(*sorted), pw_hot_cmp);
	fprintf(f, "# top %u lines per region: region rank paddr vaddr rd_xfer wr_xfer pc vaddr-symbol pc-symbol\n",
		top_n);
	for (r = 0; r < PW_NREGIONS; r++) {
		unsigned int rank = 0;

		for (i = 0; i < nsorted && rank < top_n; i++) {
			struct pw_hot *h = &sorted[i];
			char vs[200], ps[200];

			if ((h->key >> 48) != (uint64_t)r + 1)
				continue;
			pw_symbolize(h->vaddr & ~(uint64_t)63, vs, sizeof(vs));
			pw_symbolize(h->pc, ps, sizeof(ps));
			fprintf(f, "L %-5d %2u 0x%010" PRIx64 " 0x%016" PRIx64
				" %8" PRIu64 " %8" PRIu64 " 0x%016" PRIx64
				" %s %s\n", r, ++rank,
				(h->key & (((uint64_t)1 << 48) - 1)) << PW_LINE_SHIFT,
				h->vaddr & ~(uint64_t)63, h->rd_xfer, h->wr_xfer,
				h->pc, vs, ps);
		}
	}
	free(sorted);
}

static int pw_prof_cmp(const void *a, const void *b)
{
	const struct pw_prof *x = a, *y = b;

	if (x->region != y->region)
		return x->region < y->region ? -1 : 1;
	return x->pc < y->pc ? -1 : x->pc > y->pc;
}

/* Per-symbol totals of one region, for sorting. */
struct pw_symtot {
	long sym;			/* index in syms; -1 user, -2 other */
	uint64_t insns;
};

static int pw_symtot_cmp(const void *a, const void *b)
{
	const struct pw_symtot *x = a, *y = b;

	if (x->insns != y->insns)
		return x->insns < y->insns ? 1 : -1;
	return x->sym < y->sym ? -1 : x->sym > y->sym;
}

static const char *pw_symname(long k)
{
	return k >= 0 ? syms[k].name : k == -1 ? "[user]" : "[kernel]";
}

/*
 * profile=: per region, the counted instructions per symbol ("S" lines,
 * most first) and per run start address ("B" lines, by address); both per
 * op too.  Called with pw_lock held.
 */
static void pw_print_profile(FILE *f)
{
	bool ran[PW_NREGIONS] = { false };
	struct pw_prof *all = NULL;
	struct pw_symtot *st = NULL;
	size_t n = 0, cap = 0, i, j, nst;
	int r, k;

	if (pw_incomplete(f, ran))
		return;
	for (k = 0; k < nvcpus; k++) {
		struct pw_vprof *vp = &vprof[k];

		pthread_mutex_lock(&vp->lock);
		if (n + vp->used > cap) {
			cap = n + vp->used;
			all = realloc(all, cap * sizeof(*all));
			if (!all)
				abort();
		}
		for (i = 0; i < vp->cap; i++)
			if (vp->tab[i].pc)
				all[n++] = vp->tab[i];
		pthread_mutex_unlock(&vp->lock);
	}
	if (n)
		qsort(all, n, sizeof(*all), pw_prof_cmp);
	/* Merge the vCPUs' entries of one (region, address). */
	for (i = 0, j = 0; i < n; i++) {
		if (j && all[j - 1].region == all[i].region &&
		    all[j - 1].pc == all[i].pc) {
			all[j - 1].insns += all[i].insns;
			all[j - 1].execs += all[i].execs;
		} else {
			all[j++] = all[i];
		}
	}
	n = j;
	st = calloc(n ? n : 1, sizeof(*st));
	if (!st)
		abort();

	fprintf(f, "pwcount profile: complete\n");
	fprintf(f, "# count=%s; instructions counted per block at entry, as in the report (docs/tcg-counts.md)\n",
		count_mask == 3 ? "all" : count_mask == 1 ? "user" : "kernel");
	fprintf(f, "# N region ops insns(report) insns(profile)\n");
	fprintf(f, "# S region insns insns/op symbol   ([user]: user space, [kernel]: no symbol)\n");
	fprintf(f, "# B region pc execs insns insns/op symbol+offset   (a run of instructions of one symbol in a block, by its first address)\n");
	for (r = 0; r < PW_NREGIONS; r++) {
		uint64_t ops = 0, insns = 0, psum = 0;
		size_t first = n, last = n;

		if (!ran[r])
			continue;
		for (k = 0; k < nvcpus; k++) {
			ops += pw_get(&vcpus[k].c[r].ops);
			insns += pw_get(&vcpus[k].c[r].insns);
		}
		for (i = 0; i < n; i++)
			if (all[i].region == r) {
				if (first == n)
					first = i;
				last = i + 1;
			}
		/* Per symbol (runs by address: mostly the last entry). */
		nst = 0;
		for (i = first; i < last; i++) {
			long s = pw_sym_find(all[i].pc);

			if (s < 0)
				s = all[i].pc >> 63 ? -2 : -1;
			psum += all[i].insns;
			for (j = nst; j > 0 && st[j - 1].sym != s; j--)
				;
			if (j > 0) {
				st[j - 1].insns += all[i].insns;
			} else {
				st[nst].sym = s;
				st[nst].insns = all[i].insns;
				nst++;
			}
		}
		fprintf(f, "N %-5d %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", r,
			ops, insns, psum);
		qsort(st, nst, sizeof(*st), pw_symtot_cmp);
		for (j = 0; j < nst; j++)
			fprintf(f, "S %-5d %12" PRIu64 " %12.3f %s\n", r,
				st[j].insns, pw_per(st[j].insns, ops),
				pw_symname(st[j].sym));
		for (i = first; i < last; i++) {
			char ps[200];

			pw_symbolize(all[i].pc, ps, sizeof(ps));
			fprintf(f, "B %-5d 0x%016" PRIx64 " %10" PRIu64 " %12"
				PRIu64 " %10.3f %s\n", r, all[i].pc,
				all[i].execs, all[i].insns,
				pw_per(all[i].insns, ops), ps);
		}
	}
	free(st);
	free(all);
}

static void pw_write_report(void)
{
	FILE *f;

	pthread_mutex_lock(&pw_lock);
	if (outfile) {
		f = fopen(outfile, "w");
		if (!f) {
			pthread_mutex_unlock(&pw_lock);
			qemu_plugin_outs("pwcount: cannot write the outfile\n");
			return;
		}
		pw_print(f);
		fclose(f);
	} else {
		char *buf = NULL;
		size_t len = 0;

		f = open_memstream(&buf, &len);
		if (f) {
			pw_print(f);
			fclose(f);
			qemu_plugin_outs(buf);
			free(buf);
		}
	}
	if (profile) {
		f = fopen(profile, "w");
		if (f) {
			pw_print_profile(f);
			fclose(f);
		} else {
			qemu_plugin_outs("pwcount: cannot write the profile\n");
		}
	}
	pthread_mutex_unlock(&pw_lock);
}

static void pw_exit(qemu_plugin_id_t id, void *udata)
{
	pw_write_report();
}

static int pw_parse_regions(char *s)
{
	char *end;
	unsigned long r;

	for (;;) {
		r = strtoul(s, &end, 10);
		if (end == s || r >= PW_NREGIONS)
			return -1;
		expected[r] = true;
		if (!*end)
			return 0;
		if (*end != ':')
			return -1;
		s = end + 1;
	}
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info,
					   int argc, char **argv)
{
	char msg[256];
	int i, r;

	if (!info->system_emulation || strcmp(info->target_name, "x86_64")) {
		qemu_plugin_outs("pwcount: needs qemu-system-x86_64\n");
		return -1;
	}
	nvcpus = info->system.max_vcpus;
	if (nvcpus < 1 || nvcpus > PW_MAX_VCPUS) {
		snprintf(msg, sizeof(msg), "pwcount: %d vCPUs, at most %d\n",
			 nvcpus, PW_MAX_VCPUS);
		qemu_plugin_outs(msg);
		return -1;
	}
	for (i = 0; i < argc; i++) {
		char *a = argv[i], *eq = strchr(a, '=');

		if (eq && !strncmp(a, "outfile=", 8)) {
			outfile = eq + 1;
		} else if (eq && !strncmp(a, "top=", 4)) {
			top_n = strtoul(eq + 1, NULL, 10);
		} else if (eq && !strncmp(a, "regions=", 8)) {
			if (pw_parse_regions(eq + 1)) {
				qemu_plugin_outs("pwcount: regions=<id>:<id>... (ids 0-255)\n");
				return -1;
			}
		} else if (eq && !strncmp(a, "count=", 6)) {
			if (!strcmp(eq + 1, "all")) {
				count_mask = 3;
			} else if (!strcmp(eq + 1, "user")) {
				count_mask = 1;
			} else if (!strcmp(eq + 1, "kernel")) {
				count_mask = 2;
			} else {
				qemu_plugin_outs("pwcount: count=all|user|kernel\n");
				return -1;
			}
		} else if (eq && !strncmp(a, "profile=", 8)) {
			profile = eq + 1;
		} else if (eq && !strncmp(a, "map=", 4)) {
			if (pw_load_map(eq + 1)) {
				snprintf(msg, sizeof(msg),
					 "pwcount: cannot read %s\n", eq + 1);
				qemu_plugin_outs(msg);
				return -1;
			}
		} else {
			snprintf(msg, sizeof(msg),
				 "pwcount: unknown argument '%s'\n", a);
			qemu_plugin_outs(msg);
			return -1;
		}
	}
	vcpus = aligned_alloc(64, nvcpus * sizeof(*vcpus));
	chunks = calloc(PW_NCHUNKS, sizeof(*chunks));
	if (!vcpus || !chunks)
		return -1;
	memset(vcpus, 0, nvcpus * sizeof(*vcpus));
	for (r = 0; r < nvcpus; r++)
		vcpus[r].region = -1;
	if (profile) {
		FILE *f = fopen(profile, "w");

		vprof = aligned_alloc(64, nvcpus * sizeof(*vprof));
		if (!f || !vprof) {
			snprintf(msg, sizeof(msg),
				 "pwcount: cannot write %s\n", profile);
			qemu_plugin_outs(msg);
			return -1;
		}
		memset(vprof, 0, nvcpus * sizeof(*vprof));
		for (r = 0; r < nvcpus; r++)
			pthread_mutex_init(&vprof[r].lock, NULL);
		fprintf(f, "pwcount: INCOMPLETE\nincomplete: QEMU did not exit (no profile written yet)\n");
		fclose(f);
	}
	/* An unwritable outfile is an error now, not at exit. */
	if (outfile) {
		FILE *f = fopen(outfile, "w");

		if (!f) {
			snprintf(msg, sizeof(msg),
				 "pwcount: cannot write %s\n", outfile);
			qemu_plugin_outs(msg);
			return -1;
		}
		fprintf(f, "pwcount: INCOMPLETE\nincomplete: QEMU did not exit (no report written yet)\n");
		fclose(f);
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, pw_tb_trans);
	qemu_plugin_register_atexit_cb(id, pw_exit, NULL);
	return 0;
}
