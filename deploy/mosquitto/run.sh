#!/bin/sh
# Start Mosquitto, and reload its password and ACL files (SIGHUP) whenever the service
# rewrites them, which it does each time a printer is registered, changed or removed.
set -eu
ROOT=${MOSQUITTO_ROOT:-/mosquitto}  # another root for the tests, which run it outside Docker
AUTH=$ROOT/auth
for file in passwd acl; do
  [ -s "$AUTH/$file" ] || { echo "missing $AUTH/$file: the setup service writes it" >&2; exit 1; }
done
mosquitto -c "$ROOT/config/mosquitto.conf" &
broker=$!
trap 'kill -TERM "$broker"; wait "$broker"; exit 0' TERM INT
stamp() { cat "$AUTH/passwd" "$AUTH/acl" | md5sum; }
seen=$(stamp)
while kill -0 "$broker" 2>/dev/null; do
  sleep 5 &
  wait $! || true
  now=$(stamp)
  if [ "$now" != "$seen" ]; then
    seen=$now
    kill -HUP "$broker"
    echo "reloaded the password and ACL files"
  fi
done
wait "$broker"
