/*
 * libFuzzer harness: authctl import-django's readers on arbitrary files —
 * the CSV reader (RFC 4180 quoting, the header's columns), the dumpdata
 * JSON reader, and the id, boolean, time and hash checks — through
 * cmd_import_django() itself, as a dry run against an empty database in
 * memory (AUTH_DB names no file, so none is made).  The first byte picks
 * --skip-unsupported (its low bit); the rest is the file.
 *
 * Invariants: the answer is 0 or 1, and the same file gets the same
 * answer again; a file that would import without --skip-unsupported
 * would with it too (leaving users out cannot make a file worse).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authctl.h"
#include "db.h"
#include "fuzz.h"

static struct app app;
static char	 path[] = "/tmp/corners-auth-fuzz-import.XXXXXX";
static int	 fd = -1;

/* The run's file goes with it (a crash keeps it, as evidence). */
static void
remove_file(void)
{
	unlink(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int	 devnull;

	(void)argc;
	(void)argv;
	fuzz_setup(&app);
	snprintf(app.cf.db_path, sizeof(app.cf.db_path), "%s",
	    "/nonexistent/corners-auth-fuzz-import.db");
	if ((fd = mkstemp(path)) == -1)
		fuzz_fail("mkstemp: cannot make the file to import");
	atexit(remove_file);
	/* The counts a dry run prints would fill the log. */
	if ((devnull = open("/dev/null", O_WRONLY)) == -1 ||
	    dup2(devnull, STDOUT_FILENO) == -1)
		fuzz_fail("/dev/null");
	close(devnull);
	return 0;
}

/* One dry run of the file as it now is: authctl's exit code. */
static int
import(int skip)
{
	struct ctl	 c;
	char		*args[1] = { path };
	int		 rc;

	memset(&c, 0, sizeof(c));
	c.app = app;		/* the settings; no database open yet */
	c.app.db = NULL;
	c.args = args;
	c.nargs = 1;
	c.dry_run = 1;
	c.skip_unsupported = skip;
	rc = cmd_import_django(&c);
	db_close(c.app.db);
	if (rc != CTL_OK && rc != CTL_FAILED)
		fuzz_fail("import-django answered %d", rc);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int	 skip, rc, again, strict;

	if (size == 0)
		return 0;
	skip = data[0] & 1;
	if (ftruncate(fd, 0) == -1 || pwrite(fd, data + 1, size - 1, 0) !=
	    (ssize_t)(size - 1))
		fuzz_fail("writing the file to import");
	rc = import(skip);
	if ((again = import(skip)) != rc)
		fuzz_fail("the same file answered %d, then %d", rc, again);
	if (!skip && rc == CTL_OK && (strict = import(1)) != CTL_OK)
		fuzz_fail("imports without --skip-unsupported (0), but not "
		    "with it (%d)", strict);
	return 0;
}
