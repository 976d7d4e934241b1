#!/usr/bin/env bash
# Mutation testing (StrykerJS, stryker.conf.json) of the rotation function's security checks: the event
# and pre-step checks, the configuration, the steps, the database strategies and the contract, with the
# unit, emulator (moto) and real-database suites that cover them; and (stryker.policy*.conf.json) of the
# policy builders, with the synth suites and the IAM evaluator's access suites. A developer tool, not run by CI: a
# full run takes hours on two cores.
#
#   scripts/mutation.sh                      every file of stryker.conf.json, every suite
#   MUTATION_CONFIG=stryker.unit.conf.json scripts/mutation.sh --incremental
#                                            pass one: the fast unit suites against every mutant
#   scripts/mutation.sh --mutate "$(node scripts/mutation-survivors.mjs ranges \
#       test/.tmp/mutation/unit-pass.json | paste -sd, -)"
#                                            pass two: every suite against what pass one left alive;
#                                            `node scripts/mutation-survivors.mjs combine` scores both
#   scripts/mutation.sh --mutate lambda/rotation/event.ts --concurrency 2
#                                            any `stryker run` option narrows or tunes the run
#   MUTATION_CONFIG=stryker.policy.unit.conf.json scripts/mutation.sh --incremental
#   MUTATION_CONFIG=stryker.policy.conf.json scripts/mutation.sh --mutate "<ranges>"
#                                            the same two passes over the policy builders (the secret's
#                                            resource policy, the key policy, the principals and grants,
#                                            the reader role) with the synth and access suites; pass two
#                                            adds the IAM evaluator's property test (200 vaults a run)
#
# The report: test/.tmp/mutation/report.html (and mutation.json); the log on stdout.
#
# Stryker runs jest once per mutant, and jest's global setup would start a PostgreSQL and a MariaDB
# server each time: this script starts one of each for the whole run and hands them over through the
# variables the global setup reads (SECRETS_VAULT_TEST_*_URL), and stops them when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "mutation.sh: $*" >&2; }

# Every synth in a test leaves an assembly in a temporary `cdk.out*` folder (aws-cdk-lib's default
# outdir), and a mutation run synthesizes thousands of times per file: tens of gigabytes. Stryker and
# its tests get a temporary folder of their own (TMPDIR, set below, after the database servers
# started: they run as another user and keep their files where they were), removed when it ends.
run_tmp=$(mktemp -d "${TMPDIR:-/tmp}/secrets-vault-mutation-XXXXXX")

log 'building the rotation bundle (the emulator and database suites run it)'
node scripts/bundle.mjs rotation

# The servers live as long as this helper's stdin stays open: closing it (or this script dying) stops
# them (test/support/databases.ts stops a server whose starter went away).
coproc SERVERS {
  exec node -r ts-node/register/transpile-only -e '
    const { startSharedServer } = require("./test/support/databases");
    (async () => {
      const [postgres, mysql] = await Promise.all([startSharedServer("postgres"), startSharedServer("mysql")]);
      process.stdout.write(JSON.stringify({ postgres: postgres.url, mysql: mysql.url }) + "\n");
      const stop = () => Promise.allSettled([postgres.stop(), mysql.stop()]).then(() => process.exit(0));
      process.stdin.on("end", stop);
      process.stdin.on("error", stop);
      process.stdin.resume();
    })().catch((error) => { console.error(error); process.exit(1); });
  '
}
stop_servers() {
  if [ -n "${SERVERS_PID:-}" ]; then
    eval "exec ${SERVERS[1]}>&-"
    wait "$SERVERS_PID" 2>/dev/null || true
  fi
}
cleanup() {
  stop_servers
  rm -rf "$run_tmp"
}
trap cleanup EXIT

read -r urls <&"${SERVERS[0]}" || { log 'error: the database servers did not start'; exit 1; }
SECRETS_VAULT_TEST_POSTGRES_URL=$(node -e 'process.stdout.write(JSON.parse(process.argv[1]).postgres)' "$urls")
SECRETS_VAULT_TEST_MYSQL_URL=$(node -e 'process.stdout.write(JSON.parse(process.argv[1]).mysql)' "$urls")
export SECRETS_VAULT_TEST_POSTGRES_URL SECRETS_VAULT_TEST_MYSQL_URL
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
log 'database servers are up; running Stryker'
export TMPDIR="$run_tmp"

# StrykerJS 10 needs Node.js 22 or newer; the project's tests run on 20 as well. On an older Node, take
# Node 22 from the npm registry (the `node` package ships the binary) for Stryker and the tests it runs.
node_for_stryker=node
if [ "$(node -p 'Number(process.versions.node.split(".")[0])')" -lt 22 ]; then
  log "Node.js $(node --version) is too old for StrykerJS 10: using Node.js 22 from the npm registry"
  node_for_stryker=$(cd /tmp && npm exec --yes --package=node@22 -- node -p process.execPath)
fi
"$node_for_stryker" node_modules/@stryker-mutator/core/bin/stryker.js run "${MUTATION_CONFIG:-stryker.conf.json}" "$@"
