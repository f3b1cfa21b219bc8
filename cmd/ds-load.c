/* ds-load: reads a dataset in its published format (Fashion-MNIST IDX files,
   generic IDX files, facade JPEG photos with palette PNG label maps, a
   folder per class of PNG and JPEG images) or images without labels, and
   writes it as a dataset stream: x [N,C,H,W] uint8, then y and class names
   when there are labels. */
#include "formats/dataset.h"
#include "base/filekind.h"
#include "formats/idx.h"
#include "formats/image.h"
#include "base/opt.h"
#include "base/output.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define FMNIST_DIR "/usr/share/datasets/fashion-mnist"

static char *fmnist_names[] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
			       "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
static char *facade_names[] = {"others", "facade", "pillar", "window", "balcony"};

static const char usage[] =
	"usage: ds-load fashion-mnist [DIR] --split train|test [-o OUT] [--limit N]\n"
	"       ds-load idx IMAGES [LABELS] [--names A,B,...] [-o OUT] [--limit N]\n"
	"       ds-load facade DIR --split NAME [--size S] [-o OUT] [--limit N]\n"
	"       ds-load images FILE... [--size S] [--grey] [-o OUT] [--limit N]\n"
	"       ds-load folder ROOT [--size S] [--grey] [-o OUT] [--limit N]\n"
	"Reads a dataset in its published format and writes a dataset stream\n"
	"(x [N,C,H,W] uint8, y class ids, class names) to OUT or stdout.\n"
	"  fashion-mnist  the IDX files (.gz or not) in DIR, default " FMNIST_DIR "\n"
	"  idx            an IDX image file (magic 0x803) and label file (0x801)\n"
	"  facade         DIR/NAME/*.jpg photos with *.png palette label maps\n"
	"  images         PNG or JPEG files, in order, without labels (x only)\n"
	"  folder         ROOT/CLASS/*.png|jpg: a sub-folder per class, classes in\n"
	"                 sorted order (as torchvision's ImageFolder)\n";

typedef struct opts {
	const char *out, *split, *names;
	long size, limit;
	int grey;
} opts;

static void stream_write(const opts *o, const tensor *x, const tensor *y, char **names, int k,
			 const char *from)
{
	char s[128];
	outfile *f = out_open(o->out);
	dataset_write(f->f, out_name(o->out), x, y, names, k);
	out_commit(f);
	note("%lld samples %s from %s", (long long)x->shape[0], shape_str(x, s, sizeof s), from);
}

/* Images [N,H,W] and labels [N] from IDX files into x [N,1,H,W], y [N]. */
static void idx_convert(const opts *o, const char *images, const char *labels, char **names,
			int k, const char *from)
{
	io_check(IO_LIST(images, labels), IO_LIST(o->out ? o->out : "-"));
	tensor *x = idx_read(images, 3);
	tensor *y = labels ? idx_read(labels, 1) : NULL;
	if (y && y->shape[0] != x->shape[0])
		fatal("%s: %lld labels but %s has %lld images", labels, (long long)y->shape[0], images,
		      (long long)x->shape[0]);
	int64_t n = x->shape[0];
	if (o->limit >= 0 && o->limit < n)
		n = o->limit;
	x->ndim = 4;
	x->shape[3] = x->shape[2];
	x->shape[2] = x->shape[1];
	x->shape[1] = 1;
	x->shape[0] = n;
	if (y) {
		y->shape[0] = n;
		const uint8_t *l = y->data;
		for (int64_t i = 0; i < n && k; i++)
			if (l[i] >= k)
				fatal("%s: label %d out of range 0..%d at sample %lld", labels, l[i], k - 1,
				      (long long)i);
	}
	stream_write(o, x, y, names, k, from);
	tensor_free(x);
	tensor_free(y);
}

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void need_dir(const char *path)
{
	struct stat st;
	if (stat(path, &st))
		fatal("%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		fatal("%s: not a folder", path);
}

static char *path_join(const char *dir, const char *name)
{
	char *p = xmalloc(strlen(dir) + strlen(name) + 2);
	sprintf(p, "%s/%s", dir, name);
	return p;
}

/* DIR/BASE.gz, else DIR/BASE. */
static char *fmnist_file(const char *dir, const char *base)
{
	char *plain = path_join(dir, base);
	char *gz = path_with_suffix(plain, ".gz");
	if (access(gz, F_OK) == 0) {
		free(plain);
		return gz;
	}
	if (access(plain, F_OK) == 0) {
		free(gz);
		return plain;
	}
	fatal("%s: %s (nor %s)", gz, strerror(ENOENT), base);
}

static void load_fmnist(const opts *o, int argc, char **argv)
{
	if (argc > 1)
		usage_error("fashion-mnist takes at most one folder");
	if (!o->split)
		usage_error("fashion-mnist needs --split train or --split test");
	if (strcmp(o->split, "train") && strcmp(o->split, "test"))
		usage_error("fashion-mnist has splits train and test, not '%s'", o->split);
	if (o->size >= 0 || o->names)
		usage_error("--size and --names do not apply to fashion-mnist");
	const char *dir = argc ? argv[0] : FMNIST_DIR;
	need_dir(dir);
	int train = !strcmp(o->split, "train");
	char *images = fmnist_file(dir, train ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte");
	char *labels = fmnist_file(dir, train ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte");
	char *from = xmalloc(strlen(dir) + 32);
	sprintf(from, "%s (%s)", dir, o->split);
	idx_convert(o, images, labels, fmnist_names, 10, from);
	free(images);
	free(labels);
	free(from);
}

static void load_idx(const opts *o, int argc, char **argv)
{
	if (argc < 1 || argc > 2)
		usage_error("idx needs an image file and optionally a label file");
	if (o->split || o->size >= 0)
		usage_error("--split and --size do not apply to idx");
	char **names = NULL;
	int k = 0;
	if (o->names) {
		char *copy = xstrdup(o->names), *p = copy;
		names = xmalloc(sizeof *names * (strlen(copy) + 1));
		for (;;) {
			char *comma = strchr(p, ',');
			if (comma)
				*comma = 0;
			if (!*p)
				usage_error("--names has an empty class name");
			names[k++] = xstrdup(p);
			if (!comma)
				break;
			p = comma + 1;
		}
		free(copy);
		if (argc < 2)
			usage_error("--names needs a label file");
	}
	idx_convert(o, argv[0], argc > 1 ? argv[1] : NULL, names, k, argv[0]);
	names_free(names, k);
}

/* Name of a facade file without its extension, for pairing. */
typedef struct entry {
	char *base;
	int photo;   /* 1 .jpg, 0 .png */
} entry;

static int entry_cmp(const void *a, const void *b)
{
	const entry *p = a, *q = b;
	int c = strcmp(p->base, q->base);
	return c ? c : q->photo - p->photo;   /* photo first */
}

static const char *ext_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot ? dot : "";
}

/* Lists DIR's photos and labels, sorted by base name, and checks that they pair up. */
static char **facade_list(const char *dir, int *count)
{
	DIR *d = opendir(dir);
	if (!d)
		fatal("%s: %s", dir, strerror(errno));
	entry *e = NULL;
	int n = 0, cap = 0;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d))) {
		const char *ext = ext_of(de->d_name);
		int photo = !strcmp(ext, ".jpg");
		if (!photo && strcmp(ext, ".png"))
			continue;
		/* a FIFO or device named like a photo would block or never end */
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, 0) || !S_ISREG(st.st_mode))
			fatal("%s/%s: not a regular file", dir, de->d_name);
		if (n == cap)
			e = xrealloc(e, sizeof *e * (cap = cap ? 2 * cap : 1024));
		e[n].base = xstrdup(de->d_name);
		e[n].base[ext - de->d_name] = 0;
		e[n++].photo = photo;
	}
	if (errno)
		fatal("%s: %s", dir, strerror(errno));
	closedir(d);
	if (n)
		qsort(e, n, sizeof *e, entry_cmp);
	char **bases = xmalloc(sizeof *bases * (n ? n : 1));
	int k = 0;
	for (int i = 0; i < n; i++) {
		int paired = i + 1 < n && !strcmp(e[i].base, e[i + 1].base) && e[i].photo && !e[i + 1].photo;
		if (!paired)
			fatal("%s/%s.%s: no %s %s.%s", dir, e[i].base, e[i].photo ? "jpg" : "png",
			      e[i].photo ? "label" : "photo", e[i].base, e[i].photo ? "png" : "jpg");
		bases[k++] = e[i].base;
		free(e[i + 1].base);
		i++;
	}
	free(e);
	if (!k)
		fatal("%s: no .jpg photos", dir);
	*count = k;
	return bases;
}

/* The folder of split in the facade folder root: root/split, or
   root/starter_set/split as the shipped folder has it (new memory). */
static char *facade_dir(const char *root, const char *split)
{
	char *dir = path_join(root, split);
	if (!is_dir(dir)) {
		char *alt = path_join(root, "starter_set");
		char *alt_dir = path_join(alt, split);
		free(alt);
		if (is_dir(alt_dir)) {
			free(dir);
			dir = alt_dir;
		} else {
			free(alt_dir);
		}
	}
	return dir;
}

/* The n photos and label maps to read are none of the outputs. */
static void facade_io_check(const opts *o, const char *dir, char **bases, int n)
{
	const char **in = xmalloc(sizeof *in * 2 * (n ? n : 1));
	for (int i = 0; i < 2 * n; i++) {
		char *p = xmalloc(strlen(dir) + strlen(bases[i / 2]) + 6);
		sprintf(p, "%s/%s.%s", dir, bases[i / 2], i % 2 ? "png" : "jpg");
		in[i] = p;
	}
	io_check(2 * n, in, IO_LIST(o->out ? o->out : "-"));
	for (int i = 0; i < 2 * n; i++)
		free((char *)in[i]);
	free(in);
}

static void load_facade(const opts *o, int argc, char **argv)
{
	if (argc != 1)
		usage_error("facade needs one folder");
	if (!o->split)
		usage_error("facade needs --split NAME (a sub-folder such as train or test_dev)");
	if (o->names)
		usage_error("--names does not apply to facade");
	char *dir = facade_dir(argv[0], o->split);
	int total;
	char **bases = facade_list(dir, &total);
	int n = (o->limit >= 0 && o->limit < total) ? (int)o->limit : total;
	facade_io_check(o, dir, bases, n);
	int progress = isatty(2);
	tensor *x = NULL, *y = NULL;
	int W = 0, H = 0;
	char *jpg = xmalloc(strlen(dir) + 4096), *png = xmalloc(strlen(dir) + 4096);
	for (int i = 0; i < n; i++) {
		sprintf(jpg, "%s/%s.jpg", dir, bases[i]);
		sprintf(png, "%s/%s.png", dir, bases[i]);
		image *im = jpeg_read(jpg);
		image *lab = png_read_indices(png);
		if (lab->w != im->w || lab->h != im->h)
			fatal("%s: label is %dx%d but its photo %s.jpg is %dx%d", png, lab->w, lab->h,
			      bases[i], im->w, im->h);
		for (int p = 0; p < lab->w * lab->h; p++)
			if (lab->px[p] > 4)
				fatal("%s: label %d out of range 0..4 at pixel %d,%d", png, lab->px[p],
				      p % lab->w, p / lab->w);
		if (!x) {
			W = o->size >= 0 ? o->size : im->w;
			H = o->size >= 0 ? o->size : im->h;
			x = tensor_new4(DT_U8, n, 3, H, W, 4);
			y = tensor_new4(DT_U8, n, H, W, 0, 3);
		} else if (o->size < 0 && (im->w != W || im->h != H)) {
			fatal("%s: photo is %dx%d but the first one is %dx%d (use --size)", jpg, im->w,
			      im->h, W, H);
		}
		image *rim = image_resize_bilinear(im, W, H);
		image *rlab = image_resize_nearest(lab, W, H);
		uint8_t *xs = (uint8_t *)x->data + (size_t)i * 3 * H * W;
		for (int c = 0; c < 3; c++)
			for (int p = 0; p < H * W; p++)
				xs[(size_t)c * H * W + p] = rim->px[p * 3 + c];
		memcpy((uint8_t *)y->data + (size_t)i * H * W, rlab->px, (size_t)H * W);
		image_free(im);
		image_free(lab);
		image_free(rim);
		image_free(rlab);
		if (progress && (i % 16 == 15 || i + 1 == n))
			fprintf(stderr, "%s: %d/%d\r", nn_prog, i + 1, n);
	}
	stream_write(o, x, y, facade_names, 5, dir);
	tensor_free(x);
	tensor_free(y);
	for (int i = 0; i < total; i++)
		free(bases[i]);
	free(bases);
	free(jpg);
	free(png);
	free(dir);
}

/* ---- your own images: files given one by one, or a folder per class ---- */

/* A PNG or JPEG, told apart by its first bytes rather than its name. */
static image *picture_read(const char *path)
{
	struct stat st;
	if (stat(path, &st))
		fatal("%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		fatal("%s: not a regular file", path);
	FILE *f = xfopen_read(path);
	unsigned char head[FILE_KIND_HEAD];
	size_t got = fread(head, 1, sizeof head, f);
	int bad = ferror(f);
	fclose(f);
	if (bad)
		fatal("%s: read error: %s", path, strerror(errno));
	file_kind k = file_kind_of(head, got);
	if (k == FK_PNG)
		return png_read(path);
	if (k == FK_JPEG)
		return jpeg_read(path);
	if (file_kind_name(k))
		fatal("%s: %s, not a PNG or JPEG image", path, file_kind_name(k));
	fatal("%s: not a PNG or JPEG image", path);
}

/* Sample i of x [N,C,H,W] from a picture: to grey (PIL's convert("L"):
   ITU-R 601-2 luma in 16-bit fixed point) or to RGB (grey repeated) as c
   asks, then resized to WxH as the facade photos are. */
static void picture_store(tensor *x, int64_t i, const image *im)
{
	int c = (int)x->shape[1], H = (int)x->shape[2], W = (int)x->shape[3];
	image *conv = image_new(im->w, im->h, c);
	size_t np = (size_t)im->w * im->h;
	for (size_t p = 0; p < np; p++) {
		const uint8_t *s = im->px + p * im->c;
		if (c == 1 && im->c == 3)
			conv->px[p] = (uint8_t)((s[0] * 19595u + s[1] * 38470u + s[2] * 7471u + 0x8000u) >> 16);
		else
			for (int k = 0; k < c; k++)
				conv->px[p * c + k] = s[im->c == 1 ? 0 : k];
	}
	image *r = image_resize_bilinear(conv, W, H);
	uint8_t *dst = (uint8_t *)x->data + (size_t)i * c * H * W;
	for (int k = 0; k < c; k++)
		for (int p = 0; p < H * W; p++)
			dst[(size_t)k * H * W + p] = r->px[p * c + k];
	image_free(conv);
	image_free(r);
}

/* Reads the pictures into x [N,C,H,W] uint8 (C 1 with --grey, else 3) and
   writes the stream, with y and names when given. */
static void pictures_convert(const opts *o, char **paths, int n, const tensor *y, char **names, int k,
			     const char *from)
{
	io_check(n, (const char *const *)paths, IO_LIST(o->out ? o->out : "-"));
	int progress = isatty(2), c = o->grey ? 1 : 3;
	tensor *x = NULL;
	for (int i = 0; i < n; i++) {
		image *im = picture_read(paths[i]);
		if (!x) {
			int W = o->size >= 0 ? (int)o->size : im->w, H = o->size >= 0 ? (int)o->size : im->h;
			x = tensor_new4(DT_U8, n, c, H, W, 4);
		} else if (o->size < 0 && (im->w != x->shape[3] || im->h != x->shape[2])) {
			fatal("%s: image is %dx%d but %s is %lldx%lld (use --size)", paths[i], im->w, im->h, paths[0],
			      (long long)x->shape[3], (long long)x->shape[2]);
		}
		picture_store(x, i, im);
		image_free(im);
		if (progress && (i % 16 == 15 || i + 1 == n))
			fprintf(stderr, "%s: %d/%d\r", nn_prog, i + 1, n);
	}
	stream_write(o, x, y, names, k, from);
	tensor_free(x);
}

static void load_images(const opts *o, int argc, char **argv)
{
	if (!argc)
		usage_error("images needs one or more PNG or JPEG files");
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "-"))
			usage_error("images reads files, not standard input");
	int n = (o->limit >= 0 && o->limit < argc) ? (int)o->limit : argc;
	char *from = xmalloc(strlen(argv[0]) + 32);
	if (n > 1)
		sprintf(from, "%s and %d more", argv[0], n - 1);
	else
		strcpy(from, argv[0]);
	pictures_convert(o, argv, n, NULL, NULL, 0, from);
	free(from);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An image file of a class folder, by its folder and name. */
typedef struct member {
	char *dir, *name;
} member;

static int member_cmp(const void *a, const void *b)
{
	const member *p = a, *q = b;
	int c = strcmp(p->dir, q->dir);
	return c ? c : strcmp(p->name, q->name);
}

typedef struct members {
	member *v;
	int n, cap;
} members;

/* Whether name ends in ext, ignoring case. */
static int ends_with(const char *name, const char *ext)
{
	size_t n = strlen(name), e = strlen(ext);
	return n > e && !strcasecmp(name + n - e, ext);
}

/* The image files under dir, sub-folders included and links followed, as
   torchvision's ImageFolder finds them: the extensions it knows, of which
   PNG and JPEG are read and the others refused (skipping them would change
   the data set). up holds the folders above, to stop a link that loops. */
static void folder_walk(const char *dir, members *m, const struct stat *up, int depth)
{
	static const char *const readable[] = {".png", ".jpg", ".jpeg"};
	static const char *const other[] = {".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"};
	struct stat self;
	if (stat(dir, &self))
		fatal("%s: %s", dir, strerror(errno));
	struct stat *chain = xmalloc(sizeof *chain * (depth + 1));
	for (int i = 0; i < depth; i++) {
		if (up[i].st_dev == self.st_dev && up[i].st_ino == self.st_ino)
			fatal("%s: a link loops back to a folder above it", dir);
		chain[i] = up[i];
	}
	chain[depth] = self;
	DIR *d = opendir(dir);
	if (!d)
		fatal("%s: %s", dir, strerror(errno));
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *path = path_join(dir, de->d_name);
		if (is_dir(path)) {
			folder_walk(path, m, chain, depth + 1);
		} else {
			int known = 0;
			for (size_t i = 0; i < sizeof other / sizeof *other; i++)
				if (ends_with(de->d_name, other[i]))
					fatal("%s: only PNG and JPEG images are read", path);
			for (size_t i = 0; i < sizeof readable / sizeof *readable; i++)
				known |= ends_with(de->d_name, readable[i]);
			if (known) {
				if (m->n == m->cap)
					m->v = xrealloc(m->v, sizeof *m->v * (m->cap = m->cap ? 2 * m->cap : 256));
				m->v[m->n++] = (member){xstrdup(dir), xstrdup(de->d_name)};
			}
		}
		free(path);
		errno = 0;
	}
	if (errno)
		fatal("%s: %s", dir, strerror(errno));
	closedir(d);
	free(chain);
}

/* ROOT/CLASS/.../IMAGE: the classes are the sub-folders of ROOT in sorted
   order (as torchvision's ImageFolder, byte order, which is Python's order
   of the names), the samples those of class 0, then class 1, ..., each
   class's files in the order of their folders' paths and then of their
   names. */
static void load_folder(const opts *o, int argc, char **argv)
{
	if (argc != 1)
		usage_error("folder needs one folder, with a sub-folder of images per class");
	const char *root = argv[0];
	need_dir(root);
	DIR *d = opendir(root);
	if (!d)
		fatal("%s: %s", root, strerror(errno));
	char **names = NULL;
	int k = 0, cap = 0;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *path = path_join(root, de->d_name);
		if (is_dir(path)) {
			const char *c = control_byte(de->d_name);
			if (c)
				fatal("%s: a class folder name holds the control byte 0x%02x", path, (unsigned char)*c);
			if (k == cap)
				names = xrealloc(names, sizeof *names * (cap = cap ? 2 * cap : 64));
			names[k++] = xstrdup(de->d_name);
		}
		free(path);
		errno = 0;
	}
	if (errno)
		fatal("%s: %s", root, strerror(errno));
	closedir(d);
	if (!k)
		fatal("%s: no class folders (the images go in ROOT/CLASS/)", root);
	qsort(names, k, sizeof *names, str_cmp);
	members m = {0};
	int *first = xmalloc(sizeof *first * (k + 1));
	for (int c = 0; c < k; c++) {
		first[c] = m.n;
		char *dir = path_join(root, names[c]);
		folder_walk(dir, &m, NULL, 0);
		if (m.n == first[c])
			fatal("%s: no PNG or JPEG images in class folder '%s'", dir, names[c]);
		qsort(m.v + first[c], m.n - first[c], sizeof *m.v, member_cmp);
		free(dir);
	}
	first[k] = m.n;
	int n = (o->limit >= 0 && o->limit < m.n) ? (int)o->limit : m.n;
	char **paths = xmalloc(sizeof *paths * (n ? n : 1));
	tensor *y = tensor_new4(DT_I32, n, 0, 0, 0, 1);
	for (int c = 0, i = 0; c < k; c++)
		for (int j = first[c]; j < first[c + 1] && i < n; j++, i++) {
			paths[i] = path_join(m.v[j].dir, m.v[j].name);
			((int32_t *)y->data)[i] = c;
		}
	char *from = xmalloc(strlen(root) + 32);
	sprintf(from, "%s (%d classes)", root, k);
	pictures_convert(o, paths, n, y, names, k, from);
	free(from);
	for (int i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	tensor_free(y);
	for (int j = 0; j < m.n; j++) {
		free(m.v[j].dir);
		free(m.v[j].name);
	}
	free(m.v);
	free(first);
	names_free(names, k);
}

int main(int argc, char **argv)
{
	tool_start("ds-load");
	opts o = {.size = -1, .limit = -1};
	opt table[] = {
		{"output", 'o', OPT_STRING, &o.out, .arg = "OUT", .help = "output file (written atomically); default stdout"},
		{"split", 0, OPT_STRING, &o.split, .arg = "NAME",
		 .help = "train or test for fashion-mnist; a sub-folder for facade"},
		{"size", 0, OPT_INT, &o.size, 1, 16384, .arg = "S",
		 .help = "facade, images, folder: resize images (bilinear) and\nlabel maps (nearest) to SxS"},
		{"grey", 0, OPT_FLAG, &o.grey, .help = "images, folder: one grey channel (default RGB)"},
		{"limit", 0, OPT_INT, &o.limit, 1, LONG_MAX, .arg = "N", .help = "keep only the first N samples"},
		{"names", 0, OPT_STRING, &o.names, .arg = "A,B,...",
		 .help = "idx: class names (labels are then checked against them)"},
		OPT_END,
	};
	argc = opt_parse(table, argc, argv, usage);
	if (!argc)
		usage_error("which dataset? fashion-mnist, idx, facade, images or folder");
	const char *what = argv[0];
	out_refuse_terminal(o.out);
	out_check(o.out);
	argc--;
	argv++;
	int pictures = !strcmp(what, "images") || !strcmp(what, "folder");
	if (o.grey && !pictures)
		usage_error("--grey applies to images and folder");
	if (pictures && (o.split || o.names))
		usage_error("--split and --names do not apply to %s", what);
	if (!strcmp(what, "fashion-mnist"))
		load_fmnist(&o, argc, argv);
	else if (!strcmp(what, "idx"))
		load_idx(&o, argc, argv);
	else if (!strcmp(what, "facade"))
		load_facade(&o, argc, argv);
	else if (!strcmp(what, "images"))
		load_images(&o, argc, argv);
	else if (!strcmp(what, "folder"))
		load_folder(&o, argc, argv);
	else
		usage_error("unknown dataset '%s' (fashion-mnist, idx, facade, images or folder)", what);
	return 0;
}
