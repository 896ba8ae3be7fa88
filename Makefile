# corners-auth: four CGI executables and authctl on one static library.
# Plain make, one Debian target; every variable can be overridden on the
# command line (make CC=clang, make install PREFIX=...).
#
# Which file holds what:
#   Makefile             flags, objects, the programs, unit tests, test,
#                        asan, run, install, bench, mutate, clean
#   mk/static.mk         cJSON and SQLite built from Debian's sources into
#                        build/ (make cjson sqlite), the check that they are
#                        the installed versions, the static-pie me, login
#                        and refresh linked with them (included below)
#   mk/deps.sh           make deps: Debian's packages (then make cjson sqlite)
#   tests/fuzz/Makefile  the libFuzzer harnesses (make fuzz, fuzz-regress)

PREFIX	?= /usr/local/corners-auth
# Where the executables look for the database when AUTH_DB is unset: db/
# beside them (the source tree when run from it; PREFIX/db once installed).
AUTH_DB_DEFAULT ?= $(CURDIR)/db/auth.db

CC	?= cc
CFLAGS	?= -O2 -g
# make SANITIZE=1 ...: the same build under AddressSanitizer and UBSan.
ifeq ($(SANITIZE),1)
CFLAGS	= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	  -fno-sanitize-recover=all
LDFLAGS	+= -fsanitize=address,undefined
endif
CFLAGS	+= -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wpointer-arith -Wformat=2 \
	   -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE \
	   -D_DEFAULT_SOURCE -Icommon -I/usr/include/cjson \
	   -DAUTH_DB_DEFAULT='"$(AUTH_DB_DEFAULT)"'
LDFLAGS	+= -pie -Wl,-z,relro,-z,now
# Static where Debian ships the archive: the executables start faster and
# can be copied to another machine.  libcjson has no .a in Debian 12, so it
# is shared here; libzxcvbn (whose .a is not position-independent) is
# opened by common/policy.c when register first needs it.  mk/static.mk
# sets SQLITE_LIB to the SQLite make deps builds, once it is there.
SQLITE_LIB = -lsqlite3
STATIC_LIBS = $(SQLITE_LIB) -lcrypto -lutf8proc -lidn2 -lunistring -lfcgi
LDLIBS	?= -Wl,-Bstatic $(STATIC_LIBS) -Wl,-Bdynamic -lcjson -lm -ldl -lpthread

# The library's modules: a new common/NAME.c is one more word here (the
# fuzz build is given the same list).
COMMON	= common/account.o common/app.o common/auth.o common/cgi.o \
	  common/client.o common/clock.o \
	  common/conf.o common/crypto.o common/db.o common/json.o \
	  common/jwt.o common/key.o common/names.o common/num.o \
	  common/policy.o common/pw.o common/rate.o common/serve.o \
	  common/session.o common/slot.o common/text.o common/valid.o
PROGS	= cgi-bin/register cgi-bin/login cgi-bin/refresh cgi-bin/me \
	  cgi-bin/logout
# The operator's tool: not a CGI program, installed into PREFIX/bin.
AUTHCTL	= authctl/authctl
AUTHCTL_OBJS = authctl/authctl.o authctl/user.o authctl/ops.o \
	  authctl/import.o
UNITS	= tests/unit/test-crypto tests/unit/test-db tests/unit/test-jwt \
	  tests/unit/test-pw tests/unit/test-valid tests/unit/test-client \
	  tests/unit/test-policy tests/unit/test-conf tests/unit/test-app
MIGRATIONS = db/001-schema.sql db/002-authctl.sql db/003-email-keys.sql \
	  db/004-tokens.sql db/005-throttle-audit.sql
# PostgreSQL's own migrations, numbered apart from SQLite's.
PG_MIGRATIONS = db/pg/001-schema.sql
FLAGS_STAMP = common/.flags

# make DB=postgresql: the same executables with PostgreSQL beside SQLite
# (common/db-pg.c; AUTH_DB chooses).  Without it nothing of libpq is
# compiled or linked: its relocations alone slow every SQLite start.
# PG_LDLIBS is libpq shared for now; a static link replaces that line.
ifeq ($(DB),postgresql)
PG_CFLAGS = -DWITH_PG -I/usr/include/postgresql
PG_LDLIBS = -lpq
CFLAGS	+= $(PG_CFLAGS)
LDLIBS	+= $(PG_LDLIBS)
COMMON	+= common/db-pg.o
PG_INC	= common/schema-pg.inc
endif

all: $(PROGS) $(AUTHCTL)

# After the lists above (it adds to their rules), before the stamp below
# (it changes how me, login and refresh are linked).
include mk/static.mk

# Rebuild everything when the compiler or flags change (plain <-> sanitized,
# static or not, SQLite only or with PostgreSQL).  The library is begun
# afresh then, so that no object of the other build (common/db-pg.o) stays
# in it.
BUILD_FLAGS = $(CC) $(CFLAGS) $(LDFLAGS) $(LDLIBS) static:$(STATIC_PROGS)
$(shell echo '$(BUILD_FLAGS)' | cmp -s - $(FLAGS_STAMP) || \
    { echo '$(BUILD_FLAGS)' > $(FLAGS_STAMP); rm -f common/libcommon.a; })

common/libcommon.a: $(COMMON)
	$(AR) rcs $@ $(COMMON)

# Coarse, but never wrong.
$(COMMON): common/*.h $(FLAGS_STAMP)

# The migrations are compiled in, so an executable needs no file beside it.
common/schema.inc: $(MIGRATIONS)
common/schema-pg.inc: $(PG_MIGRATIONS)
common/schema.inc common/schema-pg.inc:
	for f in $^; do \
		sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $$f; \
		printf ',\n'; \
	done > $@

common/db.o: common/schema.inc
common/db-pg.o: common/schema-pg.inc

cgi-bin/%: cgi-bin/%.c common/libcommon.a $(FLAGS_STAMP)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< common/libcommon.a $(LDLIBS)

$(AUTHCTL_OBJS): authctl/authctl.h common/*.h $(FLAGS_STAMP)
$(AUTHCTL): $(AUTHCTL_OBJS) common/libcommon.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(AUTHCTL_OBJS) common/libcommon.a \
	    $(LDLIBS)

tests/unit/test-%: tests/unit/test-%.c tests/unit/unit.h common/libcommon.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< common/libcommon.a $(LDLIBS)
tests/unit/test-db: tests/unit/test-db-pg.h

# SERVER=busybox (default), lighttpd, apache, lighttpd-fastcgi, nginx
# (FastCGI under spawn-fcgi) or nginx-cgi (fcgiwrap);
# tests/run.sh is the whole HTTP suite, run against that server from the
# shipped example config.  DB=postgresql (the build option: the same
# executables with PostgreSQL) runs it against a private PostgreSQL and
# pgbouncer that tests/run.sh starts and removes (tests/pg.sh).
SERVER ?= busybox
# Under DB=postgresql the unit tests get a private cluster of their own
# (tests/pg.sh), so that test-db runs its cases on PostgreSQL too
# (CORNERS_AUTH_TEST_PG: the direct URI, as it cuts its own connection;
# CORNERS_AUTH_TEST_PG_VIA: through pgbouncer).
ifeq ($(DB),postgresql)
UNIT_RUN = bash tests/pg.sh shell sh -c \
	'CORNERS_AUTH_TEST_PG=$$PG_URI_DIRECT CORNERS_AUTH_TEST_PG_VIA=$$PG_URI \
	exec sh tests/unit/run.sh "$$@"' sh
else
UNIT_RUN = sh tests/unit/run.sh
endif
test: all $(UNITS)
	$(UNIT_RUN) $(UNITS)
	SERVER=$(SERVER) DB=$(DB) bash tests/run.sh

# The whole suite under AddressSanitizer + UBSan; any report fails it.
asan:
	$(MAKE) SANITIZE=1 DB=$(DB) test

# Serve the API in the foreground at http://127.0.0.1:$(PORT)/api/v1/auth/
# under lighttpd, configured from lighttpd.conf.example; every AUTH_*
# variable in the environment reaches the endpoints.  Ctrl-C stops it.
PORT ?= 8080
run: all
	@mkdir -p .run
	@echo "corners-auth: http://127.0.0.1:$(PORT)/api/v1/auth/{register,login,refresh,me,logout}," \
	    "the OpenAPI document at http://127.0.0.1:$(PORT)/api/v1/openapi.json (Ctrl-C stops)"
	@exec bash tests/serve.sh lighttpd "$(PORT)" "$(CURDIR)/.run"

# make install PREFIX=/usr/local/corners-auth [DESTDIR=...] [DB_OWNER=www-data]
# The executables are rebuilt to find their database at PREFIX/db/auth.db;
# that directory is made writable by the web server's user only.  authctl
# goes into PREFIX/bin, the manuals into PREFIX/share/man, the OpenAPI
# document into PREFIX/share/corners-auth (the example configurations
# serve it from there at /api/v1/openapi.json), with pgbouncer.ini.example
# (several web hosts on PostgreSQL, corners-auth(8)).
DB_OWNER ?= www-data
install:
	$(MAKE) AUTH_DB_DEFAULT=$(PREFIX)/db/auth.db all
	install -d -m 0755 $(DESTDIR)$(PREFIX)/cgi-bin $(DESTDIR)$(PREFIX)/bin \
	    $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8 \
	    $(DESTDIR)$(PREFIX)/share/corners-auth
	install -s -m 0755 $(PROGS) $(DESTDIR)$(PREFIX)/cgi-bin/
	install -s -m 0755 $(AUTHCTL) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 authctl/authctl.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 corners-auth.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 openapi.json pgbouncer.ini.example \
	    $(DESTDIR)$(PREFIX)/share/corners-auth/
	install -d -m 0700 $(DESTDIR)$(PREFIX)/db
	install -m 0644 $(MIGRATIONS) $(DESTDIR)$(PREFIX)/db/
	if [ "$$(id -u)" = 0 ]; then \
		id "$(DB_OWNER)" >/dev/null 2>&1 || { echo "install: no user" \
		    "$(DB_OWNER) to own $(PREFIX)/db (install the web server" \
		    "first, or set DB_OWNER=...)" >&2; exit 1; }; \
		chown "$(DB_OWNER):" "$(DESTDIR)$(PREFIX)/db"; \
	else \
		echo "install: not root: give $(PREFIX)/db to the web server's" \
		    "user (chown $(DB_OWNER) ...)" >&2; \
	fi

# The benchmark (not part of make test): bench/run.sh, a few minutes; the
# table goes to bench/results.md and the chart to bench/latency.png.
# BENCH_SECONDS=N sets the length of each wrk run (default 3), BENCH_ROUNDS
# the interleaved rounds of hello, me and refresh (default 5).
bench: all
	bash bench/run.sh

# PostgreSQL against SQLite in one run, the same executables built with
# DB=postgresql (bench/pg.sh; a private cluster and pgbouncer).
bench-pg:
	bash bench/pg.sh

# make bench-compare OLD=DIR [NEW=DIR]: me, refresh and login of this tree
# (or NEW) against another checkout's, in one run (bench/compare.sh).
bench-compare: all
	@[ -n "$(OLD)" ] || { echo "make bench-compare OLD=DIR (a checkout)" >&2; exit 2; }
	bash bench/compare.sh "$(OLD)" $(NEW)

# Mutation testing (not part of make test, about 3 minutes): tests/mutate.sh
# puts each of its realistic bugs into a copy of the tree, one at a time,
# and runs the tests named for it, which must all fail (tests/README.md).
# SERVER=... picks the web server; make mutate MUTANTS="NAME ..." runs some.
mutate:
	SERVER=$(SERVER) bash tests/mutate.sh $(MUTANTS)

# libFuzzer (tests/fuzz/Makefile, which says what each target does), given
# the object lists above.  make fuzz FUZZ_TIME=N: N seconds per harness.
FUZZ_TIME ?= 60
fuzz fuzz-regress: common/schema.inc $(PG_INC)
	$(MAKE) -C tests/fuzz $@ FUZZ_TIME=$(FUZZ_TIME) \
	    COMMON='$(COMMON)' AUTHCTL_OBJS='$(AUTHCTL_OBJS)'
fuzz-clean:
	$(MAKE) -C tests/fuzz $@

# make deb: corners-auth_VERSION_ARCH.deb here, built by debhelper
# (debian/) from a copy of the tree in .deb/ (the files git knows, as they
# are now), so that this tree's build is left alone; then lintian, which
# must find no error.  The package links Debian's shared libraries and
# finds its database in /var/lib/corners-auth (corners-auth(8), "The
# Debian package").
deb:
	rm -rf .deb
	mkdir -p .deb/corners-auth
	git ls-files -co --exclude-standard | while read -r f; do \
		[ -f "$$f" ] && printf '%s\n' "$$f"; done | \
	    tar -cf - -T - | tar -xf - -C .deb/corners-auth
	cd .deb/corners-auth && dpkg-buildpackage -b -us -uc
	rm -f corners-auth_*.deb
	mv .deb/corners-auth_*.deb .
	lintian --fail-on error corners-auth_*.deb

# Debian's packages (mk/deps.sh), then cJSON and SQLite from Debian's
# sources (mk/static.mk).
deps:
	sh mk/deps.sh
	$(MAKE) cjson sqlite

# clean-objs is what tests/mutate.sh runs in its copy of the tree.
# common/*.o: nodl.o too, and the objects of modules since renamed.
clean-objs:
	rm -f common/*.o authctl/*.o common/libcommon.a $(PROGS) $(UNITS) \
	    $(AUTHCTL)

clean: clean-objs
	rm -f common/schema.inc common/schema-pg.inc $(FLAGS_STAMP)
	rm -rf .run .deb
	rm -f corners-auth_*.deb

# Also what make cjson sqlite built (make deps builds it again).
distclean: clean
	rm -rf build

.PHONY: all test asan run install deb bench bench-pg bench-compare mutate fuzz fuzz-regress fuzz-clean \
	deps clean-objs clean distclean
