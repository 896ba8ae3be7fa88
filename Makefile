# corners-auth: four CGI executables on one static library.  Plain make,
# one Debian target; every variable can be overridden on the command line.

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
# Static where Debian ships the archive: the executables start faster and can
# be copied to another machine.  libcjson has no .a in Debian 12, so it is
# shared here (me, login and refresh link the one make deps builds: see
# CJSON_A); libzxcvbn (whose .a is not position-independent) is opened by
# common/policy.c when register first needs it, so only register loads it.
# cJSON and SQLite compiled from Debian's sources by make deps (CJSON_A,
# SQLITE_A below), when they are there and the build is not sanitized.
CJSON_A	= build/cjson/libcjson.a
SQLITE_A = build/sqlite/libsqlite3.a
SQLITE_LIB = -lsqlite3
ifneq ($(SANITIZE),1)
ifneq ($(wildcard $(SQLITE_A)),)
SQLITE_LIB = $(SQLITE_A)
endif
ifneq ($(wildcard $(CJSON_A)),)
STATIC_PROGS = cgi-bin/login cgi-bin/refresh cgi-bin/me
endif
endif
SQLITE_DEP = $(filter %.a,$(SQLITE_LIB))
STATIC_LIBS = $(SQLITE_LIB) -lcrypto -lutf8proc -lidn2 -lunistring -lfcgi
LDLIBS	?= -Wl,-Bstatic $(STATIC_LIBS) -Wl,-Bdynamic -lcjson -lm -ldl -lpthread

# Debian 12 ships cJSON only as a shared library.  make deps (make cjson)
# builds a static one from Debian's own source package, the installed
# version with Debian's patches, into build/cjson.  With it, me, login and
# refresh are linked fully statically (-static-pie, glibc included): no
# dynamic loader at start, about a third less time per request
# (bench/NOTES.md), and they run when copied to another x86-64 Linux.
# common/nodl.o stands in for the dynamic loading they never do.
# register (libzxcvbn has no position-independent .a, so it is opened at
# run time) and authctl stay dynamic, as does everything under SANITIZE=1.
STATIC_LDFLAGS = -static-pie -Wl,-z,relro,-z,now \
	   -Wl,--wrap=dlopen,--wrap=dlsym,--wrap=dlclose,--wrap=dlerror
STATIC_LDLIBS = $(STATIC_LIBS) $(CJSON_A) -lm

COMMON	= common/auth.o common/cgi.o common/client.o common/conf.o \
	  common/crypto.o common/db.o common/jwt.o common/names.o \
	  common/policy.o common/pw.o common/rate.o common/serve.o \
	  common/slot.o common/text.o common/valid.o
PROGS	= cgi-bin/register cgi-bin/login cgi-bin/refresh cgi-bin/me
# The operator's tool: not a CGI program, installed into PREFIX/bin.
AUTHCTL	= authctl/authctl
AUTHCTL_OBJS = authctl/authctl.o authctl/user.o authctl/ops.o \
	  authctl/import.o
UNITS	= tests/unit/test-crypto tests/unit/test-jwt tests/unit/test-pw \
	  tests/unit/test-valid tests/unit/test-client tests/unit/test-policy \
	  tests/unit/test-conf
MIGRATIONS = db/001-schema.sql db/002-authctl.sql db/003-email-keys.sql

all: built-versions $(PROGS) $(AUTHCTL)

# cJSON and SQLite built into build/ must be the versions Debian has
# installed: Debian's security fixes arrive as new versions of libcjson1
# and libsqlite3-dev, and a copy compiled in here would not get them.
# After such an update the build stops and says what to run.
built-versions:
	@for p in cjson:libcjson1 sqlite:libsqlite3-dev; do \
		d=$${p%%:*}; pkg=$${p#*:}; \
		[ -f build/$$d/VERSION ] || continue; \
		have=$$(cat build/$$d/VERSION); \
		want=$$(dpkg-query -W -f='$${source:Version}' $$pkg 2>/dev/null); \
		[ "$$have" = "$$want" ] || { echo "build/$$d is $$d $$have," \
		    "but $$pkg $$want is installed (a Debian update):" \
		    "run make $$d, then make install" >&2; exit 1; }; \
	done

# Rebuild everything when the compiler or flags change (plain <-> sanitized).
FLAGS_STAMP = common/.flags
BUILD_FLAGS = $(CC) $(CFLAGS) $(LDFLAGS) $(LDLIBS) static:$(STATIC_PROGS)
$(shell echo '$(BUILD_FLAGS)' | cmp -s - $(FLAGS_STAMP) || \
    echo '$(BUILD_FLAGS)' > $(FLAGS_STAMP))

common/libcommon.a: $(COMMON)
	$(AR) rcs $@ $(COMMON)

$(COMMON): common/*.h $(FLAGS_STAMP)

# The migrations are compiled in, so an executable needs no file beside it.
common/schema.inc: $(MIGRATIONS)
	for f in $(MIGRATIONS); do \
		sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $$f; \
		printf ',\n'; \
	done > $@

common/db.o: common/schema.inc

cgi-bin/%: cgi-bin/%.c common/libcommon.a $(SQLITE_DEP) $(FLAGS_STAMP)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< common/libcommon.a $(LDLIBS)

$(STATIC_PROGS): cgi-bin/%: cgi-bin/%.c common/libcommon.a common/nodl.o \
    $(CJSON_A) $(SQLITE_DEP) $(FLAGS_STAMP)
	$(CC) $(CFLAGS) $(STATIC_LDFLAGS) -o $@ $< common/nodl.o \
	    common/libcommon.a $(STATIC_LDLIBS)

common/nodl.o: $(FLAGS_STAMP)

$(AUTHCTL_OBJS): authctl/authctl.h common/*.h $(FLAGS_STAMP)
$(AUTHCTL): $(AUTHCTL_OBJS) common/libcommon.a $(SQLITE_DEP)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(AUTHCTL_OBJS) common/libcommon.a \
	    $(LDLIBS)

tests/unit/test-%: tests/unit/test-%.c tests/unit/unit.h common/libcommon.a \
    $(SQLITE_DEP)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< common/libcommon.a $(LDLIBS)

# SERVER=busybox (default), lighttpd or apache; tests/run.sh is the whole
# HTTP suite, run against that server from the shipped example config.
SERVER ?= busybox
test: all $(UNITS)
	sh tests/unit/run.sh $(UNITS)
	SERVER=$(SERVER) bash tests/run.sh

# Serve the API in the foreground at http://127.0.0.1:$(PORT)/api/v1/auth/
# under lighttpd, configured from lighttpd.conf.example; every AUTH_*
# variable in the environment reaches the endpoints.  Ctrl-C stops it.
PORT ?= 8080
run: all
	@mkdir -p .run
	@echo "corners-auth: http://127.0.0.1:$(PORT)/api/v1/auth/{register,login,refresh,me} (Ctrl-C stops)"
	@exec bash tests/serve.sh lighttpd "$(PORT)" "$(CURDIR)/.run"

# make install PREFIX=/usr/local/corners-auth [DESTDIR=...] [DB_OWNER=www-data]
# The executables are rebuilt to find their database at PREFIX/db/auth.db;
# that directory is made writable by the web server's user only.  authctl
# goes into PREFIX/bin and its manual into PREFIX/share/man/man1.
DB_OWNER ?= www-data
install:
	$(MAKE) AUTH_DB_DEFAULT=$(PREFIX)/db/auth.db all
	install -d -m 0755 $(DESTDIR)$(PREFIX)/cgi-bin $(DESTDIR)$(PREFIX)/bin \
	    $(DESTDIR)$(PREFIX)/share/man/man1
	install -s -m 0755 $(PROGS) $(DESTDIR)$(PREFIX)/cgi-bin/
	install -s -m 0755 $(AUTHCTL) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 authctl/authctl.1 $(DESTDIR)$(PREFIX)/share/man/man1/
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

# The whole suite under AddressSanitizer + UBSan; any report fails it.
asan:
	$(MAKE) SANITIZE=1 test

# Mutation testing (not part of make test, about 3 minutes): tests/mutate.sh
# puts each of its realistic bugs into a copy of the tree, one at a time,
# and runs the tests named for it, which must all fail (tests/README.md).
# SERVER=... picks the web server; make mutate MUTANTS="NAME ..." runs some.
mutate:
	SERVER=$(SERVER) bash tests/mutate.sh $(MUTANTS)

# The benchmark (not part of make test): bench/run.sh, a few minutes; the
# table goes to bench/results.md and the chart to bench/latency.png.
# BENCH_SECONDS=N sets the length of each wrk run (default 3), BENCH_ROUNDS
# the interleaved rounds of hello, me and refresh (default 5).
bench: all
	bash bench/run.sh

# --- Fuzzing: clang's libFuzzer with ASan + UBSan (tests/fuzz/) -------------
# make fuzz [FUZZ_TIME=60]: build the harnesses, run fuzz-regress, then each
# harness for FUZZ_TIME seconds (new inputs go to the scratch corpus in
# tests/fuzz/build/corpus/, not into the committed seeds); any crash, leak,
# timeout or broken invariant fails it.  make fuzz-regress alone runs each
# harness once over its seeds (tests/fuzz/corpus/NAME/) and its crash
# reproducers (tests/fuzz/regress/NAME/).  The library is compiled again
# with coverage and sanitizers into tests/fuzz/build/, apart from the
# normal objects, and the libraries are linked shared.
FUZZ_CC		= clang
FUZZ_TIME	?= 60
FUZZ_DIR	= tests/fuzz
FUZZ_BUILD	= $(FUZZ_DIR)/build
FUZZERS		= request jwt authorization client names pwhash import
FUZZ_SAN	= -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS	= -g -O1 -fno-omit-frame-pointer -std=c11 -Wall -Wextra \
		  -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
		  -Wpointer-arith -D_DEFAULT_SOURCE -Icommon \
		  -I/usr/include/cjson \
		  -DAUTH_DB_DEFAULT='"/nonexistent/corners-auth-fuzz.db"'
FUZZ_LDLIBS	= -lsqlite3 -lcrypto -lutf8proc -lidn2 -lunistring -lfcgi \
		  -lzxcvbn -lcjson -lm
FUZZ_OBJS	= $(COMMON:common/%.o=$(FUZZ_BUILD)/%.o) \
		  $(FUZZ_BUILD)/fuzz-io.o
FUZZ_BINS	= $(FUZZERS:%=$(FUZZ_BUILD)/fuzz-%)
# authctl's objects, for fuzz-import; its main renamed out of libFuzzer's way.
FUZZ_CTL_OBJS	= $(AUTHCTL_OBJS:authctl/%.o=$(FUZZ_BUILD)/ctl-%.o)

$(FUZZ_BUILD)/%.o: common/%.c common/*.h common/schema.inc
	@mkdir -p $(FUZZ_BUILD)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) \
	    -c -o $@ $<

$(FUZZ_BUILD)/fuzz-io.o: $(FUZZ_DIR)/fuzz-io.c $(FUZZ_DIR)/fuzz.h common/*.h
	@mkdir -p $(FUZZ_BUILD)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) \
	    -c -o $@ $(FUZZ_DIR)/fuzz-io.c

$(FUZZ_BUILD)/ctl-%.o: authctl/%.c authctl/authctl.h common/*.h
	@mkdir -p $(FUZZ_BUILD)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Iauthctl -Dmain=authctl_main \
	    -Wno-missing-prototypes -fsanitize=fuzzer-no-link $(FUZZ_SAN) \
	    -c -o $@ $<

$(FUZZ_BUILD)/fuzz-import: $(FUZZ_DIR)/fuzz-import.c $(FUZZ_DIR)/fuzz.h \
    $(FUZZ_OBJS) $(FUZZ_CTL_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Iauthctl -fsanitize=fuzzer $(FUZZ_SAN) \
	    -o $@ $< $(FUZZ_OBJS) $(FUZZ_CTL_OBJS) $(FUZZ_LDLIBS)

# Named here, the objects are no intermediate files for make to delete.
$(FUZZ_BINS): $(FUZZ_OBJS)
$(FUZZ_BUILD)/fuzz-%: $(FUZZ_DIR)/fuzz-%.c $(FUZZ_DIR)/fuzz.h $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< \
	    $(FUZZ_OBJS) $(FUZZ_LDLIBS)

fuzz: fuzz-regress
	sh $(FUZZ_DIR)/run.sh fuzz $(FUZZ_TIME) $(FUZZERS)

fuzz-regress: $(FUZZ_BINS)
	sh $(FUZZ_DIR)/run.sh regress 0 $(FUZZERS)

fuzz-clean:
	rm -rf $(FUZZ_BUILD)

.PHONY: fuzz fuzz-regress fuzz-clean

# Debian's packages, and cJSON and SQLite from Debian's sources (make cjson
# sqlite).  apt-get source needs deb-src lines: they are added beside the
# system's deb lines for Debian's own servers (other repositories may have
# no sources), in a file of their own (corners-auth-src.*).
APT_SRC	= /etc/apt/sources.list.d/corners-auth-src
deps:
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then \
		sed 's/^Types: deb$$/Types: deb-src/' \
		    /etc/apt/sources.list.d/debian.sources >$(APT_SRC).sources; \
	fi
	if [ -f /etc/apt/sources.list ]; then \
		sed -n '/debian\.org/s/^deb /deb-src /p' /etc/apt/sources.list \
		    >$(APT_SRC).list; \
	fi
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	    make gcc clang libc6-dev pkg-config dpkg-dev tcl \
	    libsqlite3-dev libssl-dev libcjson-dev libzxcvbn-dev \
	    libutf8proc-dev libidn2-dev libunistring-dev libfcgi-dev \
	    busybox curl jq sqlite3 openssl ca-certificates \
	    lighttpd apache2 libclang-rt-14-dev wrk gnuplot-nox mandoc
	$(MAKE) cjson sqlite

# $(call fetch,DIR,SOURCE,INSTALLED): Debian's source package SOURCE at the
# version of the installed package INSTALLED, unpacked with Debian's
# patches into build/DIR.new, the version noted in its VERSION.  Each
# build happens there and is renamed to build/DIR at the end, so a failed
# download leaves the previous build in place.
fetch = rm -rf build/$(1).new && mkdir -p build/$(1).new && \
	v=$$(dpkg-query -W -f='$${source:Version}' $(3)) && \
	cd build/$(1).new && apt-get source -qq --only-source $(2)=$$v && \
	echo "$$v" >VERSION
# Third-party code, compiled with our hardening but not our warnings.
THIRD_CFLAGS = -O2 -fPIE -fstack-protector-strong -D_FORTIFY_SOURCE=2

# CJSON_A from the installed libcjson1's source (so the headers in
# /usr/include/cjson are its own).
cjson:
	$(call fetch,cjson,cjson,libcjson1)
	$(CC) $(THIRD_CFLAGS) -c -o build/cjson.new/cJSON.o \
	    build/cjson.new/cjson-*/cJSON.c
	$(AR) rcs build/cjson.new/libcjson.a build/cjson.new/cJSON.o
	rm -rf build/cjson && mv build/cjson.new build/cjson

# SQLITE_A from Debian's source package of the installed libsqlite3-dev
# (the same 3.40.1, Debian's patches; its amalgamation is generated with
# tclsh), compiled for what these programs are: one thread, no extensions
# (Debian's build registers FTS3/4/5, R-tree and more on every open), no
# lookaside, no deprecated API.
# That takes about a third off SQLite's time in a CGI request
# (bench/NOTES.md).  Kept from Debian's options: SECURE_DELETE (deleted
# rows are zeroed on disk), LIKE_DOESNT_MATCH_BLOBS, TEMP_STORE=1.  Left
# out, as our SQL uses none of them: JSON and math functions, UPDATE and
# DELETE ... LIMIT, URI file names, double-quoted strings (DQS=0: double
# quotes are names).  make SANITIZE=1 links Debian's library, which
# accepts all of these, so SQL that uses one passes there and fails here.
# What the system has (usleep, pread, fdatasync...) comes from configure's
# sqlite_cfg.h: without HAVE_USLEEP SQLite would sleep in whole seconds.
SQLITE_OPTS = -DSQLITE_THREADSAFE=0 -DSQLITE_DEFAULT_MEMSTATUS=0 \
	   -DSQLITE_OMIT_DEPRECATED -DSQLITE_OMIT_SHARED_CACHE \
	   -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_PROGRESS_CALLBACK \
	   -DSQLITE_OMIT_JSON -DSQLITE_DEFAULT_WAL_SYNCHRONOUS=1 -DSQLITE_DQS=0 \
	   -DSQLITE_SECURE_DELETE -DSQLITE_LIKE_DOESNT_MATCH_BLOBS \
	   -DSQLITE_TEMP_STORE=1 -DSQLITE_HAVE_ISNAN -DSQLITE_OMIT_LOOKASIDE
sqlite:
	$(call fetch,sqlite,sqlite3,libsqlite3-dev)
	mkdir build/sqlite.new/bld
	cd build/sqlite.new/bld && ../sqlite3-*/configure --disable-tcl \
	    >configure.log && $(MAKE) sqlite3.c >make.log
	$(call sqlite_compile,build/sqlite.new)
	rm -rf build/sqlite && mv build/sqlite.new build/sqlite

# $(call sqlite_compile,DIR): DIR/libsqlite3.a from DIR/bld/sqlite3.c, the
# options it is compiled with noted first in DIR/OPTS.
SQLITE_BUILT_WITH = $(THIRD_CFLAGS) $(SQLITE_OPTS)
sqlite_compile = echo '$(SQLITE_BUILT_WITH)' >$(1)/OPTS && \
	$(CC) $(SQLITE_BUILT_WITH) -D_HAVE_SQLITE_CONFIG_H -I$(1)/bld \
	    -c -o $(1)/sqlite3.o $(1)/bld/sqlite3.c && \
	$(AR) rcs $(1)/libsqlite3.a $(1)/sqlite3.o

# Changed options (not the compiler: any compiles the same SQL engine)
# recompile build/sqlite from the amalgamation it keeps, with no download.
ifneq ($(wildcard build/sqlite/bld/sqlite3.c),)
$(shell echo '$(SQLITE_BUILT_WITH)' | cmp -s - build/sqlite/OPTS || \
    echo '$(SQLITE_BUILT_WITH)' >build/sqlite/OPTS)
$(SQLITE_A): build/sqlite/OPTS
	$(call sqlite_compile,build/sqlite)
endif

clean-objs:
	rm -f $(COMMON) common/nodl.o common/libcommon.a $(PROGS) $(UNITS) \
	    $(AUTHCTL) $(AUTHCTL_OBJS)

clean: clean-objs
	rm -f common/schema.inc $(FLAGS_STAMP)
	rm -rf .run

# Also what make cjson sqlite built (make deps builds it again).
distclean: clean
	rm -rf build

.PHONY: all built-versions test asan bench run install deps cjson sqlite \
	clean distclean clean-objs mutate
