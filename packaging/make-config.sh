#!/usr/bin/env bash
# Writes packaging/linkpost.toml, the package's /etc/linkpost/linkpost.toml:
# the shipped example with its paths under the service's state folder.
# Run after changing config/linkpost.toml (a test fails until you do).
set -euo pipefail
cd "$(dirname "$0")/.."
sed -e 's|^# Try it:.*|# Installed by the linkpost package as /etc/linkpost/linkpost.toml: the\n# service (linkpost.service) reads it. Edit the feeds, then\n# `systemctl enable --now linkpost`; `systemctl reload linkpost` after changes.|' \
    -e 's|^database = .*|database = "/var/lib/linkpost/linkpost.db"|' \
    -e 's|^output_dir = .*|output_dir = "/var/lib/linkpost/drafts"|' \
    -e 's|^publish_dir = .*|publish_dir = "/var/lib/linkpost/published"|' \
    config/linkpost.toml > packaging/linkpost.toml
