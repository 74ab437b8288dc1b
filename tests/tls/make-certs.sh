#!/usr/bin/env bash
# Generates the test PKI for the TLS tests into DIR (default: a new temp
# dir, printed on stdout). Nothing here is committed: keys are made fresh
# for every run with openssl.
#
#   ca.pem / ca.key            test root CA (EC P-256)
#   other-ca.pem               an unrelated CA (for "unknown CA")
#   server.pem / server.key    leaf for "localhost" and 127.0.0.1, signed by ca
#   chain.pem                  server.pem + ca.pem
#   rsa-server.pem / .key      RSA-2048 leaf for "localhost", signed by ca
#   expired.pem / .key         leaf for "localhost", validity in the past
#   wrongname.pem / .key       leaf for "not-this-host.example", signed by ca
#   selfsigned.pem / .key      self-signed leaf for "localhost" (for pinning)
#   selfsigned.pin             SHA-256 of its SubjectPublicKeyInfo, hex
#   server.pin                 SHA-256 of server.pem's SPKI, hex
set -euo pipefail
dir=${1:-$(mktemp -d /tmp/ilpd-pki.XXXXXX)}
mkdir -p "$dir"
cd "$dir"
command -v openssl >/dev/null || { echo "make-certs: openssl is missing" >&2; exit 1; }

ec() { openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null; }
ext_localhost="subjectAltName=DNS:localhost,IP:127.0.0.1"

ec ca.key
openssl req -x509 -new -key ca.key -sha256 -days 30 -subj "/CN=ilpd test CA" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
	-out ca.pem 2>/dev/null
ec other-ca.key
openssl req -x509 -new -key other-ca.key -sha256 -days 30 -subj "/CN=unrelated CA" \
	-addext "basicConstraints=critical,CA:TRUE" -out other-ca.pem 2>/dev/null

leaf() {  # name key-kind cn san days-args...
	local name=$1 kind=$2 cn=$3 san=$4; shift 4
	if [ "$kind" = rsa ]; then
		openssl genrsa -out "$name.key" 2048 2>/dev/null
	else
		ec "$name.key"
	fi
	openssl req -new -key "$name.key" -subj "/CN=$cn" -out "$name.csr" 2>/dev/null
	printf '%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$san" > "$name.ext"
	openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 \
		-extfile "$name.ext" "$@" -out "$name.pem" 2>/dev/null
	rm -f "$name.csr" "$name.ext"
}
leaf server ec localhost "$ext_localhost" -days 30
leaf rsa-server rsa localhost "$ext_localhost" -days 30
leaf wrongname ec not-this-host.example "subjectAltName=DNS:not-this-host.example" -days 30
# Expired: valid for one day, ten days ago. openssl 3.0's x509 cannot set
# dates in the past, so this one is signed with `openssl ca`.
ec expired.key
openssl req -new -key expired.key -subj "/CN=localhost" -out expired.csr 2>/dev/null
mkdir -p ca-db && : > ca-db/index.txt && echo 1000 > ca-db/serial
cat > ca-db/ca.cnf <<CNF
[ca]
default_ca = test
[test]
database = ca-db/index.txt
serial = ca-db/serial
new_certs_dir = ca-db
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = leaf
[any]
commonName = supplied
[leaf]
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
CNF
openssl ca -batch -config ca-db/ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr \
	-startdate "$(date -u -d '10 days ago' +%Y%m%d%H%M%SZ)" \
	-enddate "$(date -u -d '9 days ago' +%Y%m%d%H%M%SZ)" -out expired.pem 2>/dev/null
rm -rf expired.csr ca-db
cat server.pem ca.pem > chain.pem

ec selfsigned.key
openssl req -x509 -new -key selfsigned.key -sha256 -days 30 -subj "/CN=localhost" \
	-addext "$ext_localhost" -out selfsigned.pem 2>/dev/null

pin() { openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1; }
pin selfsigned.pem > selfsigned.pin
pin server.pem > server.pin
echo "$dir"
