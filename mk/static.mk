# mk/static.mk, included by the Makefile: cJSON and SQLite compiled from
# Debian's source packages into build/ (make cjson, make sqlite; make deps
# runs both), and me, login and refresh linked fully statically with them.
#
# Debian 12 ships cJSON only as a shared library.  With build/cjson's,
# me, login and refresh are linked with -static-pie, glibc included: no
# dynamic loader at start, about a third less time per request
# (bench/NOTES.md), and they run when copied to another x86-64 Linux.
# register (libzxcvbn has no position-independent .a, so it is opened at
# run time; me opens it too, for PUT me/password) and authctl stay
# dynamic, as does everything under SANITIZE=1.
# Without build/ (make without make deps) all of them are linked as
# register is.

CJSON_A	= build/cjson/libcjson.a
SQLITE_A = build/sqlite/libsqlite3.a
ifneq ($(SANITIZE),1)
ifneq ($(wildcard $(SQLITE_A)),)
SQLITE_LIB = $(SQLITE_A)
$(PROGS) $(AUTHCTL) $(UNITS): $(SQLITE_A)
endif
# With DB=postgresql they link libpq.a too, with the two archives of
# postgresql-server-dev-15 it needs and common/pgstub.o (pgstub.c says
# why); without those archives they are dynamic like register.  A shared
# libpq and its 23 libraries cost a start about 7 ms; static, about 0.6.
PG_STATIC_A = $(shell pg_config --libdir 2>/dev/null)/libpq.a \
	   $(addprefix $(shell pg_config --pkglibdir 2>/dev/null)/, \
	   libpgcommon_shlib.a libpgport_shlib.a)
ifneq ($(wildcard $(CJSON_A)),)
ifneq ($(DB),postgresql)
STATIC_PROGS = cgi-bin/login cgi-bin/refresh cgi-bin/me cgi-bin/logout
else ifeq ($(words $(wildcard $(PG_STATIC_A))),3)
STATIC_PROGS = cgi-bin/login cgi-bin/refresh cgi-bin/me cgi-bin/logout
STATIC_PG = common/pgstub.o $(PG_STATIC_A) -lssl
$(STATIC_PROGS): common/pgstub.o
common/pgstub.o: $(FLAGS_STAMP)
endif
endif
endif

# common/nodl.o stands in for the dynamic loading they never do (the
# wrapped dl* calls; common/nodl.c says why).
STATIC_LDFLAGS = -static-pie -Wl,-z,relro,-z,now \
	   -Wl,--wrap=dlopen,--wrap=dlsym,--wrap=dlclose,--wrap=dlerror
STATIC_LDLIBS = $(STATIC_PG) $(STATIC_LIBS) $(CJSON_A) -lm

# me lets libzxcvbn through (PUT me/password judges passwords): its own
# nodl-zxcvbn.o, and glibc's static dlopen, of which the link warns.
NODL	= common/nodl.o
cgi-bin/me: NODL = common/nodl-zxcvbn.o
$(STATIC_PROGS): cgi-bin/%: cgi-bin/%.c common/libcommon.a common/nodl.o \
    common/nodl-zxcvbn.o $(CJSON_A) $(FLAGS_STAMP)
	$(CC) $(CFLAGS) $(STATIC_LDFLAGS) -o $@ $< $(NODL) \
	    common/libcommon.a $(STATIC_LDLIBS)

common/nodl.o: $(FLAGS_STAMP)
common/nodl-zxcvbn.o: common/nodl.c $(FLAGS_STAMP)
	$(CC) $(CFLAGS) -DNODL_ZXCVBN -c -o $@ common/nodl.c

# cJSON and SQLite built into build/ must be the versions Debian has
# installed: Debian's security fixes arrive as new versions of libcjson1
# and libsqlite3-dev, and a copy compiled in here would not get them.
# After such an update the build stops and says what to run.  (Order-only:
# checked before anything is linked, never a reason to relink.)
$(PROGS) $(AUTHCTL) $(UNITS): | built-versions
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

# $(call fetch,DIR,SOURCE,INSTALLED): Debian's source package SOURCE at the
# version of the installed package INSTALLED, unpacked with Debian's
# patches into build/DIR.new, the version noted in its VERSION.  Each
# build happens there and is renamed to build/DIR at the end, so a failed
# download leaves the previous build in place.  apt-get source needs the
# deb-src lines mk/deps.sh adds.
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

.PHONY: built-versions cjson sqlite
