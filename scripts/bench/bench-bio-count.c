// SPDX-License-Identifier: GPL-2.0
/*
 * Counted bio operations on the page path for scripts/bench/bench-bio.sh,
 * built out of tree against each benchmark kernel (7.3 and part 1 with
 * CONFIG_BLK_PAGELESS=y or =n), loaded by the benchmark's /init under the
 * pwcount TCG plugin (docs/tcg-counts.md, docs/part1-counts.md).
 *
 * Every region holds @rounds rounds of @loops operations (loops=0: the
 * region's own default), one pwcount operation each, on one CPU
 * (migrate_disable()); the plugin adds the rounds up.  Only exported
 * block API, only memory with struct pages:
 *
 *  1 alloc1      bio_alloc_bioset(fs_bio_set, 1 vec) + bio_add_page() of
 *                one page + bio_put()
 *  2 add8        bio_reset() + bio_add_page() of 8 separate pages
 *  3 add32       bio_reset() + bio_add_page() of 32 separate pages
 *  4 addfolio    bio_reset() + bio_add_folio() of one 32-page folio
 *  5 iter32      bio_for_each_segment() over a bio of 32 separate pages,
 *                reading each segment's page, offset and length
 *  6 advance32   32 bio_advance() of one page each over that bio
 *  7 read4k      bio_alloc_bioset() + bio_add_page() + submit_bio_wait()
 *  8 write4k     + bio_put(): a 4 KiB read, write, to /dev/ram0 (brd)
 *  9 read64k     the same with 16 separate pages
 * 10 write64k
 * 11 mapsg32     sg_init_table() + blk_rq_map_sg() of a request of
 *                /dev/vda (virtio-blk, blk-mq) holding a bio of 32
 *                separate pages; the request is never issued
 *
 * "Separate" pages are the first pages of order-1 blocks, so that no two
 * are physically adjacent and bio_add_page() never merges them.  The
 * ramdisk area the I/O regions use (64 slots of 64 KiB) is written once
 * before them, so brd allocates nothing inside a region.  The first
 * region starts after a second's sleep, so that the deferred work of the
 * module's load is done.
 * Like lib/test_vmalloc.c the module fails its init on purpose
 * (-EAGAIN) so that it is unloaded again; any other error is real.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/blk-mq.h>
#include <linux/scatterlist.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/preempt.h>
#include <linux/file.h>
#include <linux/delay.h>

#include "pwcount.h"

#define NR_PAGES	32
#define IO_PAGES	16
#define SG_PAGES	32
#define FOLIO_ORDER	5
#define IO_SLOTS	64
#define SLOT_SECTORS	(IO_PAGES * PAGE_SIZE >> SECTOR_SHIFT)
#define MAX_LOOPS	4096
#define NR_REGIONS	11

static unsigned int loops;
module_param(loops, uint, 0444);
MODULE_PARM_DESC(loops, "operations per region and round (1-4096; default 0: by region)");

static unsigned int rounds = 8;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "rounds per region (1-64)");

static char *ramdisk = "/dev/ram0";
module_param(ramdisk, charp, 0444);
MODULE_PARM_DESC(ramdisk, "brd disk for the I/O regions");

static char *mqdisk = "/dev/vda";
module_param(mqdisk, charp, 0444);
MODULE_PARM_DESC(mqdisk, "blk-mq disk for the blk_rq_map_sg() region (empty: skip)");

static struct page *pages[NR_PAGES];
static struct folio *folio;
static struct bio *bio32;	/* the bio of regions 2-6 */
static struct scatterlist sgl[SG_PAGES];
static unsigned long sink;

/* Operations per round of region @id. */
static unsigned int nr_loops(int id)
{
	if (loops)
		return loops;
	return id >= 7 && id <= 10 ? 256 : 1024;
}

/*
 * The region id is an immediate of the marker instructions, so each
 * region is a function of its own, made by this macro around the body of
 * one operation (@op, with j the operation's index in its round).
 */
#define DEFINE_REGION(id, name, op)					\
static int count_##name(void)						\
{									\
	unsigned int n = nr_loops(id), j, r;				\
	int ret = 0;							\
									\
	for (r = 0; r < rounds && !ret; r++) {				\
		migrate_disable();					\
		PWCOUNT_START(id);					\
		for (j = 0; j < n && !ret; j++) {			\
			PWCOUNT_OP(id);					\
			op;						\
		}							\
		PWCOUNT_STOP(id);					\
		migrate_enable();					\
	}								\
	if (ret)							\
		pr_err("region %d (%s): error %d\n", id, #name, ret);	\
	return ret;							\
}

/* bio_add_page() of the first @n separate pages. */
static int add_pages(struct bio *bio, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (bio_add_page(bio, pages[i], PAGE_SIZE, 0) != PAGE_SIZE)
			return -EIO;
	return 0;
}

static int alloc1(void)
{
	struct bio *bio;
	int ret = 0;

	bio = bio_alloc_bioset(NULL, 1, REQ_OP_READ, GFP_KERNEL, &fs_bio_set);
	if (!bio)
		return -ENOMEM;
	if (bio_add_page(bio, pages[0], PAGE_SIZE, 0) != PAGE_SIZE)
		ret = -EIO;
	bio_put(bio);
	return ret;
}

/* bio_reset() of the bio of regions 2-6 and @n separate pages into it. */
static int reset_add(unsigned int n)
{
	bio_reset(bio32, NULL, REQ_OP_READ);
	return add_pages(bio32, n);
}

static int addfolio(void)
{
	bio_reset(bio32, NULL, REQ_OP_READ);
	return bio_add_folio(bio32, folio, folio_size(folio), 0) ? 0 : -EIO;
}

static int iter32(void)
{
	struct bvec_iter iter;
	struct bio_vec bv;
	unsigned long acc = 0;

	bio_for_each_segment(bv, bio32, iter) {
#ifdef __bvec_set_page	/* part 1: the page through its accessor */
		acc += (unsigned long)bvec_page(&bv);
#else
		acc += (unsigned long)bv.bv_page;
#endif
		acc += bv.bv_offset + bv.bv_len;
	}
	WRITE_ONCE(sink, acc);
	return acc ? 0 : -EIO;
}

static int advance32(void)
{
	struct bvec_iter saved = bio32->bi_iter;
	unsigned int i;

	for (i = 0; i < NR_PAGES; i++)
		bio_advance(bio32, PAGE_SIZE);
	i = bio32->bi_iter.bi_size;
	bio32->bi_iter = saved;
	return i ? -EIO : 0;
}

/* One synchronous I/O of @n separate pages at slot @slot of @bdev. */
static int sync_io(struct block_device *bdev, blk_opf_t opf, unsigned int n,
		   unsigned int slot)
{
	struct bio *bio;
	int ret;

	bio = bio_alloc_bioset(bdev, n, opf, GFP_NOIO, &fs_bio_set);
	if (!bio)
		return -ENOMEM;
	bio->bi_iter.bi_sector = (sector_t)(slot % IO_SLOTS) * SLOT_SECTORS;
	ret = add_pages(bio, n);
	if (!ret)
		ret = submit_bio_wait(bio);
	bio_put(bio);
	return ret;
}

static struct block_device *rd;

static int map_sg(struct request *rq)
{
	sg_init_table(sgl, SG_PAGES);
	return blk_rq_map_sg(rq, sgl) == SG_PAGES ? 0 : -EIO;
}

DEFINE_REGION(1, alloc1, ret = alloc1())
DEFINE_REGION(2, add8, ret = reset_add(8))
DEFINE_REGION(3, add32, ret = reset_add(NR_PAGES))
DEFINE_REGION(4, addfolio, ret = addfolio())
DEFINE_REGION(5, iter32, ret = iter32())
DEFINE_REGION(6, advance32, ret = advance32())
DEFINE_REGION(7, read4k, ret = sync_io(rd, REQ_OP_READ, 1, j))
DEFINE_REGION(8, write4k, ret = sync_io(rd, REQ_OP_WRITE, 1, j))
DEFINE_REGION(9, read64k, ret = sync_io(rd, REQ_OP_READ, IO_PAGES, j))
DEFINE_REGION(10, write64k, ret = sync_io(rd, REQ_OP_WRITE, IO_PAGES, j))

static struct request *rq;
DEFINE_REGION(11, mapsg32, ret = map_sg(rq))

/* The brd regions, on @ramdisk, its I/O area written once first. */
static int count_io(void)
{
	struct file *f;
	unsigned int i;
	int ret = 0;

	f = bdev_file_open_by_path(ramdisk, BLK_OPEN_READ | BLK_OPEN_WRITE,
				   NULL, NULL);
	if (IS_ERR(f)) {
		pr_err("cannot open %s: %ld\n", ramdisk, PTR_ERR(f));
		return PTR_ERR(f);
	}
	rd = file_bdev(f);
	for (i = 0; i < IO_SLOTS && !ret; i++)
		ret = sync_io(rd, REQ_OP_WRITE, IO_PAGES, i);
	if (ret)
		pr_err("%s: writing the I/O area: %d\n", ramdisk, ret);
	if (!ret)
		ret = count_read4k();
	if (!ret)
		ret = count_write4k();
	if (!ret)
		ret = count_read64k();
	if (!ret)
		ret = count_write64k();
	fput(f);
	rd = NULL;
	return ret;
}

/* The blk_rq_map_sg() region, on a request of @mqdisk never issued. */
static int count_map_sg(void)
{
	struct bio *bio;
	struct file *f;
	int ret;

	f = bdev_file_open_by_path(mqdisk, BLK_OPEN_READ, NULL, NULL);
	if (IS_ERR(f)) {
		pr_err("cannot open %s: %ld\n", mqdisk, PTR_ERR(f));
		return PTR_ERR(f);
	}
	bio = bio_alloc_bioset(NULL, SG_PAGES, REQ_OP_READ, GFP_KERNEL,
			       &fs_bio_set);
	if (!bio) {
		ret = -ENOMEM;
		goto out_fput;
	}
	ret = add_pages(bio, SG_PAGES);
	if (ret)
		goto out_bio;
	rq = blk_mq_alloc_request(bdev_get_queue(file_bdev(f)), REQ_OP_READ, 0);
	if (IS_ERR(rq)) {
		ret = PTR_ERR(rq);
		goto out_bio;
	}
	ret = blk_rq_append_bio(rq, bio);
	if (ret)
		pr_err("%s: blk_rq_append_bio: %d\n", mqdisk, ret);
	else
		ret = count_mapsg32();
	/* Never issued: give the bio back before the request. */
	rq->bio = NULL;
	rq->biotail = NULL;
	rq->__data_len = 0;
	blk_mq_free_request(rq);
	rq = NULL;
out_bio:
	bio_put(bio);
out_fput:
	fput(f);
	return ret;
}

static void free_buffers(void)
{
	unsigned int i;

	if (bio32)
		bio_put(bio32);
	bio32 = NULL;
	if (folio)
		folio_put(folio);
	folio = NULL;
	for (i = 0; i < NR_PAGES; i++) {
		if (pages[i])
			__free_pages(pages[i], 1);
		pages[i] = NULL;
	}
}

static int __init bench_bio_count_init(void)
{
	unsigned int i;
	int ret = -ENOMEM;

	if (loops > MAX_LOOPS) {
		pr_err("loops=%u: need 0-%d\n", loops, MAX_LOOPS);
		return -EINVAL;
	}
	if (!rounds || rounds > 64) {
		pr_err("rounds=%u: need 1-64\n", rounds);
		return -EINVAL;
	}
	/* The first page of an order-1 block: never adjacent to another. */
	for (i = 0; i < NR_PAGES; i++) {
		pages[i] = alloc_pages(GFP_KERNEL | __GFP_ZERO, 1);
		if (!pages[i])
			goto out;
	}
	folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, FOLIO_ORDER);
	bio32 = bio_alloc_bioset(NULL, NR_PAGES, REQ_OP_READ, GFP_KERNEL,
				 &fs_bio_set);
	if (!folio || !bio32)
		goto out;

	/*
	 * Let the deferred work of this module's load (the lazy purge of
	 * its vfree()d image, page attribute changes) run before the first
	 * region rather than inside it.  Under -icount sleep=off an idle
	 * guest skips the time at once.
	 */
	msleep(1000);
	ret = count_alloc1();
	if (!ret)
		ret = count_add8();
	if (!ret)
		ret = count_add32();
	if (!ret)
		ret = count_addfolio();
	/* Regions 5 and 6 walk the bio of 32 pages that region 3 left. */
	if (!ret)
		ret = reset_add(NR_PAGES);
	if (!ret && bio32->bi_vcnt != NR_PAGES) {
		pr_err("bio_add_page() merged separate pages: %u bvecs\n",
		       bio32->bi_vcnt);
		ret = -EIO;
	}
	if (!ret)
		ret = count_iter32();
	if (!ret)
		ret = count_advance32();
	if (!ret)
		ret = count_io();
	if (!ret && *mqdisk)
		ret = count_map_sg();
out:
	free_buffers();
	if (ret)
		return ret;
	pr_info("counted %d regions, %u rounds each\n", NR_REGIONS, rounds);
	return -EAGAIN;
}
module_init(bench_bio_count_init);

MODULE_DESCRIPTION("Counted page-path bio operations for the pwcount plugin");
MODULE_LICENSE("GPL");
