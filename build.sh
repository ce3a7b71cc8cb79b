#!/usr/bin/env bash
# ShardKit's two set-up commands on a fresh Debian machine:
#   ./build.sh demo   start a local sharded topology and run the order demo against it
#   ./build.sh test   run every test (unit and integration against real MariaDB)
# Both install what is missing (MariaDB server and client) first.
set -euo pipefail
cd "$(dirname "$0")"

ensure_mariadb() {
  if command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ]; then
    return
  fi
  echo "MariaDB server not found; installing mariadb-server with apt-get..." >&2
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq mariadb-server mariadb-client >/dev/null
  # The Debian package may start a system-wide server; ShardKit starts its own processes.
  $sudo service mariadb stop >/dev/null 2>&1 || true
}

run_tests() {
  ensure_mariadb
  dotnet build ShardKit.sln -c Release -warnaserror -nologo -v quiet
  local log
  log=$(mktemp)
  local status=0
  dotnet test ShardKit.sln -c Release --no-build --nologo 2>&1 | tee "$log" || status=$?
  local passed failed
  passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
  failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
  rm -f "$log"
  if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
  echo "$passed passed, $failed failed"
  return "$status"
}

run_demo() {
  ensure_mariadb
  # The demo starts the OrderService sample (ASP.NET Core) as its own process; the tool itself needs only the .NET runtime.
  dotnet build samples/OrderService -c Release -nologo -v quiet
  dotnet build src/ShardKit.Migrations -c Release -nologo -v quiet
  dotnet run --project src/ShardKit.Migrations -c Release --no-build -- demo --service samples/OrderService/bin/Release/net10.0/OrderService.dll "$@"
}

case "${1:-}" in
  test) shift; run_tests "$@" ;;
  demo) shift; run_demo "$@" ;;
  *) echo "usage: ./build.sh test | demo" >&2; exit 2 ;;
esac
