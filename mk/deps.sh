#!/bin/sh
# mk/deps.sh (make deps, as root): the Debian 12 packages corners-auth
# needs to build, test, fuzz and benchmark (nginx, fcgiwrap and spawn-fcgi:
# make test SERVER=nginx and nginx-cgi; debhelper and lintian: make deb;
# systemd-container: tests/systemd-units.sh boots systemd with its nspawn;
# python3-jsonschema: the tests
# check every answer against openapi.json with it; libpq-dev builds
# make DB=postgresql, postgresql-server-dev-15 the two archives its
# static link needs (mk/static.mk); postgresql-15, postgresql-client and pgbouncer are
# what make test DB=postgresql starts privately, tests/pg.sh: the
# distribution's own cluster and pgbouncer service are never used); the
# Makefile then builds cJSON and SQLite from Debian's sources (make cjson
# sqlite, mk/static.mk).
#
# apt-get source needs deb-src lines: they are added beside the system's
# deb lines for Debian's own servers (other repositories may have no
# sources), in a file of their own, APT_SRC.sources or APT_SRC.list.
set -eu

APT_SRC=${APT_SRC:-/etc/apt/sources.list.d/corners-auth-src}

if [ -f /etc/apt/sources.list.d/debian.sources ]; then
	sed 's/^Types: deb$/Types: deb-src/' \
	    /etc/apt/sources.list.d/debian.sources >"$APT_SRC.sources"
fi
if [ -f /etc/apt/sources.list ]; then
	sed -n '/debian\.org/s/^deb /deb-src /p' /etc/apt/sources.list \
	    >"$APT_SRC.list"
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    make gcc clang libc6-dev pkg-config dpkg-dev tcl \
    libsqlite3-dev libssl-dev libcjson-dev libzxcvbn-dev \
    libutf8proc-dev libidn2-dev libunistring-dev libfcgi-dev \
    busybox curl jq sqlite3 openssl ca-certificates \
    lighttpd apache2 nginx fcgiwrap spawn-fcgi debhelper lintian \
    systemd-container \
    libclang-rt-14-dev wrk gnuplot-nox mandoc \
    python3-jsonschema \
    libpq-dev postgresql-server-dev-15 postgresql-15 postgresql-client \
    pgbouncer
