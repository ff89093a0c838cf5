# .ci/setup.sh -- shell functions shared by the README's two commands (bench/run.sh, tests/run.sh).
# SPDX-License-Identifier: MIT
# Sourced, not run. The caller sets PACKAGES (Debian packages) before calling these.

# install_packages <package...>: apt-get install them as root on Debian; otherwise (not root, no
# apt-get, or SOFTPLUS_SKIP_APT=1) use the tools already installed. A package named name:arch first
# enables that foreign architecture (dpkg --add-architecture) so one apt-get update covers it.
install_packages() {
    if [[ ${SOFTPLUS_SKIP_APT:-0} == 1 ]]; then
        echo "== packages: skipped (SOFTPLUS_SKIP_APT=1)"
    elif [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        echo "== packages: apt-get install $*"
        export DEBIAN_FRONTEND=noninteractive
        local package
        for package in "$@"; do
            if [[ $package == *:* ]]; then dpkg --add-architecture "${package##*:}"; fi
        done
        apt-get update -q
        apt-get install -y -q --no-install-recommends "$@"
    else
        echo "== packages: not root or no apt-get; using the installed tools"
    fi
}

# require_tools <command...>: exit with a clear message when any is missing.
require_tools() {
    local missing=()
    for tool in "$@"; do
        command -v "$tool" >/dev/null || missing+=("$tool")
    done
    if ((${#missing[@]})); then
        echo "error: missing ${missing[*]}; install: ${PACKAGES[*]}" >&2
        exit 1
    fi
}

# generator_args <build dir>: prints "-G Ninja" (or Unix Makefiles) for a new build tree, nothing
# for an existing one, which remembers its generator. Use as: mapfile -t gen < <(generator_args DIR)
generator_args() {
    [[ -f $1/CMakeCache.txt ]] && return 0
    echo "-G"
    if command -v ninja >/dev/null; then echo "Ninja"; else echo "Unix Makefiles"; fi
}
