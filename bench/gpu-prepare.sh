#!/usr/bin/env bash
# bench/gpu-prepare.sh: fills .gpu/ (git-ignored) with what bench/gpu-run.sh
# needs on a GPU machine that reaches no package registry and may lack it, then
# prints the one device call to make. Run it here, on Debian, as root (it uses
# apt-get download; run apt-get update once before).
#
#   .gpu/prefix/    Debian's libpng-dev, libjpeg62-turbo-dev and zlib1g-dev
#                   unpacked (headers and static libraries, so that the tools
#                   built there depend on nothing extra) and make, as a fallback
#   .gpu/data/      NN_DATA for the run: the four Fashion-MNIST files, and the
#                   first FACADE_TRAIN train and FACADE_TEST test_dev pairs of
#                   the mini facade set (default 240 and 64)
#   .gpu/MANIFEST   the packages (version, sha256) and files it holds
#
# Environment: NN_DATA (default ../shared/data), FACADE_TRAIN, FACADE_TEST.
# The data's checksums are checked against the SHA256SUMS beside it. What
# travels (the working tree and .gpu) must stay under the device's 64 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=${NN_DATA:-../shared/data}
FACADE_TRAIN=${FACADE_TRAIN:-240}
FACADE_TEST=${FACADE_TEST:-64}
PKGS="libpng-dev libjpeg62-turbo-dev zlib1g-dev make"
LIMIT=$((60 * 1024 * 1024))

# verify SRC COPY: the files under COPY match SRC/SHA256SUMS, where it exists
verify() {
	[ -f "$1/SHA256SUMS" ] || return 0
	local sums
	sums=$(realpath "$1/SHA256SUMS")
	(cd "$2" && awk '{ f = $2; sub(/^\*/, "", f) } system("test -f " f) == 0' "$sums" |
		sha256sum -c --quiet -) || die "$2: the copy does not match $1/SHA256SUMS"
}

die() {
	echo "gpu-prepare.sh: $*" >&2
	exit 1
}
say() { echo "gpu-prepare.sh: $*" >&2; }

FM=$SRC/fashion-mnist
FA=$SRC/mini-facade/starter_set
[ -f "$FM/train-images-idx3-ubyte.gz" ] || die "$FM: no Fashion-MNIST files (set NN_DATA)"
[ -d "$FA/train" ] && [ -d "$FA/test_dev" ] || die "$FA: no train and test_dev folders (set NN_DATA)"
command -v apt-get >/dev/null && command -v dpkg >/dev/null || die "needs apt-get and dpkg (Debian)"

NEW=.gpu.new.$$
trap 'rm -rf "$NEW"' EXIT
rm -rf "$NEW"
mkdir -p "$NEW/debs" "$NEW/prefix" "$NEW/data/fashion-mnist"

say "downloading $PKGS"
# shellcheck disable=SC2086
(cd "$NEW/debs" && apt-get download -q $PKGS) >"$NEW/apt.log" 2>&1 ||
	die "apt-get download failed (run apt-get update first): $(tail -1 "$NEW/apt.log")"
{
	echo "# .gpu/: made by bench/gpu-prepare.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ), $(. /etc/os-release && echo "$PRETTY_NAME")"
	echo "# packages unpacked into prefix/ (sha256 of the .deb, name_version_arch)"
} >"$NEW/MANIFEST"
for deb in "$NEW"/debs/*.deb; do
	dpkg -x "$deb" "$NEW/prefix"
	echo "$(sha256sum "$deb" | cut -c1-64)  $(basename "$deb")" >>"$NEW/MANIFEST"
done
# documents and translations are not needed there, nor the links to shared
# libraries that the build does not use (one points outside the folder)
lib=$NEW/prefix/usr/lib/x86_64-linux-gnu
rm -rf "$NEW/debs" "$NEW/apt.log" "$NEW/prefix/usr/share" "$lib"/*.so
for f in "$NEW/prefix/usr/include/png.h" "$NEW/prefix/usr/include/jpeglib.h" "$NEW/prefix/usr/include/zlib.h" \
	"$lib/libpng16.a" "$lib/libjpeg.a" "$lib/libz.a" "$NEW/prefix/usr/bin/make"; do
	[ -e "$f" ] || die "${f#"$NEW"/}: not in the unpacked packages"
done

say "copying Fashion-MNIST and checking its sums"
echo "# data/ (sha256, path)" >>"$NEW/MANIFEST"
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
	cp "$FM/$f" "$NEW/data/fashion-mnist/"
	echo "$(sha256sum "$FM/$f" | cut -c1-64)  fashion-mnist/$f" >>"$NEW/MANIFEST"
done
verify "$FM" "$NEW/data/fashion-mnist"

say "copying the first $FACADE_TRAIN train and $FACADE_TEST test_dev facade pairs"
for split in train:"$FACADE_TRAIN" test_dev:"$FACADE_TEST"; do
	name=${split%%:*} n=${split#*:}
	mkdir -p "$NEW/data/mini-facade/starter_set/$name"
	got=0
	for jpg in $(cd "$FA/$name" && ls -- *.jpg | sort); do
		[ "$got" -lt "$n" ] || break
		base=${jpg%.jpg}
		[ -f "$FA/$name/$base.png" ] || continue
		cp "$FA/$name/$base.jpg" "$FA/$name/$base.png" "$NEW/data/mini-facade/starter_set/$name/"
		got=$((got + 1))
	done
	[ "$got" -eq "$n" ] || die "$FA/$name: only $got photo and label pairs, $n wanted"
	echo "# mini-facade/starter_set/$name: the first $n pairs in name order" >>"$NEW/MANIFEST"
done
verify "$SRC/mini-facade" "$NEW/data/mini-facade"

git describe --always --dirty >"$NEW/commit" 2>/dev/null || echo unknown >"$NEW/commit"
rm -rf .gpu
mv "$NEW" .gpu
trap - EXIT

# what travels: tracked and untracked-but-not-ignored files, and .gpu
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s -- 2>/dev/null |
	awk '{ s += $1 } END { print s + 0 }')
carried=$(du -sb .gpu | cut -f1)
total=$((tree + carried))
say "$(awk -v t="$tree" -v c="$carried" 'BEGIN { m = 1048576
	printf "working tree %.1f MiB + .gpu %.1f MiB = %.1f MiB (the device takes 64 MiB)", t / m, c / m, (t + c) / m }')"
[ "$total" -le "$LIMIT" ] || die "that is over $((LIMIT / 1048576)) MiB: carry less (FACADE_TRAIN, FACADE_TEST)"

cat <<'EOF'
Ready. Make this one device call (a bare machine starts in a minute or two; the run
keeps within 450 s and prints its table last; the logs come back as gpu-logs.tar.gz):

    run  command:   timeout -k 10 460 bench/gpu-run.sh
         carry:     [".gpu"]
         timeout_s: 480

then record the table (gpu-table.txt) in bench/gpu.md and give the machine back.
EOF
