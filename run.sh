#!/usr/bin/env bash
# The two commands:  ./run.sh demo   (the walkthrough on Azurite)   and   ./run.sh test   (every check CI runs).
# Needs only the .NET SDK and Node.js; Azurite comes from package.json via npm ci.
set -euo pipefail
cd "$(dirname "$0")"

install_node_modules() {
  if [ ! -f node_modules/azurite/dist/src/azurite.js ] || [ ! -f node_modules/adaptivecards/dist/adaptivecards.js ] \
    || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

# One Azurite for the whole test run, on ports the OS picks, in a temporary workspace removed on exit.
start_azurite() {
  AZURITE_WORKSPACE=$(mktemp -d)
  node node_modules/azurite/dist/src/azurite.js --location "$AZURITE_WORKSPACE" --skipApiVersionCheck --disableTelemetry --loose \
    --blobHost 127.0.0.1 --blobPort 0 --queueHost 127.0.0.1 --queuePort 0 --tableHost 127.0.0.1 --tablePort 0 \
    >"$AZURITE_WORKSPACE/azurite.log" 2>&1 &
  AZURITE_PID=$!
  trap 'kill $AZURITE_PID 2>/dev/null || true; wait $AZURITE_PID 2>/dev/null || true; rm -rf "$AZURITE_WORKSPACE"' EXIT
  for _ in $(seq 1 300); do
    [ "$(grep -c 'successfully listening' "$AZURITE_WORKSPACE/azurite.log" || true)" -ge 3 ] && break
    kill -0 $AZURITE_PID 2>/dev/null || { cat "$AZURITE_WORKSPACE/azurite.log"; exit 1; }
    sleep 0.2
  done
  port() { grep "Azurite $1 service is successfully listening" "$AZURITE_WORKSPACE/azurite.log" | sed -E 's/.*:([0-9]+)$/\1/'; }
  local key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
  export PANAPTICO_TEST_STORAGE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$(port Blob)/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$(port Queue)/devstoreaccount1;TableEndpoint=http://127.0.0.1:$(port Table)/devstoreaccount1;"
  echo "azurite: blob $(port Blob), queue $(port Queue), table $(port Table)"
}

# A Debian package a test needs, installed only when its binary is missing (we are root; no sudo).
ensure_debian_package() {
  local binary=$1 package=$2
  if [ ! -x "$binary" ]; then
    echo "installing Debian package $package (for $binary)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package"
  fi
}

case "${1:-}" in
  demo)
    install_node_modules
    dotnet build src/Panaptico.Cli -c Release --nologo -v quiet
    dotnet run --project src/Panaptico.Cli -c Release --no-build -- demo
    ;;
  test)
    started=$(date +%s)
    install_node_modules
    # Headless Chromium renders the Teams cards and drives the approval link's confirm page (PuppeteerSharp, no download).
    ensure_debian_package /usr/bin/chromium chromium
    export PANAPTICO_TEST_CHROMIUM=/usr/bin/chromium
    export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
    # Warnings are errors through Directory.Build.props; not -warnaserror, which would also fail the SDK-generated
    # WorkerExtensions project on NU1603 (this registry copy lacks some exact minimum versions).
    dotnet build Panaptico.sln -c Release --nologo -v quiet
    dotnet format Panaptico.sln --verify-no-changes --no-restore -v quiet
    start_azurite
    echo "the card checks keep their JSON and rendered PNGs in tests/Panaptico.Core.Tests/bin/Release/net10.0/artifacts/cards/"
    dotnet test Panaptico.sln -c Release --no-build --nologo -v quiet -- xUnit.ParallelizeTestCollections=true
    echo "run.sh test: passed in $(( $(date +%s) - started )) s"
    ;;
  *)
    echo "usage: ./run.sh demo | ./run.sh test" >&2
    exit 2
    ;;
esac
