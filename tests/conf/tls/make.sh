#!/bin/sh
# tests/conf/tls/make.sh - makes the certificates and keys the golden
# tests use (test-only keys, committed so that the tests need no
# openssl).  Run from this directory; it overwrites them all.
set -eu
days=36500				# valid until the next century

# www: EC P-256, self-signed, two DNS names
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout www.key -out www.crt -days $days -subj /CN=www.example.com \
    -addext "subjectAltName=DNS:www.example.com,DNS:example.com" 2>/dev/null
# api: RSA 2048, a wildcard
openssl req -x509 -newkey rsa:2048 -nodes -keyout api.key -out api.crt \
    -days $days -subj /CN=api.example.com \
    -addext "subjectAltName=DNS:*.api.example.com" 2>/dev/null
# a CA, and a leaf it signed: leaf.crt alone, leaf-chain.crt with the CA
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.crt -days $days -subj "/CN=edged test CA" \
    2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout leaf.key -out leaf.csr -subj /CN=app.example.com 2>/dev/null
printf 'subjectAltName=DNS:app.example.com\n' >leaf.ext
openssl x509 -req -in leaf.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
    -days $days -extfile leaf.ext -out leaf.crt 2>/dev/null
cat leaf.crt ca.crt >leaf-chain.crt
# expired: valid in 2000 only (openssl ca sets both dates)
mkdir -p ca.d
: >ca.d/index.txt
cat >ca.d/ca.cnf <<CNF
[ca]
default_ca = test
[test]
database = ca.d/index.txt
new_certs_dir = ca.d
serial = ca.d/serial
default_md = sha256
policy = any
[any]
commonName = supplied
CNF
echo 01 >ca.d/serial
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout expired.key -out expired.csr -subj /CN=old.example.com \
    2>/dev/null
openssl ca -batch -config ca.d/ca.cnf -cert ca.crt -keyfile ca.key \
    -startdate 20000101000000Z -enddate 20010101000000Z \
    -in expired.csr -out expired.crt -notext 2>/dev/null
# an encrypted key, and a file that is no certificate
openssl pkcs8 -topk8 -in www.key -out encrypted.key -passout pass:secret \
    2>/dev/null
printf 'this is not a certificate\n' >not-a-cert.crt
cp www.key readable.key
rm -rf ca.d leaf.csr leaf.ext expired.csr ca.srl
chmod 600 ./*.key
