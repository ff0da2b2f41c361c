#!/usr/bin/env bash
# Bundles and plans the same projects with two cutover binaries and compares every file
# byte for byte (issue 12: a change to how the plan is held must not change what is written).
#
#   tools/bundle-identical.sh OLD_BINARY NEW_BINARY [USERS]
#
# Cases: the samples (bundle and plan, each source version and both identity modes), and a
# synthetic tenant of USERS users (default 100000) in both input formats. Exit 0 when every
# file matches, 1 on a difference.
set -u
old=$(realpath "$1"); new=$(realpath "$2"); users=${3:-100000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fail=0

run_both() { # name, then the arguments after the binary (OUT is replaced by the folder)
  local name=$1; shift
  for side in old new; do
    local bin=$old; [ $side = new ] && bin=$new
    local out="$work/$side/$name" secrets="$work/$side/$name.secrets"
    mkdir -p "$(dirname "$out")"
    local args=(); for a in "$@"; do args+=("${a//OUT/$out}"); done
    args=("${args[@]//SECRETS/$secrets}")
    (cd "$work" && "$bin" "${args[@]}") >"$work/$side/$name.log" 2>&1
    echo $? >"$work/$side/$name.rc"
  done
  if ! cmp -s "$work/old/$name.rc" "$work/new/$name.rc"; then
    echo "DIFFER $name: exit codes $(cat "$work/old/$name.rc") vs $(cat "$work/new/$name.rc")"; fail=1
  elif ! diff -r "$work/old/$name" "$work/new/$name" >"$work/$name.diff" 2>&1; then
    echo "DIFFER $name:"; head -20 "$work/$name.diff"; fail=1
  else
    echo "same   $name ($(find "$work/new/$name" -type f | wc -l) files, exit $(cat "$work/new/$name.rc"))"
  fi
}

cfg="$root/samples/cutover.toml"
run_both samples-bundle bundle --config "$cfg" --out OUT --secrets-out SECRETS
run_both samples-plan plan --config "$cfg" --out OUT
for v in 2007 2010 2013 2019 SE; do
  run_both "samples-bundle-$v" bundle --config "$cfg" --source-version "$v" --out OUT --secrets-out SECRETS
done
run_both samples-bundle-synced bundle --config "$cfg" --identity synced --out OUT --secrets-out SECRETS

for fmt in cutover playbook; do
  syn="$work/synth-$fmt"
  "$new" synth --users "$users" --seed 7 --format "$fmt" --out "$syn" >/dev/null || exit 2
  run_both "synth-$fmt-$users" bundle --domain contoso.com --tenant contoso.onmicrosoft.com \
    --source-version 2016 --identity cloud --usage-location US --users "$syn/users.csv" \
    --groups "$syn/groups.csv" --members "$syn/members.csv" --out OUT --secrets-out SECRETS
done
# Synced identities: a preflight check per user, the synced shared-mailbox steps.
syn="$work/synth-cutover"
run_both "synth-synced-$users" bundle --domain contoso.com --tenant contoso.onmicrosoft.com \
  --source-version 2016 --identity synced --users "$syn/users.csv" \
  --groups "$syn/groups.csv" --members "$syn/members.csv" --out OUT
# As the bundle bench: with a licence and a migration account (every step).
cat >"$work/synth-cutover/cutover.toml" <<'TOML'
[tenant]
name = "contoso.onmicrosoft.com"
domains = ["contoso.com"]
identity = "cloud"
licence_sku = "O365_BUSINESS_PREMIUM"
[source]
version = "2016"
migration_account = 'CONTOSO\svc'
[inputs]
users = "users.csv"
groups = "groups.csv"
members = "members.csv"
TOML
run_both "synth-bench-$users" bundle --config "$work/synth-cutover/cutover.toml" --out OUT
run_both "synth-plan-$users" plan --domain contoso.com --tenant contoso.onmicrosoft.com \
  --source-version 2016 --identity cloud --usage-location US --users "$work/synth-cutover/users.csv" \
  --groups "$work/synth-cutover/groups.csv" --members "$work/synth-cutover/members.csv" --out OUT
exit $fail
