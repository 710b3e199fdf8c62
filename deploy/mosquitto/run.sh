#!/bin/sh
# Start Mosquitto, and reload it (SIGHUP) whenever its files change: the password and ACL
# files, which the service rewrites each time a printer is registered, changed or removed,
# and the TLS certificate, which Caddy or certbot renews.
set -eu
umask 077
ROOT=${MOSQUITTO_ROOT:-/mosquitto}  # another root for the tests, which run it outside Docker
AUTH=$ROOT/auth
# Mosquitto reads its certificate after dropping root: it gets a copy it may read, as the
# Let's Encrypt hook shipped with Mosquitto does.
TLS=$ROOT/tls
: "${TLS_CERT:?set TLS_CERT to the certificate chain for 8883 (see docker-compose.yml)}"
: "${TLS_KEY:?set TLS_KEY to the certificate's private key (see docker-compose.yml)}"

for file in passwd acl; do
  [ -s "$AUTH/$file" ] || { echo "missing $AUTH/$file: the setup service writes it" >&2; exit 1; }
done
if ! [ -s "$TLS_CERT" ] || ! [ -s "$TLS_KEY" ]; then
  echo "waiting for $TLS_CERT and $TLS_KEY (Caddy obtains them on its first start)"
  until [ -s "$TLS_CERT" ] && [ -s "$TLS_KEY" ]; do sleep 5; done
fi

copy_certificate() {
  mkdir -p "$TLS"
  cp "$TLS_CERT" "$TLS/server.crt"
  cp "$TLS_KEY" "$TLS/server.key"
  if id mosquitto >/dev/null 2>&1; then chown mosquitto "$TLS" "$TLS/server.crt" "$TLS/server.key"; fi
}
stamp() { cat "$AUTH/passwd" "$AUTH/acl" "$TLS_CERT" "$TLS_KEY" | md5sum; }

copy_certificate
seen=$(stamp)
mosquitto -c "$ROOT/config/mosquitto.conf" &
broker=$!
trap 'kill -TERM "$broker"; wait "$broker"; exit 0' TERM INT
while kill -0 "$broker" 2>/dev/null; do
  sleep 5 >/dev/null 2>&1 &  # not holding our output open once the broker has stopped
  wait $! || true
  now=$(stamp)
  if [ "$now" != "$seen" ]; then
    seen=$now
    copy_certificate
    kill -HUP "$broker"
    echo "reloaded the password and ACL files and the certificate"
  fi
done
wait "$broker"
