# shellcheck shell=bash
# The pinned cargo-insta, shared by scripts/test and scripts/review: built on the first run, at the insta version
# of Cargo.lock, into target/tools (about two minutes of compiling once; later runs reuse it), then put first on
# PATH. Source this file from the repository's root.

insta_ensure() {
    local version tools=target/tools
    version=$(awk '/^name = "insta"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
    [[ -n $version ]] || { echo "no insta in Cargo.lock" >&2; return 1; }
    local insta=$tools/bin/cargo-insta
    if ! [[ -x $insta ]] || [[ $("$insta" --version 2>/dev/null) != *" $version" ]]; then
        echo "building cargo-insta $version into $tools (once)" >&2
        cargo install --quiet --locked --root "$tools" --version "$version" cargo-insta
    fi
    PATH="$PWD/$tools/bin:$PATH"
    export PATH
}
