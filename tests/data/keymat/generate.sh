#!/bin/bash
# generate.sh - how the golden inputs of test_keymat were made. Run once by
# hand (it makes new random keys, so rerunning replaces every file); the
# test itself never runs it.
#
# Only public keys are kept. Expected values come from the reference tools,
# never from keymat:
#   NAME.openssh   the key's "type base64" as ssh-keygen wrote it
#   NAME.fp        EC2's fingerprint for an imported key:
#                  RSA      MD5 of the DER SubjectPublicKeyInfo, from
#                           `openssl pkey -pubin -outform DER | openssl md5 -c`
#                  Ed25519  `ssh-keygen -l -E sha256` without "SHA256:",
#                           with base64's '=' put back as EC2 shows it
# Inputs named reject-* must fail with InvalidKey.Format.
# Needs: openssh-client (ssh-keygen), openssl, coreutils, xxd.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rsa_fp() {
	ssh-keygen -e -m PKCS8 -f "$1" | openssl pkey -pubin -outform DER |
		openssl md5 -c | sed 's/^.*= //'
}

ed25519_fp() {
	printf '%s=\n' "$(ssh-keygen -l -E sha256 -f "$1" |
		awk '{ print $2 }' | sed 's/^SHA256://')"
}

# SSH wire encoding helpers: a big-endian uint32, an SSH string.
u32() {
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' \
		$((($1 >> 24) & 255)) $((($1 >> 16) & 255)) \
		$((($1 >> 8) & 255)) $(($1 & 255)))"
}
sshstr() { # file
	u32 "$(stat -c %s "$1")"
	cat "$1"
}
blob_of() { # public key line file -> raw blob on stdout
	awk '{ print $2 }' "$1" | base64 -d
}

# Accepted: RSA at the documented sizes and at ssh-keygen's default 3072.
for bits in 1024 2048 3072 4096; do
	ssh-keygen -q -t rsa -b "$bits" -N '' -C "golden rsa$bits" \
		-f "$tmp/rsa$bits"
	cp "$tmp/rsa$bits.pub" "rsa$bits.pub"
	cut -d' ' -f1,2 "rsa$bits.pub" >"rsa$bits.openssh"
	rsa_fp "rsa$bits.pub" >"rsa$bits.fp"
done

ssh-keygen -q -t ed25519 -N '' -C 'golden ed25519' -f "$tmp/ed25519"
cp "$tmp/ed25519.pub" ed25519.pub
cut -d' ' -f1,2 ed25519.pub >ed25519.openssh
ed25519_fp ed25519.pub >ed25519.fp
# The same key with no comment and CRLF line ending.
printf '%s\r\n' "$(cat ed25519.openssh)" >ed25519-crlf.pub

# rsa2048 in the other forms EC2 takes; all share rsa2048.fp/.openssh.
ssh-keygen -e -f rsa2048.pub |
	sed 's/^Comment: .*/Comment: "golden rsa2048"/' >rsa2048.rfc4716
{	# RFC 4716 with a continued header, an x- header and CRLF endings
	echo '---- BEGIN SSH2 PUBLIC KEY ----'
	echo 'Comment: "a comment long enough to be continued on \'
	echo 'the next line"'
	echo 'x-golden: yes'
	sed '1,2d;$d' rsa2048.rfc4716
	echo '---- END SSH2 PUBLIC KEY ----'
} | sed 's/$/\r/' >rsa2048-headers.rfc4716
ssh-keygen -e -m PKCS8 -f rsa2048.pub | grep -v -- ----- >rsa2048.der.b64
ssh-keygen -e -m PKCS8 -f rsa2048.pub | openssl pkey -pubin -outform DER |
	base64 -w0 >rsa2048-oneline.der.b64
ssh-keygen -e -m PEM -f rsa2048.pub | grep -v -- ----- >rsa2048.pkcs1.b64

# Rejected.
printf 'this is not a key\n' >reject-garbage.txt
line=$(cat rsa2048.openssh)
printf '%s\n' "${line:0:200}" >reject-truncated4.pub  # base64 ok, blob short
printf '%s\n' "${line:0:203}" >reject-truncated.pub   # base64 cut mid-group
ssh-keygen -q -t dsa -N '' -C 'golden dsa' -f "$tmp/dsa"
cp "$tmp/dsa.pub" reject-dsa.pub
ssh-keygen -q -t ecdsa -b 256 -N '' -C 'golden ecdsa' -f "$tmp/ecdsa"
cp "$tmp/ecdsa.pub" reject-ecdsa.pub
ssh-keygen -q -t rsa -b 8192 -N '' -C 'golden rsa8192' -f "$tmp/rsa8192"
cp "$tmp/rsa8192.pub" reject-rsa8192.pub
# 768-bit RSA: ssh-keygen refuses to make or read one, so build the blob.
openssl genrsa -out "$tmp/rsa768.pem" 768 2>/dev/null
printf 'ssh-rsa' >"$tmp/name"
printf '\001\000\001' >"$tmp/e"
openssl rsa -in "$tmp/rsa768.pem" -noout -modulus | sed 's/^Modulus=/00/' |
	xxd -r -p >"$tmp/n"
{ sshstr "$tmp/name"; sshstr "$tmp/e"; sshstr "$tmp/n"; } >"$tmp/blob768"
printf 'ssh-rsa %s golden rsa768\n' "$(base64 -w0 "$tmp/blob768")" \
	>reject-rsa768.pub
# Two keys, one after the other.
cat rsa2048.pub ed25519.pub >reject-two-keys.pub
# Junk after the key inside the blob.
{ blob_of ed25519.pub; printf '\000\000\000\000'; } >"$tmp/long"
printf 'ssh-ed25519 %s\n' "$(base64 -w0 "$tmp/long")" >reject-blob-junk.pub
# Junk glued to the base64.
printf '%s!!\n' "$(cat ed25519.openssh)" >reject-base64-junk.pub
# A 31-byte Ed25519 key.
printf 'ssh-ed25519' >"$tmp/edname"
blob_of ed25519.pub | tail -c 32 | head -c 31 >"$tmp/short"
{ sshstr "$tmp/edname"; sshstr "$tmp/short"; } >"$tmp/blob31"
printf 'ssh-ed25519 %s\n' "$(base64 -w0 "$tmp/blob31")" \
	>reject-ed25519-short.pub
# Line type and blob type disagree.
printf 'ssh-rsa %s\n' "$(cut -d' ' -f2 ed25519.openssh)" \
	>reject-type-mismatch.pub
# authorized_keys options in front.
printf 'no-pty %s\n' "$(cat ed25519.openssh)" >reject-options.pub
# PEM armour around the DER (EC2 wants the bare base64).
ssh-keygen -e -m PKCS8 -f rsa2048.pub >reject-pem-armored.txt
# RFC 4716 and DER are RSA-only forms.
ssh-keygen -e -f ed25519.pub | sed '/^Comment/d' >reject-ed25519.rfc4716
openssl genpkey -algorithm ed25519 | openssl pkey -pubout |
	grep -v -- ----- >reject-ed25519.der.b64
# Text after the END line of an RFC 4716 block.
{ cat rsa2048.rfc4716; echo 'trailing junk'; } >reject-rfc4716-trailing.txt
# An RFC 4716 block without its END line.
sed '$d' rsa2048.rfc4716 >reject-rfc4716-unterminated.txt
