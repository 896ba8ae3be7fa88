#!/usr/bin/env bash
# tests/serve.sh SERVER PORT DIR [no-pass-auth | one-process]
#
# Serve the executables of $BIN (default: cgi-bin/ beside this directory)
# on 127.0.0.1:PORT in the foreground, with a configuration generated in
# DIR from the shipped example, so the examples are what runs:
#   lighttpd  from lighttpd.conf.example, at /api/v1/auth/NAME
#   lighttpd-fastcgi  from lighttpd-fastcgi.conf.example: the same
#             executables as FastCGI processes, at /api/v1/auth/NAME
#   apache    the part to copy of httpd.conf.example, in a server part
#             of its own, at /api/v1/auth/NAME
#   apache-deb  the Debian package's Apache configuration as a2enconf
#             enabled it (/etc/apache2/conf-enabled/corners-auth.conf), in
#             the same server part, at /api/v1/auth/NAME: the installed
#             executables, whatever BIN says
#   nginx     from nginx.conf.example: the same executables as FastCGI
#             processes started by spawn-fcgi, at /api/v1/auth/NAME
#   nginx-cgi from nginx.conf.example's CGI lines: each request run by
#             fcgiwrap, at /api/v1/auth/NAME
#   busybox   busybox httpd -f,           at /cgi-bin/NAME (it cannot alias)
# and each the OpenAPI document at /api/v1/openapi.json.
# Every AUTH_* variable in the environment reaches the endpoints (lighttpd
# and Apache pass theirs on only through setenv.add-environment/PassEnv).  The server runs as
# the invoking user; its log (with the executables' stderr) goes to
# standard error.  "no-pass-auth" turns
# Apache's CGIPassAuth off, as a server that strips Authorization would;
# "one-process" runs one FastCGI process per endpoint instead of the
# example's two or four.  Under nginx the processes serve.sh starts
# (spawn-fcgi's, fcgiwrap) are stopped with it, whatever stops it but
# SIGKILL.
# `make run` and tests/lib.sh both use this.
set -eu

server=$1 port=$2 dir=$3 variant=${4:-}
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$top/cgi-bin}

# PREFIX/cgi-bin holds the four executables and nothing else: copies, as
# Apache with "Options None" follows no symbolic link (nor should it).
mkdir -p "$dir/prefix/cgi-bin" "$dir/www"
for p in register login refresh me logout; do
	[ -x "$bin/$p" ] || { echo "serve.sh: $bin/$p: not built (make)" >&2; exit 1; }
	cp -f "$bin/$p" "$dir/prefix/cgi-bin/$p.new"
	mv -f "$dir/prefix/cgi-bin/$p.new" "$dir/prefix/cgi-bin/$p"
done
# The OpenAPI document where make install puts it, which the examples
# serve at /api/v1/openapi.json.
mkdir -p "$dir/prefix/share/corners-auth"
cp -f "$top/openapi.json" "$dir/prefix/share/corners-auth/openapi.json"

# The names of the AUTH_* variables in the environment.
auth_vars() {
	local name
	for name in $(compgen -e | grep '^AUTH_' | sort); do
		printf '%s\n' "$name"
	done
}

# lighttpd_conf EXAMPLE [SED-ARG...]: EXAMPLE with only the lines marked
# "(generated)" changed: this port and directory, no user switch, no log
# file (errors to standard error); the SED-ARGs change anything else.
lighttpd_conf() {
	local example=$1
	shift
	sed -e "s|^var.corners_auth = .*|var.corners_auth = \"$dir/prefix\"|" \
	    -e "s|^server.port = .*|server.port = $port|" \
	    -e "s|^server.bind = .*|server.bind = \"127.0.0.1\"|" \
	    -e "s|^server.document-root = .*|server.document-root = \"$dir/www\"|" \
	    -e "s|^server.pid-file = .*|server.pid-file = \"$dir/lighttpd.pid\"|" \
	    -e "s|^server.errorlog = |#&|" \
	    -e "s|^server.username = |#&|" \
	    -e "s|^server.groupname = |#&|" \
	    "$@" "$top/$example"
}

case "$server" in
busybox)
	# It serves the files under -h as they lie (it cannot alias), with the
	# types of -c's file (.json has none by default).
	mkdir -p "$dir/prefix/api/v1"
	cp -f "$top/openapi.json" "$dir/prefix/api/v1/openapi.json"
	echo '.json:application/json' >"$dir/busybox-httpd.conf"
	exec busybox httpd -f -p "127.0.0.1:$port" -h "$dir/prefix" \
	    -c "$dir/busybox-httpd.conf"
	;;
lighttpd)
	conf=$dir/lighttpd.conf
	lighttpd_conf lighttpd.conf.example >"$conf"
	# env.NAME: lighttpd reads the value from its own environment, so
	# no value is ever quoted into the configuration.
	{
		echo "setenv.add-environment = ("
		for name in $(auth_vars); do
			echo "	\"$name\" => env.$name,"
		done
		echo ")"
	} >>"$conf"
	exec lighttpd -D -f "$conf"
	;;
lighttpd-fastcgi)
	# The processes lighttpd starts inherit its environment, AUTH_* too,
	# so no setting is written into the configuration.
	conf=$dir/lighttpd-fastcgi.conf
	one=()
	[ "$variant" = one-process ] &&
	    one=(-e 's|"max-procs" => [0-9]*,|"max-procs" => 1,|')
	lighttpd_conf lighttpd-fastcgi.conf.example \
	    -e "s|^var.corners_auth_run = .*|var.corners_auth_run = \"$dir\"|" \
	    "${one[@]}" >"$conf"
	exec lighttpd -D -f "$conf"
	;;
apache|apache-deb)
	# The server part is written here, with nothing in it the API needs
	# (as a stock Apache has nothing of it), and the part between the
	# rulers of httpd.conf.example follows as a user copies it: only
	# CORNERS_AUTH_PREFIX is set (and CGIPassAuth turned off for
	# "no-pass-auth").  What the API needs can hide nowhere else.
	conf=$dir/apache.conf
	pass=On
	[ "$variant" = no-pass-auth ] && pass=Off
	mods=/usr/lib/apache2/modules
	{
		cat <<-EOF
		ServerRoot /etc/apache2
		ServerName localhost
		Listen 127.0.0.1:$port
		PidFile $dir/apache.pid
		ErrorLog "|\$exec /bin/cat 1>&2"
		DefaultRuntimeDir $dir
		LoadModule mpm_event_module $mods/mod_mpm_event.so
		LoadModule authz_core_module $mods/mod_authz_core.so
		LoadModule alias_module $mods/mod_alias.so
		LoadModule cgid_module $mods/mod_cgid.so
		LoadModule env_module $mods/mod_env.so
		ScriptSock $dir/cgid.sock
		<Directory />
			AllowOverride None
			Require all denied
		</Directory>
		EOF
		if [ "$server" = apache-deb ]; then
			echo "Include /etc/apache2/conf-enabled/corners-auth.conf"
		else
			sed -n '/^# --- corners-auth ---/,/^# --- corners-auth ---/p' \
			    "$top/httpd.conf.example" |
			    sed -e "s|^Define CORNERS_AUTH_PREFIX .*|Define CORNERS_AUTH_PREFIX $dir/prefix|" \
			    -e "s|^\([[:space:]]*CGIPassAuth\) On|\1 $pass|"
		fi
		# PassEnv: Apache hands its own value on, so none is quoted
		# into the configuration (where "${...}" would be expanded).
		for name in $(auth_vars); do
			echo "PassEnv $name"
		done
	} >"$conf"
	exec apache2 -f "$conf" -DFOREGROUND
	;;
nginx|nginx-cgi)
	# The server part's lines marked "(generated)" and, in the part a user
	# copies, only the paths (and for CGI the two marked lines swapped in):
	# the rest is the example as shipped.
	conf=$dir/nginx.conf
	run=$dir/run
	mkdir -p "$run" "$dir/tmp"
	sedargs=(
	    -e "s|^user .*|#&|"
	    -e "s|^pid .*|pid $dir/nginx.pid;|"
	    -e "s|^error_log .*|error_log stderr;|"
	    -e "s|^\(\s*access_log\) .*|\1 off;|"
	    -e "s|^\(\s*\)\([a-z_]*_temp_path\) /var/lib/nginx/\([a-z]*\);.*|\1\2 $dir/tmp/\3;|"
	    -e "s|^\(\s*listen\) 80;.*|\1 127.0.0.1:$port;|"
	    -e "s|^\(\s*root\) /var/www/html;.*|\1 $dir/www;|"
	    -e "s|/usr/local/corners-auth/|$dir/prefix/|"
	    -e "s|unix:/run/corners-auth/|unix:$run/|")
	if [ "$server" = nginx-cgi ]; then
		# fcgiwrap gives a program only what nginx sends: each AUTH_*
		# setting becomes a fastcgi_param, its value quoted for nginx
		# ("\" and "\"" escaped; "$" through a variable holding a
		# dollar sign, as nginx has no escape for it).
		for name in $(auth_vars); do
			v=${!name}
			v=${v//\\/\\\\}
			v=${v//\"/\\\"}
			v=${v//\$/\$\{corners_auth_dollar\}}
			printf '\tfastcgi_param %s "%s";\n' "$name" "$v"
		done >"$dir/auth-params.conf"
		sedargs+=(
		    -e "s|^\(\s*\)\(fastcgi_pass unix:.*# (FastCGI)\)|\1#\2|"
		    -e "s|^\(\s*\)#\(fastcgi_.*# (CGI)\)|\1\2|"
		    -e "s|unix:/run/fcgiwrap.socket|unix:$run/fcgiwrap.sock|"
		    -e "/^\s*#fastcgi_param AUTH_TRUSTED_PROXIES/r $dir/auth-params.conf"
		    -e "s|^http {|&\n\tgeo \$corners_auth_dollar { default \"\$\"; }|")
	fi
	# FASTCGI_PARAMS ("NAME value" lines, t98): settings nginx sends to
	# the FastCGI processes beside those of their environment.
	if [ "$server" = nginx ] && [ -n "${FASTCGI_PARAMS:-}" ]; then
		printf '%s\n' "$FASTCGI_PARAMS" |
		    while read -r name v; do
			printf '\tfastcgi_param %s "%s";\n' "$name" "$v"
		    done >"$dir/auth-params.conf"
		sedargs+=(-e "/^\s*#fastcgi_param AUTH_TRUSTED_PROXIES/r $dir/auth-params.conf")
	fi
	sed "${sedargs[@]}" "$top/nginx.conf.example" >"$conf"
	# What serve.sh starts, stopped however it ends (a FastCGI process
	# started by spawn-fcgi is in a session of its own: by its pid file;
	# fcgiwrap and its children: by their process group).
	nginx_pid= groups=()
	stop() {
		local f
		set +e
		[ -z "$nginx_pid" ] || kill "$nginx_pid" 2>/dev/null
		for f in "$run"/*.pid; do
			[ -f "$f" ] && kill $(cat "$f") 2>/dev/null
		done
		for f in "${groups[@]}"; do
			kill -- "-$f" 2>/dev/null
		done
		wait
	}
	trap stop EXIT
	trap 'exit 143' TERM INT HUP
	if [ "$server" = nginx ]; then
		# spawn-fcgi as in corners-auth(8), the processes per endpoint
		# of lighttpd-fastcgi.conf.example (one each for "one-process").
		# spawn-fcgi points a process's stderr at /dev/null: as the
		# manual's sh -c line sends it to a log file, this one sends it
		# where serve.sh's own goes (the test's server log, a terminal).
		# (Opened by that name, as serve.sh outlives them: a file, a
		# terminal or a pipe alike.)
		err=/proc/$$/fd/2
		for p in register:2 login:2 refresh:4 me:4 logout:1; do
			n=${p#*:} p=${p%:*}
			[ "$variant" = one-process ] && n=1
			spawn-fcgi -s "$run/$p.sock" -M 0600 -F "$n" \
			    -P "$run/$p.pid" -- /bin/sh -c 'exec "$0" 2>>"$1"' \
			    "$dir/prefix/cgi-bin/$p" "$err" >&2
		done
	else
		# setsid: fcgiwrap and the children it forks (-c) are a process
		# group of their own, stopped together.  (A socket left by the
		# last one would be taken for this one's: fcgiwrap leaves it.)
		rm -f "$run/fcgiwrap.sock"
		setsid fcgiwrap -s "unix:$run/fcgiwrap.sock" -c 4 &
		groups+=($!)
		for _ in $(seq 100); do
			[ -S "$run/fcgiwrap.sock" ] && break
			sleep 0.02
		done
	fi
	nginx -e stderr -p "$dir/" -c "$conf" -g 'daemon off;' &
	nginx_pid=$!
	wait "$nginx_pid"
	;;
*)
	echo "serve.sh: unknown server $server (busybox, lighttpd," \
	    "lighttpd-fastcgi, apache, apache-deb, nginx, nginx-cgi)" >&2
	exit 2
	;;
esac
