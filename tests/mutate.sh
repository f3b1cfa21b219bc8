#!/usr/bin/env bash
# tests/mutate.sh: plants typical bugs in the numerical code one at a time
# in lib/ and kernels/ (a swapped dimension, an off-by-one bound, < for <=,
# a wrong scale or sign, a dropped term, a copied line with the wrong
# variable, a missing barrier), builds, runs the
# tests that should notice, and prints the score and the mutants that
# survived. A survivor is a bug the suite lets through: kill it with a test,
# or say in tests/mutate.md why it is no bug.
#
# Not part of `make test` or CI (it builds and tests once per mutant): run
# it before stopping when the numerical code changed, and record the score
# in tests/mutate.md. It works on a copy of the tree in a temporary folder,
# so the checkout is never changed, even when interrupted.
#
#   tests/mutate.sh              every mutant
#   tests/mutate.sh 3 7          mutants 3 and 7 (numbered as --list shows)
#   tests/mutate.sh --list       the mutants, numbered
#   tests/mutate.sh --check      that each mutant's text is in its file, once
#
# A mutant is one line of MUTANTS below: FILE | TEXT | REPLACEMENT | TESTS
# (fields apart by " | ", so that C's || may be in the texts), where
# TESTS is "unit" (every test program, build/tests/*), names of tests as
# tests/run.sh takes them (NN_TEST_ONLY), or both, space-separated; "cuda"
# is the test programs that run the CUDA sources (kernels/: test_cuda_ops,
# test_kinks, test_transforms), on a GPU or under the emulation of
# kernels/emu/; its mutants are reported as not run without either.
set -u
cd "$(dirname "$0")/.." || exit 1

MUTANTS=$(cat <<'EOF'
lib/backend/elementwise.h | return x < 0 ? 0.0f : x; | return x <= 0 ? 0.0f : x; | unit
lib/backend/elementwise.h | return y <= 0 ? 0.0f : dy; | return y < 0 ? 0.0f : dy; | unit
lib/backend/elementwise.h | return x > 0 ? 1.0f : slope; | return x >= 0 ? 1.0f : slope; | unit
lib/backend/elementwise.h | int larger = v > mm; | int larger = v >= mm; | unit
lib/backend/cpu_pool.c | int nb = b > a, nf = f > e; | int nb = b >= a, nf = f > e; | unit
lib/backend/elementwise.h | return x0 + ((float)o + 0.5f) * sw / (float)out - 0.5f; | return x0 + (float)o * sw / (float)out; | unit
lib/backend/elementwise.h | 		o = out - 1 - o; | 		o = out - o; | unit
lib/backend/elementwise.h | int i = (int)floorf(s + 0.5f); | int i = (int)floorf(s); | unit
lib/backend/cpu_gather.c | int sy = nearest_index(xform_coord(oy, h, 0, t->y0, t->sh), h); | int sy = nearest_index(xform_coord(oy, h, 0, t->y0, t->sw), h); | unit
lib/backend/cpu_gather.c | float sy = xform_coord(oy, h, 0, t->y0, t->sh); | float sy = xform_coord(oy, h, t->flip, t->y0, t->sh); | unit
lib/backend/elementwise.h | 	double unbiased = cnt > 1 ? s2 / (cnt - 1) : var; | 	double unbiased = var; | unit
lib/backend/elementwise.h | 	*run_mean = (1 - momentum) * *run_mean + momentum * *mean; | 	*run_mean = momentum * *run_mean + (1 - momentum) * *mean; | unit
lib/backend/cpu_optim.c | 	float step_size = (float)(lr / (1 - pow(beta1, (double)t))); | 	float step_size = (float)lr; | unit
lib/backend/cpu_optim.c | 	float bc2_sqrt = (float)sqrt(1 - pow(beta2, (double)t)); | 	float bc2_sqrt = (float)sqrt(1 - pow(beta2, (double)t - 1)); | unit
lib/backend/elementwise.h | 		w *= 1.0f - lr * wd; | 		w *= 1.0f - wd; | unit
lib/backend/elementwise.h | 		g += wd * w; | 		g -= wd * w; | unit
lib/backend/elementwise.h | 		d = nesterov ? d + momentum * b : b; | 		d = nesterov ? b + momentum * d : b; | unit
lib/backend/elementwise.h | 	float vv = *v * beta2 + (1.0f - beta2) * g * g; | 	float vv = *v * beta2 + (1.0f - beta2) * g; | unit
lib/backend/elementwise.h | 	float src = ((float)o + 0.5f) * scale - 0.5f; | 	float src = (float)o * scale; | unit
lib/backend/elementwise.h | 	*i1 = i + (i < in - 1); | 	*i1 = i + (i < in); | unit
lib/backend/cpu_upsample.c | 				dp[y1 * w + x0] += ly * (1 - lx) * v; | 				dp[y1 * w + x0] += ly * lx * v; | unit
lib/backend/elementwise.h | 	return s / (float)(k * k); | 	return s / (float)k; | unit
lib/backend/cpu_pool.c | 		float v = dy[p] / (float)hw; | 		float v = dy[p]; | unit
lib/backend/cpu_concat.c | 				pb[j] += g[(size_t)ca * hw + j]; | 				pb[j] += g[j]; | unit
lib/backend/cpu_elementwise.c | 		y[i] = mask[i] ? x[i] * s : 0.0f; | 		y[i] = mask[i] ? x[i] : 0.0f; | unit
lib/backend/elementwise.h | 			g[c * s] = scale * ((float)exp((double)z[c * s] - lse) - (c == y)); | 			g[c * s] = scale * ((float)exp((double)z[c * s] - lse)); | unit
lib/backend/cpu_linear.c | 					db[o] += s; | 					db[o] = s; | unit
lib/nn/layers.c | 	long ow = (long)(L->w - 1) * L->stride - 2L * L->pad + L->k + L->outpad; | 	long ow = (long)(L->w - 1) * L->stride - 2L * L->pad + L->k; | unit
lib/nn/layers.c | 	L->ow = (L->w + 2 * L->pad - L->k) / L->stride + 1; | 	L->ow = (L->h + 2 * L->pad - L->k) / L->stride + 1; | unit
lib/nn/layers.c | 	L->ow = (L->w - L->k) / L->stride + 1; | 	L->ow = (L->h - L->k) / L->stride + 1; | unit
lib/nn/metrics.c | 		a->sum += (double)(tp - a->tp) * ((double)tp / (double)(tp + fp)); | 		a->sum += (double)(tp - a->tp) * ((double)tp / (double)(tp + fp + 1)); | unit ap
lib/nn/metrics.c | 			fp++; | 			fp += 2; | unit ap
lib/formats/dataset.c | 		if (v < 0 || (nclass && v >= nclass) || v > INT32_MAX) | 		if (v < 0 || (nclass && v > nclass) || v > INT32_MAX) | unit hostile-inputs formats ds
lib/nn/optim.c | 		lr *= (double)(step + 1) / s->warmup; | 		lr *= (double)step / s->warmup; | unit sched train
lib/nn/optim.c | 		lr = s->min_lr + (base - s->min_lr) * (1 + cos(M_PI * (double)step / (total > 0 ? total : 1))) / 2; | 		lr = s->min_lr + (base - s->min_lr) * (1 + cos(M_PI * (double)step / (total > 0 ? total : 1))); | unit sched train
lib/nn/train.c | 	*lo = count * rank / ranks; | 	*lo = count * rank / ranks + (rank > 0); | unit mpi
kernels/pool.cu | 		int self = iy * w + ix; | 		int self = ix * w + iy; | cuda
kernels/cuda_common.cuh | 	__syncthreads();   /* part may still be read by a previous call */ | 	/* no barrier */ | cuda
kernels/cuda_common.cuh | 		v = lane < (int)(blockDim.x >> 5) ? part[lane] : (T)0; | 		v = lane <= (int)(blockDim.x >> 5) ? part[lane] : (T)0; | cuda
kernels/gather.cu | 		int sy = nearest_index(xform_coord(oy, h, 0, T.y0, T.sh), h); | 		int sy = nearest_index(xform_coord(oy, h, 0, T.y0, T.sw), h); | cuda
kernels/gather.cu | 			float sx = xform_coord(ox, w, T.flip, T.x0, T.sw); | 			float sx = xform_coord(ox, w, 0, T.x0, T.sw); | cuda
kernels/conv.cu | 					int iy = oy * stride - pad + ky; | 					int iy = oy * stride + pad + ky; | cuda
kernels/elementwise.cu | 		y[i] = relu(x[i]); | 		y[i] = x[i] > 0 ? x[i] : 0; | cuda
EOF
)

# The mutants as lines (comments and blank lines dropped), and as their
# four fields each, NUL-terminated, for `read -d ''`.
mutant_lines() { printf '%s\n' "$MUTANTS" | grep -v '^#' | grep -v '^$'; }
mutant_fields() {
	mutant_lines | /usr/bin/python3 -c '
import sys
for n, line in enumerate(sys.stdin, 1):
    f = line.rstrip("\n").split(" | ")
    if len(f) != 4:
        sys.exit(f"mutate: mutant {n} has {len(f)} fields, not 4: {line}")
    sys.stdout.write("\0".join(f) + "\0")'
}
# read_mutant: the next mutant's fields into file, old, new and tests
read_mutant() { IFS= read -r -d '' file && IFS= read -r -d '' old && IFS= read -r -d '' new && IFS= read -r -d '' tests; }

# Replaces the first occurrence of $2 by $3 in file $1; fails unless $2 is
# there exactly once.
plant() {
	/usr/bin/python3 - "$@" <<'PY'
import sys
path, old, new = sys.argv[1:4]
s = open(path).read()
if s.count(old) != 1:
    sys.exit(f"{path}: the text occurs {s.count(old)} times, not once: {old}")
open(path, "w").write(s.replace(old, new))
PY
}

case "${1:-}" in
--list)
	i=0
	while read_mutant; do
		i=$((i + 1))
		printf '%2d  %s: %s  ->  %s   [%s]\n' "$i" "$file" "$old" "$new" "$tests"
	done < <(mutant_fields)
	exit 0 ;;
--check)
	bad=0
	while read_mutant; do
		n=$(grep -cF -- "$old" "$file")
		[ "$n" = 1 ] || { echo "not once ($n) in $file: $old"; bad=1; }
	done < <(mutant_fields)
	[ $bad = 0 ] && echo "every mutant's text is in its file once"
	exit $bad ;;
esac
want=" $* "

W=$(mktemp -d /tmp/nn-mutate.XXXXXX)
trap 'rm -rf "$W"' EXIT
echo "mutate: copying the tree to $W"
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$W"
[ -d build ] && cp -a build bin "$W"/ 2>/dev/null
cd "$W" || exit 1

# The tests of a mutant; returns 0 when one of them fails (the mutant is
# killed).
run_tests() {
	local t out
	for t in $1; do
		if [ "$t" = unit ] || [ "$t" = cuda ]; then
			local programs=build/tests/*
			# the programs that run the CUDA sources
			[ "$t" = cuda ] && programs="build/tests/test_cuda_ops build/tests/test_kinks build/tests/test_transforms"
			for p in $programs; do
				out=$(timeout 600 "$p" 2>&1) || return 0
				printf '%s\n' "$out" | grep -q '^FAIL: ' && return 0
			done
		else
			out=$(NN_TEST_ONLY=$t timeout 900 tests/run.sh 2>&1)
			printf '%s\n' "$out" | grep -q '^FAIL: ' && return 0
		fi
	done
	return 1
}

echo "mutate: the unmutated tree must build and pass"
if ! make -j2 -s >build.log 2>&1; then
	echo "mutate: the tree does not build:"; tail -20 build.log; exit 1
fi
if run_tests "unit"; then
	echo "mutate: the unmutated tree fails its unit tests"; exit 1
fi
cuda_ok=$(build/tests/test_cuda_ops 2>/dev/null | grep -c '^PASS: ')

killed=0 survived=0 stillborn=0 notrun=0 i=0
survivors=""
while read_mutant; do
	i=$((i + 1))
	[ "$want" = "  " ] || [[ $want == *" $i "* ]] || continue
	if [[ " $tests " == *" cuda "* ]] && [ "$cuda_ok" = 0 ]; then
		echo "not run  $i  $file: no CUDA backend, real or emulated"
		notrun=$((notrun + 1))
		continue
	fi
	cp "$file" "$file.orig"
	plant "$file" "$old" "$new" || { mv "$file.orig" "$file"; exit 1; }
	if ! make -j2 -s >build.log 2>&1; then
		echo "stillborn $i  $file: does not build"
		stillborn=$((stillborn + 1))
	elif run_tests "$tests"; then
		echo "killed   $i  $file: $new"
		killed=$((killed + 1))
	else
		echo "SURVIVED $i  $file: $old  ->  $new"
		survived=$((survived + 1))
		survivors="$survivors $i"
	fi
	mv "$file.orig" "$file"
	touch "$file"
done < <(mutant_fields)
make -j2 -s >build.log 2>&1

total=$((killed + survived))
echo "mutate: $killed of $total killed ($((total ? 100 * killed / total : 0))%), $stillborn did not build," \
	"$notrun not run${survivors:+; survivors:$survivors}"
[ "$survived" -eq 0 ]
