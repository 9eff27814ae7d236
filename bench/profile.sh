#!/usr/bin/env bash
# Profile one API worker with py-spy while wrk drives a workload: bench/profile.sh [WORKLOAD]
# (employee, employees, pto_by_employee, balances, post_pto, post_pto_one, login, history_employee,
# history_post_pto, history_approve, history_cancel; default employee). The history workloads run against
# the employees with 10,000 prior entries. The collapsed stacks and a summary of where the time goes land
# in bench/out/. BENCH_SIZES=20000 profiles the large dataset; BENCH_PROFILE_FORMAT=flamegraph writes an
# SVG flame graph instead.
set -euo pipefail
cd "$(dirname "$0")/.."
exec make bench BENCH_ARGS="--profile ${1:-employee}"
