#!/bin/sh
# Install the Debian packages nntrace needs, only when some are missing.
# Runs as root on the project machines; otherwise prints the apt-get line.
set -eu
# graphviz (dot), gnumeric (ssconvert), tmux, unzip and texlive-latex-base (pdflatex, for
# the LaTeX formula forms) are used by the test suite;
# time (/usr/bin/time) and python3 by the hostile-input tests.
PKGS="build-essential pkg-config libcmocka-dev libxlsxwriter-dev zlib1g-dev libomp-dev graphviz gnumeric tmux unzip texlive-latex-base time python3"
# pdflatex with beamer, tikz and the T1 Latin Modern fonts, and pdftotext: `nntrace tex` is compiled by the tests.
PKGS="$PKGS texlive-latex-recommended texlive-pictures lmodern poppler-utils"
# LibreOffice prints the workbooks to PDF in the tests, as instructors do.
PKGS="$PKGS libreoffice-calc-nogui"
# zip refills the exercise workbooks the tests fill in (test_xlsx_exercise).
PKGS="$PKGS zip"
# mandoc, groff and man-db check the manual pages (test_install).
PKGS="$PKGS mandoc groff man-db"
# clang and its libFuzzer (libclang-rt-dev) build the fuzzers that CI runs (`make fuzz`).
PKGS="$PKGS clang libclang-rt-dev"
[ "${NNTRACE_EXTRA_PKGS:-}" ] && PKGS="$PKGS $NNTRACE_EXTRA_PKGS"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null || { echo "deps: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq $missing >/dev/null || { echo "deps: apt-get install$missing failed" >&2; exit 1; }
