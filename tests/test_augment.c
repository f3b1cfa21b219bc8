/* test_augment: the drawing of nn-train's --augment transforms (train.h's
   augment_parse and augment_draw), apart from their application, which
   test_transforms checks. The specs that existed before shift= and erase=
   must draw the same bits as they did (hashes recorded from that code), so
   that old recipes and resumed runs keep their transforms; shift=P draws
   whole-pixel offsets over all of [-P, P]; erase=P erases about a fraction
   P of the samples, each rectangle as torchvision's RandomErasing draws
   it. */
#include "nn/train.h"
#include "base/util.h"
#include "check.h"

#include <math.h>
#include <string.h>

enum { STEPS = 5, COUNT = 33, H = 20, W = 28 };

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* The hash of the flip and crop fields of STEPS steps of COUNT samples
   (seed 7, H x W), as the code before shift= and erase= hashed them; the
   erase rectangles must all be empty. */
static void check_old_spec(const char *spec, uint64_t want)
{
	augment a;
	if (!augment_parse(spec, &a)) {
		FAIL("augment '%s': does not parse", spec);
		return;
	}
	uint64_t h = 0xcbf29ce484222325ULL;
	int erased = 0;
	for (long step = 0; step < STEPS; step++) {
		sample_xform xf[COUNT];
		augment_draw(&a, 7, step, COUNT, H, W, xf);
		for (int i = 0; i < COUNT; i++) {
			h = fnv(h, &xf[i].flip, sizeof xf[i].flip);
			h = fnv(h, &xf[i].x0, 4), h = fnv(h, &xf[i].y0, 4);
			h = fnv(h, &xf[i].sw, 4), h = fnv(h, &xf[i].sh, 4);
			erased += xf[i].ew != 0 || xf[i].eh != 0 || xf[i].ex != 0 || xf[i].ey != 0;
		}
	}
	if (h != want)
		FAIL("augment '%s': draws hash to %#018llx, not %#018llx as before shift= and erase=", spec,
		     (unsigned long long)h, (unsigned long long)want);
	else if (erased)
		FAIL("augment '%s': %d samples have an erase rectangle", spec, erased);
	else
		PASS("augment '%s': the same draws as before shift= and erase=", spec);
}

static void check_parse(void)
{
	static const char *bad[] = {"shift=0", "shift=x", "shift=1.5", "shift=-1", "shift=", "erase=0",
				    "erase=1.5", "erase=x", "erase=-0.5", "erase", "shift", "flip,shift=0"};
	int wrong = 0;
	augment a;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (augment_parse(bad[i], &a)) {
			FAIL("augment_parse '%s': accepted", bad[i]);
			wrong++;
		}
	if (!augment_parse("flip,shift=2,erase=0.5", &a) || a.flip != 1 || a.crop != 1 || a.shift != 2 ||
	    a.erase != 0.5f || !augment_any(&a)) {
		FAIL("augment_parse 'flip,shift=2,erase=0.5': not flip, shift 2, erase 0.5");
		wrong++;
	}
	if (!augment_parse("erase=1,crop=0.5", &a) || a.flip || a.crop != 0.5f || a.shift || a.erase != 1) {
		FAIL("augment_parse 'erase=1,crop=0.5': not crop 0.5, erase 1");
		wrong++;
	}
	if (!augment_parse("none", &a) || augment_any(&a)) {
		FAIL("augment_parse 'none': transforms something");
		wrong++;
	}
	if (!wrong)
		PASS("augment_parse: shift=P and erase=P in range accepted, the rest refused");
}

/* shift=P alone: integer offsets, every one of [-P, P] in x and in y about
   equally often, no scaling, flip or erasing. */
static void check_shift(int p)
{
	enum { N = 4000 };
	augment a;
	char spec[32];
	snprintf(spec, sizeof spec, "shift=%d", p);
	augment_parse(spec, &a);
	long seen_x[64] = {0}, seen_y[64] = {0};
	for (long step = 0; step < N / 40; step++) {
		sample_xform xf[40];
		augment_draw(&a, 3, step, 40, H, W, xf);
		for (int i = 0; i < 40; i++) {
			sample_xform t = xf[i];
			if (t.x0 != floorf(t.x0) || t.y0 != floorf(t.y0) || fabsf(t.x0) > p || fabsf(t.y0) > p) {
				FAIL("augment '%s': offset (%g, %g) not whole pixels within [-%d, %d]", spec, t.x0,
				     t.y0, p, p);
				return;
			}
			if (t.flip || t.sw != W || t.sh != H || t.ew || t.eh) {
				FAIL("augment '%s': flip %d, extent %gx%g, erase %dx%d besides the shift", spec, t.flip,
				     t.sw, t.sh, t.ew, t.eh);
				return;
			}
			seen_x[(int)t.x0 + p]++, seen_y[(int)t.y0 + p]++;
		}
	}
	double expect = (double)N / (2 * p + 1);
	for (int d = 0; d <= 2 * p; d++)
		if (fabs(seen_x[d] - expect) > 0.2 * expect || fabs(seen_y[d] - expect) > 0.2 * expect) {
			FAIL("augment '%s': offset %d drawn %ld times in x and %ld in y of %d, not about %.0f", spec,
			     d - p, seen_x[d], seen_y[d], N, expect);
			return;
		}
	PASS("augment '%s': whole-pixel offsets, each of -%d..%d about equally often in x and y", spec, p, p);
}

/* A spec with shift= or erase= after flip,crop=0.7: each step's first
   sample draws the same flip and crop window as flip,crop=0.7, the window
   moved by whole output pixels within [-shift, shift]. */
static void check_composed(const char *spec, int shift)
{
	augment a, old;
	augment_parse(spec, &a);
	augment_parse("flip,crop=0.7", &old);
	for (long step = 0; step < 200; step++) {
		sample_xform t, o;
		augment_draw(&a, 11, step, 1, H, W, &t);
		augment_draw(&old, 11, step, 1, H, W, &o);
		double dx = (t.x0 - o.x0) * W / o.sw, dy = (t.y0 - o.y0) * H / o.sh;
		if (t.flip != o.flip || t.sw != o.sw || t.sh != o.sh || fabs(dx - rint(dx)) > 1e-3 ||
		    fabs(dy - rint(dy)) > 1e-3 || fabs(dx) > shift + 1e-3 || fabs(dy) > shift + 1e-3) {
			FAIL("augment '%s': step %ld: flip %d, window %g,%g %gx%g; flip,crop=0.7 drew flip %d, "
			     "%g,%g %gx%g",
			     spec, step, t.flip, t.x0, t.y0, t.sw, t.sh, o.flip, o.x0, o.y0, o.sw, o.sh);
			return;
		}
	}
	PASS("augment '%s': flip,crop=0.7's flip and window, moved by whole pixels within %d", spec, shift);
}

/* erase=P: the fraction of samples erased, and each rectangle inside the
   image with the area and aspect of RandomErasing's scale (0.02, 0.33) and
   ratio (0.3, 3.3), allowing for the rounding of its sides to whole pixels;
   the drawn areas and aspects must also reach near both ends. */
static void check_erase(const char *spec, double p, int h, int w)
{
	enum { N = 6000 };
	augment a;
	augment_parse(spec, &a);
	long erased = 0;
	double amin = 1, amax = 0, rmin = 100, rmax = 0, hw = (double)h * w;
	for (long step = 0; step < N / 50; step++) {
		sample_xform xf[50];
		augment_draw(&a, 5, step, 50, h, w, xf);
		for (int i = 0; i < 50; i++) {
			sample_xform t = xf[i];
			if (!t.ew && !t.eh)
				continue;
			erased++;
			double eh = t.eh, ew = t.ew;
			int inside = t.ex >= 0 && t.ey >= 0 && t.ew > 0 && t.eh > 0 && t.ex + t.ew <= w &&
				     t.ey + t.eh <= h && t.ew < w && t.eh < h;
			/* the sides are round(sqrt(area * ratio)) and
			   round(sqrt(area / ratio)): each within 1/2 of the exact */
			int area_ok = (eh - 0.5) * (ew - 0.5) <= 0.33 * hw && (eh + 0.5) * (ew + 0.5) >= 0.02 * hw;
			int ratio_ok = (eh - 0.5) / (ew + 0.5) <= 3.3 && (eh + 0.5) / (ew - 0.5) >= 0.3;
			if (!inside || !area_ok || !ratio_ok) {
				FAIL("augment '%s' on %dx%d: rectangle at %d,%d of %dx%d (area %.3f of the image, "
				     "aspect %.3f) is %s",
				     spec, w, h, t.ex, t.ey, t.ew, t.eh, eh * ew / hw, eh / ew,
				     !inside ? "not inside the image" : !area_ok ? "not of area 0.02 to 0.33"
									      : "not of aspect 0.3 to 3.3");
				return;
			}
			double f = eh * ew / hw, r = eh / ew;
			amin = fmin(amin, f), amax = fmax(amax, f), rmin = fmin(rmin, r), rmax = fmax(rmax, r);
			if (t.flip || t.x0 || t.y0 || t.sw != w || t.sh != h) {
				FAIL("augment '%s': a flip or crop besides the erasing", spec);
				return;
			}
		}
	}
	double frac = (double)erased / N, sd = sqrt(p * (1 - p) / N);
	if (fabs(frac - p) > 5 * sd + 1e-9)
		FAIL("augment '%s': %.4f of %d samples erased, not about %g", spec, frac, N, p);
	else if (erased && (amin > 0.03 || amax < 0.30 || rmin > 0.4 || rmax < 2.8))
		FAIL("augment '%s': areas %.3f..%.3f and aspects %.2f..%.2f do not span 0.02..0.33 and 0.3..3.3",
		     spec, amin, amax, rmin, rmax);
	else
		PASS("augment '%s' on %dx%d: %.4f of %d samples erased; areas %.3f..%.3f, aspects %.2f..%.2f",
		     spec, w, h, frac, N, amin, amax, rmin, rmax);
}

int main(void)
{
	nn_prog = "test_augment";
	check_parse();
	check_old_spec("flip", 0x61a857323f684b55ULL);
	check_old_spec("crop=0.7", 0x313bbd6cbb785e01ULL);
	check_old_spec("flip,crop=0.7", 0x38caa1196c7f15ddULL);
	check_old_spec("crop=0.7,flip", 0x38caa1196c7f15ddULL);
	check_shift(1);
	check_shift(3);
	check_composed("flip,crop=0.7,shift=2", 2);
	check_composed("flip,crop=0.7,erase=0.5", 0);
	check_composed("erase=0.8,shift=3,crop=0.7,flip", 3);
	check_erase("erase=0.5", 0.5, 48, 64);
	check_erase("erase=0.25", 0.25, 64, 40);
	check_erase("erase=1", 1, 28, 28);
	return check_failures != 0;
}
