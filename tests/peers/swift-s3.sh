#!/usr/bin/env bash
# A real S3 API for the tests and `./run.sh demo s3`: OpenStack Swift (Debian packages) with its s3api middleware,
# on loopback, everything (configuration, rings, data, logs) in one folder of its own.
#   tests/peers/swift-s3.sh install          apt-get install the packages when a binary is missing
#   tests/peers/swift-s3.sh start DIR        start memcached + the account, container, object and proxy servers;
#                                            DIR/env then holds `export PANAPTICO_TEST_S3=...` (endpoint and keys)
#   tests/peers/swift-s3.sh stop DIR         stop what `start DIR` started and remove DIR
# The tempauth user acme:owner (key ownersecret) is the S3 access key pair; its canonical id is acme:owner.
set -euo pipefail

PACKAGES="swift swift-proxy swift-account swift-container swift-object memcached"

install() {
  if command -v swift-proxy-server >/dev/null && command -v swift-object-server >/dev/null \
    && command -v swift-ring-builder >/dev/null && command -v memcached >/dev/null; then
    return
  fi
  echo "installing Swift from Debian: $PACKAGES"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $PACKAGES >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $PACKAGES >/dev/null
  fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

server_conf() { # name port app
  cat >"$DIR/$1-server.conf" <<CONF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $2
devices = $DIR/srv
mount_check = false
swift_dir = $DIR
user = $(id -un)
workers = 0
log_name = $1-server
log_level = WARNING

[pipeline:main]
pipeline = $1-server

[app:$1-server]
use = egg:swift#$3
CONF
}

start() {
  command -v swift-proxy-server >/dev/null || { echo "Swift is not installed: run '$0 install' (apt-get install -y --no-install-recommends $PACKAGES)" >&2; exit 1; }
  mkdir -p "$DIR/srv/d1" "$DIR/log"
  local proxy account container object cache
  proxy=$(free_port); account=$(free_port); container=$(free_port); object=$(free_port); cache=$(free_port)
  cat >"$DIR/swift.conf" <<CONF
[swift-hash]
swift_hash_path_suffix = panaptico-test
[storage-policy:0]
name = Policy-0
default = yes
CONF
  server_conf account "$account" account
  server_conf container "$container" container
  server_conf object "$object" object
  cat >"$DIR/proxy-server.conf" <<CONF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $proxy
swift_dir = $DIR
user = $(id -un)
workers = 0
log_level = WARNING

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo versioned_writes symlink proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:s3api]
use = egg:swift#s3api
s3_acl = true
location = us-east-1

[filter:tempauth]
use = egg:swift#tempauth
user_acme_owner = ownersecret .admin

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$cache

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
# S3 bucket versioning is Swift's object versioning, which needs symlinks.
[filter:versioned_writes]
use = egg:swift#versioned_writes
allow_object_versioning = true
[filter:symlink]
use = egg:swift#symlink
CONF
  for ring in account:$account container:$container object:$object; do
    swift-ring-builder "$DIR/${ring%%:*}.builder" create 6 1 1 >/dev/null
    swift-ring-builder "$DIR/${ring%%:*}.builder" add "r1z1-127.0.0.1:${ring##*:}/d1" 1 >/dev/null
    swift-ring-builder "$DIR/${ring%%:*}.builder" rebalance >/dev/null
  done
  memcached -u "$(id -un)" -l 127.0.0.1 -p "$cache" -U 0 >"$DIR/log/memcached.log" 2>&1 & echo $! >>"$DIR/pids"
  for server in account container object proxy; do
    "swift-$server-server" "$DIR/$server-server.conf" >"$DIR/log/$server.log" 2>&1 & echo $! >>"$DIR/pids"
  done
  for _ in $(seq 1 150); do
    if curl -fsS "http://127.0.0.1:$proxy/healthcheck" >/dev/null 2>&1; then
      echo "export PANAPTICO_TEST_S3='ServiceUrl=http://127.0.0.1:$proxy;AccessKeyId=acme:owner;SecretAccessKey=ownersecret'" >"$DIR/env"
      echo "swift s3api: http://127.0.0.1:$proxy ($DIR)"
      return
    fi
    sleep 0.2
  done
  echo "Swift did not answer on 127.0.0.1:$proxy; logs:" >&2
  tail -n 20 "$DIR"/log/*.log >&2
  stop
  exit 1
}

stop() {
  [ -f "$DIR/pids" ] && while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$DIR/pids"
  [ -f "$DIR/pids" ] && while read -r pid; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done <"$DIR/pids"
  rm -rf "$DIR"
}

case "${1:-}" in
  install) install ;;
  start) DIR=${2:?usage: $0 start DIR}; start ;;
  stop) DIR=${2:?usage: $0 stop DIR}; stop ;;
  *) echo "usage: $0 install | start DIR | stop DIR" >&2; exit 2 ;;
esac
