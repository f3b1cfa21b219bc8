#!/bin/sh
# Installs the Debian packages nnpipe needs to build, run its examples and
# run its tests. Run as root (or it uses sudo).
set -eu
pkgs="build-essential pkg-config libopenblas-dev libpng-dev zlib1g-dev libjpeg-dev
gnuplot-nox dataset-fashion-mnist man-db openmpi-bin libopenmpi-dev
python3 python3-numpy python3-venv python3-torch python3-sklearn python3-pil chromium clang"
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# shellcheck disable=SC2086
$sudo apt-get install -y -q $pkgs
