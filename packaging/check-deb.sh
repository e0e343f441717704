#!/usr/bin/env bash
# Builds the .deb with cargo-deb and checks what it installs (`dpkg-deb -c`)
# and that the service's config is a conffile. Run by .ci/run; needs
# cargo-deb (`cargo install cargo-deb --locked`) and dpkg-deb.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo deb --locked
deb="$(ls -t target/debian/linkpost_*.deb | head -n 1)"
listing="$(dpkg-deb -c "$deb" | awk '{ print $6 }')"
missing=0
for want in \
    ./usr/bin/linkpost \
    ./usr/lib/systemd/system/linkpost.service \
    ./etc/linkpost/linkpost.toml \
    ./etc/linkpost/body.md.j2 \
    ./usr/share/man/man1/linkpost.1.gz \
    ./usr/share/man/man1/linkpost-add.1.gz \
    ./usr/share/bash-completion/completions/linkpost \
    ./usr/share/zsh/vendor-completions/_linkpost \
    ./usr/share/fish/vendor_completions.d/linkpost.fish \
    ./usr/share/doc/linkpost/copyright; do
    if ! grep -qxF "$want" <<<"$listing"; then
        echo "the package lacks $want" >&2
        missing=1
    fi
done
# Every man page in man/ is in the package.
for page in man/*.1; do
    if ! grep -qxF "./usr/share/man/man1/$(basename "$page").gz" <<<"$listing"; then
        echo "the package lacks the man page $page" >&2
        missing=1
    fi
done
control="$(mktemp -d)"
trap 'rm -rf "$control"' EXIT
dpkg-deb -e "$deb" "$control"
for conffile in /etc/linkpost/linkpost.toml /etc/linkpost/body.md.j2; do
    if ! grep -qxF "$conffile" "$control/conffiles"; then
        echo "$conffile is not a conffile" >&2
        missing=1
    fi
done
# The unit is installed, not enabled or started: the README says
# `systemctl enable --now linkpost` once the config is edited.
if grep -q "deb-systemd-invoke start" "$control/postinst"; then
    echo "the package starts the service on install" >&2
    missing=1
fi
[ "$missing" = 0 ]
echo "$deb: $(grep -c . <<<"$listing") entries, conffiles and unit as expected"
