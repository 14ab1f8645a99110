# shellcheck shell=bash
# One way to get a pinned Python venv under target/, shared by the scripts that need one
# (lint-templates, deploy-smoke, yaml-equivalence, and .ci/run's shellcheck and ruff).
#
#   source "$repo/scripts/lib/venv.sh"
#   venv_python VAR_VALUE          -> sets VENV_PYTHON: VAR_VALUE if set, else python3.11, else python3
#   venv_ensure LABEL DIR REQ...   -> DIR is a venv holding exactly what the requirement files REQ pin
#
# venv_ensure reuses DIR while its stamp (the interpreter's version and the text of every
# requirement file) matches; otherwise it deletes DIR and installs again (log: DIR.install.log).
# It prints `LABEL: installing ...` before an install and exits 1 with `LABEL: ...` on any failure.
# Needs Python 3 with the venv module and pip, and the package index on the first run.

venv_python() {
    local wanted=${1:-}
    if [[ -z $wanted ]]; then
        if command -v python3.11 >/dev/null 2>&1; then wanted=python3.11; else wanted=python3; fi
    fi
    command -v "$wanted" >/dev/null 2>&1 || {
        printf 'no %s on PATH\n' "$wanted" >&2
        return 1
    }
    VENV_PYTHON=$wanted
}

venv_ensure() {
    local label=$1 dir=$2
    shift 2
    local python=${VENV_PYTHON:-}
    [[ -n $python ]] || venv_python "" || exit 1
    python=$VENV_PYTHON
    local req want py_version
    py_version=$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
    want="python==$py_version"
    for req in "$@"; do
        [[ -f $req ]] || {
            printf '%s: no requirements file %s\n' "$label" "$req" >&2
            exit 1
        }
        want+=$'\n'"# ${req##*/}"$'\n'"$(grep -v '^[[:space:]]*\(#\|$\)' "$req")"
    done
    local stamp="$dir/.venv-stamp"
    if [[ -x $dir/bin/python && -f $stamp && $(<"$stamp") == "$want" ]]; then
        return 0
    fi
    local pins
    pins=$(grep -h -v '^[[:space:]]*\(#\|$\)' "$@" | tr '\n' ' ')
    printf '%s: installing %sinto %s (python %s)\n' "$label" "$pins" "${dir#"${VENV_REPO:-$PWD}"/}" "$py_version" >&2
    rm -rf "$dir"
    mkdir -p "$(dirname "$dir")"
    "$python" -m venv "$dir" || {
        printf '%s: could not create a venv with %s (python3-venv missing?)\n' "$label" "$python" >&2
        exit 1
    }
    local log="$dir.install.log" args=() r
    for r in "$@"; do args+=(-r "$r"); done
    if ! "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "${args[@]}" >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        rm -rf "$dir"
        printf '%s: pip install failed (full log: %s)\n' "$label" "$log" >&2
        exit 1
    fi
    printf '%s' "$want" >"$stamp"
}
