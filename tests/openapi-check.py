#!/usr/bin/python3
"""tests/openapi-check.py: openapi.json, and the answers the tests received,
checked with Debian's python3-jsonschema (Draft 2020-12, the dialect of
OpenAPI 3.1's Schema Objects).

    openapi-check.py responses OPENAPI RECORDS
        Every answer in RECORDS (written by tests/lib.sh's api_record, one
        per req, cgi_run and cgi) against the document: one "FAIL - ..."
        line per answer that does not match it, then one "ok - ..." line
        counting those that do.
    openapi-check.py document OPENAPI [SOURCES-DIR]
        The document itself: one "ok - ..." or "FAIL - ..." line per check
        (SOURCES-DIR: cgi-bin/*.c, whose handler tables give the paths and
        methods the executables serve).

Run as /usr/bin/python3: Debian's modules (python3-jsonschema) are there.
The structural checks of "document" are our own, written from the
OpenAPI 3.1 specification's text (no copy of its meta-schema here).

How an answer is matched (see openapi.json's info.description):
  - a record's target "NAME[/REST]" is the executable NAME with PATH_INFO
    "/REST", at /api/v1/auth/NAME[/REST] (busybox: /cgi-bin/NAME[/REST]);
    a target starting with "/" is a path of the document as it is;
  - an executable's path the document has: the operation of the method;
    a method the path has no operation for (any case, any text): 405
    #/components/responses/MethodNotAllowed with Allow equal to the path's
    x-allow, or 500 #/components/responses/InternalError;
  - a path below an executable that the document does not have: 404
    #/components/responses/NotFound, or 500;
  - a NAME that is no executable's (a server's own page): not in the
    document, skipped.
An answer whose Content-Type is not JSON is a failure unless the test said
beforehand that the server itself may answer (OPENAPI_SKIP=reason): then it
is skipped, counted by reason.  A JSON answer is checked whatever the test
said.  HEAD answers are checked for their status and headers.
"""

import json
import os
import re
import sys

try:
    from jsonschema import Draft202012Validator, RefResolver
    from jsonschema.exceptions import best_match
except ImportError:
    print("FAIL - openapi: python3-jsonschema is not installed "
          "(apt-get install python3-jsonschema; make deps installs it)")
    sys.exit(1)

API = "/api/v1/auth/"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch",
           "trace")
# The headers the executables themselves write besides Content-Type: one
# of these on an answer whose documentation lacks it is a failure.
OURS = ("allow", "www-authenticate", "retry-after", "cache-control",
        "x-content-type-options")


def load_doc(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"), object_pairs_hook=no_dups)


def no_dups(pairs):
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise ValueError("duplicate key %r" % k)
        seen[k] = v
    return seen


def pointer(doc, ref):
    """The value a local $ref ("#/a/b") names; KeyError if none."""
    if not ref.startswith("#"):
        raise KeyError("not a local reference: %s" % ref)
    node = doc
    for part in ref[1:].split("/")[1:] if ref != "#" else []:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(ref)
    return node


def deref(doc, obj):
    """A Reference Object followed to what it names (several hops)."""
    hops = 0
    while isinstance(obj, dict) and "$ref" in obj and hops < 16:
        obj = pointer(doc, obj["$ref"])
        hops += 1
    return obj


class Checker:
    def __init__(self, doc):
        self.doc = doc
        self.resolver = RefResolver("", doc)
        self.validators = {}

    def errors(self, schema, value):
        key = id(schema)
        v = self.validators.get(key)
        if v is None:
            v = Draft202012Validator(schema, resolver=self.resolver)
            self.validators[key] = (v, schema)
        else:
            v = v[0]
        return list(v.iter_errors(value))


# --- the answers --------------------------------------------------------------

def read_records(path):
    """(where, method, target, status, skip, headers text, body bytes)."""
    with open(path, "rb") as f:
        data = f.read()
    pos, out = 0, []
    while pos < len(data):
        if data[pos:pos + 1] != b"\x1e":
            raise ValueError("records: bad framing at byte %d" % pos)
        nl = data.index(b"\n", pos)
        meta = data[pos + 1:nl].decode("utf-8", "replace").split("\t")
        where, method, target, status, skip, hlen, blen = meta
        hlen, blen = int(hlen), int(blen)
        pos = nl + 1
        hdrs = data[pos:pos + hlen].decode("latin-1")
        pos += hlen
        body = data[pos:pos + blen]
        pos += blen
        out.append((where, method, target, status, skip, hdrs, body))
    return out


def parse_headers(text):
    """The last header block (curl -D keeps a 100 Continue's too), as a
    dict of lower-case name to the list of its values."""
    blocks, cur = [], []
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if line == "":
            if cur:
                blocks.append(cur)
            cur = []
        else:
            cur.append(line)
    if cur:
        blocks.append(cur)
    h = {}
    for line in blocks[-1] if blocks else []:
        if ":" not in line or line.startswith("HTTP/"):
            continue
        name, value = line.split(":", 1)
        h.setdefault(name.strip().lower(), []).append(value.strip())
    return h


def header_value(schema, text):
    """A header's text as the value its schema describes (an integer for
    an integer schema)."""
    t = schema.get("type")
    if (t == "integer" or isinstance(schema.get("const"), int)) and \
            re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    return text


def expected(doc, method, target):
    """What documents the answer: (document path, operation or None,
    responses dict, allow or None), or None when the target is not in
    the document."""
    paths = doc["paths"]
    target = target.split("?", 1)[0]
    if target.startswith("/"):
        path = target
        if path not in paths:
            return None
    else:
        name = target.split("/", 1)[0]
        if not any(p == API + name or p.startswith(API + name + "/")
                   for p in paths):
            return None		# no executable of that name
        path = API + target
    comp = doc["components"]["responses"]
    if path not in paths:
        return (path + " (not served: 404)", None,
                {"404": comp["NotFound"], "500": comp["InternalError"]}, None)
    item = deref(doc, paths[path])
    m = method.lower()
    if method == method.upper() and m in METHODS and m in item:
        op = item[m]
        return (path, op, op["responses"], None)
    if "x-allow" not in item:
        return None		# a static file: the server's own methods
    return (path + " (no %s: 405)" % (method or "empty method"), None,
            {"405": comp["MethodNotAllowed"], "500": comp["InternalError"]},
            item["x-allow"])


def request_schema(doc, op):
    """The operation's JSON request body schema (resolved), or None."""
    if op is None or "requestBody" not in op:
        return None
    rb = deref(doc, op["requestBody"])
    media = rb.get("content", {}).get("application/json")
    return deref(doc, media["schema"]) if media else None


def cross_422(doc, op, value):
    """A 422's errors against the request schema: each ctx length is the
    documented minLength/maxLength, each missing field a required one, and
    so on.  Returns a list of complaints."""
    req = request_schema(doc, op)
    out = []
    if req is None:
        return out
    props = req.get("properties", {})
    try:
        errs = value["details"]["errors"]
    except (TypeError, KeyError):
        return out
    for e in errs if isinstance(errs, list) else []:
        if not isinstance(e, dict) or len(e.get("loc", [])) != 3:
            continue
        field, typ, ctx = e["loc"][2], e.get("type"), e.get("ctx") or {}
        s = props.get(field)
        if s is None:
            out.append("error on field %r, which the request schema lacks"
                       % field)
            continue
        s = deref(doc, s)
        for key, kw in (("min_length", "minLength"),
                        ("max_length", "maxLength")):
            if key in ctx and ctx[key] != s.get(kw):
                out.append("%s: ctx %s %s, the request schema says %s %s"
                           % (field, key, ctx[key], kw, s.get(kw)))
            if key in ctx and re.search(r"\b%d characters?$" % ctx[key],
                                        e.get("msg", "")) is None:
                out.append("%s: msg %r does not say ctx's %s"
                           % (field, e.get("msg"), ctx[key]))
        types = s.get("type")
        types = types if isinstance(types, list) else [types]
        if typ == "missing" and field not in req.get("required", []):
            out.append("%s: 'missing', but the request schema does not "
                       "require it" % field)
        if typ == "bool_type" and "boolean" not in types:
            out.append("%s: 'bool_type', but the request schema's type is %s"
                       % (field, types))
        if typ in ("string_type", "string_too_short", "string_too_long",
                   "string_nul") and "string" not in types:
            out.append("%s: %r, but the request schema's type is %s"
                       % (field, typ, types))
    return out


def check_answer(doc, ck, rec):
    """None if the answer matches, else what is wrong (one line)."""
    where, method, target, status, skip, hdrs, body = rec
    exp = expected(doc, method, target)
    path, op, responses, allow = exp
    if status not in responses:
        return "status %s is not documented (documented: %s)" % (
            status, ", ".join(sorted(responses)))
    resp = deref(doc, responses[status])
    h = parse_headers(hdrs)
    problems = []
    documented = {n.lower(): deref(doc, s)
                  for n, s in resp.get("headers", {}).items()}
    for name, hobj in documented.items():
        if name not in h:
            if hobj.get("required"):
                problems.append("header %s missing" % name)
            continue
        for text in h[name]:
            s = deref(doc, hobj.get("schema", {}))
            for e in ck.errors(s, header_value(s, text)):
                problems.append("header %s: %r: %s" % (name, text,
                                                        e.message))
    for name in OURS:
        if name in h and name not in documented:
            problems.append("undocumented header %s: %s" % (name,
                                                            h[name][0]))
    if allow is not None and h.get("allow", [None])[0] != allow:
        problems.append("Allow is %r, x-allow is %r" %
                        (h.get("allow", [None])[0], allow))
    if method == "HEAD":
        return "; ".join(problems) or None
    content = resp.get("content")
    if not content:
        if body:
            problems.append("a body where none is documented: %r" % body[:80])
        return "; ".join(problems) or None
    ctype = h.get("content-type", [""])[0]
    media = ctype.split(";")[0].strip().lower()
    if media not in content:
        problems.append("Content-Type %r is not documented (%s)" % (
            ctype, ", ".join(content)))
        return "; ".join(problems)
    try:
        value = json.loads(body.decode("utf-8"), object_pairs_hook=no_dups,
                           parse_constant=no_constant)
    except ValueError as e:
        problems.append("the body is not JSON (%s): %r" % (e, body[:120]))
        return "; ".join(problems)
    schema = deref(doc, content[media].get("schema", {}))
    errs = ck.errors(schema, value)
    if errs:
        e = best_match(errs)
        at = "/".join(str(p) for p in e.absolute_path) or "(top)"
        problems.append("body at %s: %s" % (at, trim(e.message)))
    if status == "429" and isinstance(value, dict):
        ra = h.get("retry-after", [""])[0]
        got = (value.get("details") or {}).get("retry_after")
        if str(got) != ra:
            problems.append("details.retry_after %s but Retry-After %s"
                            % (got, ra))
    if status == "422":
        problems += cross_422(doc, op, value)
    return "; ".join(problems) or None


def no_constant(name):
    raise ValueError("%s is not JSON" % name)


def trim(s, n=300):
    return s if len(s) <= n else s[:n] + "..."


def is_json_answer(rec):
    h = parse_headers(rec[5])
    ctype = h.get("content-type", [""])[0].split(";")[0].strip().lower()
    return ctype == "application/json"


def responses(doc_path, rec_path):
    doc = load_doc(doc_path)
    ck = Checker(doc)
    good, bad, skipped, outside = 0, 0, {}, 0
    for rec in read_records(rec_path):
        where, method, target, status, skip, hdrs, body = rec
        what = "%s %s" % (method or "''", target)
        if status in ("", "000"):
            skipped["no answer"] = skipped.get("no answer", 0) + 1
            continue
        exp = expected(doc, method, target)
        if exp is None:
            outside += 1
            continue
        what = "%s %s" % (method or "''", exp[0])
        if method != "HEAD" and not is_json_answer(rec):
            if skip:
                skipped[skip] = skipped.get(skip, 0) + 1
                continue
            ctype = parse_headers(hdrs).get("content-type", ["none"])[0]
            print("FAIL - openapi: %s -> %s (%s): not a JSON answer "
                  "(Content-Type %s): %r" % (what, status, where, ctype,
                                             body[:120]))
            bad += 1
            continue
        why = check_answer(doc, ck, rec)
        if why is None:
            good += 1
        else:
            print("FAIL - openapi: %s -> %s (%s): %s" % (what, status, where,
                                                       why))
            bad += 1
    notes = []
    if outside:
        notes.append("%d to paths not in the document" % outside)
    for reason, n in sorted(skipped.items()):
        notes.append("%d skipped: %s" % (n, reason))
    print("ok - openapi: %d %s openapi.json%s" % (
        good, "answer matches" if good == 1 else "answers match",
        " (" + "; ".join(notes) + ")" if notes else ""))
    return bad == 0


# --- the document -------------------------------------------------------------

class Report:
    def __init__(self):
        self.failed = 0

    def check(self, desc, problems):
        if problems:
            self.failed += 1
            shown = "; ".join(problems[:8])
            more = len(problems) - 8
            print("FAIL - openapi.json: %s (%s%s)" % (
                desc, shown, " and %d more" % more if more > 0 else ""))
        else:
            print("ok - openapi.json: %s" % desc)


def walk(node, at="#"):
    """Every dict and list in node, with its JSON pointer."""
    yield at, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, at + "/" + k.replace("~", "~0")
                            .replace("/", "~1"))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, "%s/%d" % (at, i))


def operations(doc):
    for path, item in doc.get("paths", {}).items():
        item = deref(doc, item)
        for m in METHODS:
            if m in item:
                yield path, m, item[m]


def schema_objects(doc):
    """(where, Schema Object) for every schema the document holds: the
    components' schemas, and those of media types, headers and parameters
    anywhere (after following Reference Objects, each once)."""
    seen = set()
    for at, node in walk(doc):
        if not isinstance(node, dict):
            continue
        if at.startswith("#/components/schemas/") and \
                at.count("/") == 3:
            yield at, node
            continue
        if "schema" in node and isinstance(node["schema"], (dict, bool)) \
                and ("content" not in node or "in" in node) \
                and not at.startswith("#/components/schemas/"):
            key = at + "/schema"
            if key not in seen:
                seen.add(key)
                yield key, node["schema"]


def handler_tables(src_dir):
    """{executable: [(PATH_INFO, METHOD), ...]} from cgi-bin/*.c."""
    table = {}
    pat = re.compile(r'\{\s*"([^"]*)",\s*"([A-Z]+)",\s*BODY_[A-Z]+,')
    for name in sorted(os.listdir(src_dir)):
        if not name.endswith(".c"):
            continue
        with open(os.path.join(src_dir, name)) as f:
            table[name[:-2]] = pat.findall(f.read())
    return table


def allow_of(handlers, path_info):
    """The Allow header serve.c's route() builds for PATH_INFO."""
    out = []
    for p, m in handlers:
        if p == path_info:
            out.append(m)
            if m == "GET":
                out.append("HEAD")
    return ", ".join(out)


def document(doc_path, src_dir):
    r = Report()
    try:
        doc = load_doc(doc_path)
    except ValueError as e:
        r.check("is JSON without duplicate keys", [str(e)])
        return False
    r.check("is JSON without duplicate keys", [])
    r.check('openapi is "3.1.0"', [] if doc.get("openapi") == "3.1.0"
            else ["openapi is %r" % doc.get("openapi")])
    info = doc.get("info", {})
    r.check("info has a title and a version",
            [k for k in ("title", "version")
             if not isinstance(info.get(k), str)])
    top = {"openapi", "info", "jsonSchemaDialect", "servers", "paths",
           "webhooks", "components", "security", "tags", "externalDocs"}
    r.check("the top-level fields are OpenAPI 3.1's",
            [k for k in doc if k not in top and not k.startswith("x-")])

    # Every $ref resolves, inside the document.
    bad = []
    for at, node in walk(doc):
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            try:
                pointer(doc, node["$ref"])
            except (KeyError, IndexError, ValueError):
                bad.append("%s: %s" % (at, node["$ref"]))
    r.check("every $ref resolves inside the document", bad)

    # Every Schema Object is a valid Draft 2020-12 schema.
    bad, n = [], 0
    for at, s in schema_objects(doc):
        n += 1
        try:
            Draft202012Validator.check_schema(s)
        except Exception as e:	# SchemaError
            bad.append("%s: %s" % (at, trim(str(e).split("\n")[0], 160)))
    r.check("each of its %d Schema Objects passes Draft 2020-12's "
            "check_schema" % n, bad)

    # Paths, path items, operations.
    item_keys = {"$ref", "summary", "description", "servers", "parameters"} \
        | set(METHODS)
    bad = []
    for path, item in doc.get("paths", {}).items():
        if not path.startswith("/"):
            bad.append("%s: does not start with /" % path)
        for k in deref(doc, item):
            if k not in item_keys and not k.startswith("x-"):
                bad.append("%s: unknown field %s" % (path, k))
    r.check("every path starts with / and its item has only Path Item "
            "fields", bad)

    op_keys = {"tags", "summary", "description", "externalDocs",
               "operationId", "parameters", "requestBody", "responses",
               "callbacks", "deprecated", "security", "servers"}
    schemes = doc.get("components", {}).get("securitySchemes", {})
    ids, bad = {}, []
    for path, m, op in operations(doc):
        where = "%s %s" % (m.upper(), path)
        for k in op:
            if k not in op_keys and not k.startswith("x-"):
                bad.append("%s: unknown field %s" % (where, k))
        oid = op.get("operationId")
        if not isinstance(oid, str):
            bad.append("%s: no operationId" % where)
        elif oid in ids:
            bad.append("%s: operationId %s also on %s" % (where, oid,
                                                           ids[oid]))
        else:
            ids[oid] = where
        resps = op.get("responses")
        if not isinstance(resps, dict) or not resps:
            bad.append("%s: lists no responses" % where)
            continue
        for code, resp in resps.items():
            if not re.fullmatch(r"[1-5][0-9][0-9]", code):
                bad.append("%s: response key %r is not a status code"
                           % (where, code))
            resp = deref(doc, resp)
            if not isinstance(resp.get("description"), str):
                bad.append("%s %s: no description" % (where, code))
            for name, hdr in resp.get("headers", {}).items():
                if "schema" not in deref(doc, hdr):
                    bad.append("%s %s: header %s has no schema"
                               % (where, code, name))
            for media in resp.get("content", {}):
                if media != "application/json":
                    bad.append("%s %s: content %s" % (where, code, media))
        for req in op.get("security", []):
            for name in req:
                if name not in schemes:
                    bad.append("%s: security scheme %s is not defined"
                               % (where, name))
        if "requestBody" in op:
            rb = deref(doc, op["requestBody"])
            if "application/json" not in rb.get("content", {}):
                bad.append("%s: the request body is not application/json"
                           % where)
    r.check("every operation has a unique operationId, lists its responses "
            "by status code, each described, its headers with a schema, "
            "its bodies application/json", bad)

    # The answers' schemas: no object lets an undocumented field through.
    bad = []
    for path, m, op in operations(doc):
        if op.get("operationId") == "openapi":
            continue		# the document itself
        for code, resp in op["responses"].items():
            resp = deref(doc, resp)
            for media in resp.get("content", {}).values():
                for at, s in reachable(doc, media.get("schema", {})):
                    if isinstance(s, dict) and s.get("type") == "object" \
                            and s.get("additionalProperties") is not False:
                        bad.append("%s %s %s: %s" % (m.upper(), path, code,
                                                     at))
    shared = doc.get("components", {}).get("responses", {})
    for name, resp in shared.items():
        for media in deref(doc, resp).get("content", {}).values():
            for at, s in reachable(doc, media.get("schema", {})):
                if isinstance(s, dict) and s.get("type") == "object" \
                        and s.get("additionalProperties") is not False:
                    bad.append("responses/%s: %s" % (name, at))
    r.check("every object in an answer's schema has additionalProperties "
            "false", sorted(set(bad)))

    # Every status an answer of the API can have, with its headers.
    bad = []
    for path, m, op in operations(doc):
        if not path.startswith(API):
            continue
        where = "%s %s" % (m.upper(), path)
        codes = set(op["responses"])
        need = {"401", "500", "503"} if op.get("security") else {"500",
                                                                  "503"}
        if "requestBody" in op:
            need |= {"400", "413", "422"}
        for c in sorted(need - codes):
            bad.append("%s: no %s" % (where, c))
        for code, resp in op["responses"].items():
            resp = deref(doc, resp)
            names = {n.lower() for n in resp.get("headers", {})}
            want = {"cache-control", "x-content-type-options"}
            if code in ("429", "503"):
                want.add("retry-after")
            if code == "401" and op.get("security"):
                want.add("www-authenticate")
            for n in sorted(want - names):
                bad.append("%s %s: no %s header" % (where, code, n))
    r.check("every API operation documents 500 and 503 (bearer ones 401, "
            "ones with a body 400, 413 and 422), with Cache-Control, "
            "X-Content-Type-Options, Retry-After (429, 503) and "
            "WWW-Authenticate (bearer 401)", bad)
    comp = doc.get("components", {})
    bad = [n for n in ("NotFound", "MethodNotAllowed", "InternalError")
           if n not in comp.get("responses", {})]
    if "MethodNotAllowed" in comp.get("responses", {}):
        hdrs = deref(doc, comp["responses"]["MethodNotAllowed"]).get(
            "headers", {})
        if "Allow" not in hdrs:
            bad.append("MethodNotAllowed has no Allow header")
    r.check("components.responses has NotFound, MethodNotAllowed (with "
            "Allow) and InternalError", bad)
    bad = [n for n, s in schemes.items()
           if deref(doc, s).get("type") != "http" or
           deref(doc, s).get("scheme", "").lower() != "bearer"]
    r.check("the security scheme is HTTP bearer",
            bad + ([] if schemes else ["none defined"]))

    # The paths are the executables': cgi-bin/*.c's handler tables.
    if src_dir:
        table = handler_tables(src_dir)
        want = {}
        for exe, handlers in table.items():
            for p, m in handlers:
                ms = want.setdefault(API + exe + p, set())
                ms.add(m.lower())
                if m == "GET":
                    ms.add("head")
        have = {}
        for path, item in doc.get("paths", {}).items():
            if path.startswith(API):
                have[path] = {m for m in METHODS if m in deref(doc, item)}
        bad = []
        for path in sorted(set(want) | set(have)):
            if path not in have:
                bad.append("%s is served but not documented" % path)
            elif path not in want:
                bad.append("%s is documented but served by no executable"
                           % path)
            elif want[path] != have[path]:
                bad.append("%s: served %s, documented %s" % (
                    path, sorted(want[path]), sorted(have[path])))
        r.check("the paths and methods are those of cgi-bin/*.c (%s)" %
                ", ".join(sorted(table)), bad)
        bad = []
        for path, item in doc.get("paths", {}).items():
            if not path.startswith(API):
                continue
            exe, _, rest = path[len(API):].partition("/")
            want_allow = allow_of(table.get(exe, []), "/" + rest if rest
                                  else "")
            got = deref(doc, item).get("x-allow")
            if got != want_allow:
                bad.append("%s: x-allow %r, the executable's Allow %r"
                           % (path, got, want_allow))
        r.check("each path's x-allow is the Allow its executable sends", bad)
    return r.failed == 0


def reachable(doc, schema, at="", seen=None):
    """Every subschema of schema, following $refs (each once)."""
    seen = set() if seen is None else seen
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        ref = schema["$ref"]
        if ref not in seen:
            seen.add(ref)
            yield from reachable(doc, pointer(doc, ref), ref, seen)
    yield at or "(top)", schema
    for k in ("allOf", "anyOf", "oneOf", "prefixItems"):
        for i, s in enumerate(schema.get(k, [])):
            yield from reachable(doc, s, "%s/%s/%d" % (at, k, i), seen)
    for k in ("properties", "patternProperties"):
        for name, s in schema.get(k, {}).items():
            yield from reachable(doc, s, "%s/%s/%s" % (at, k, name), seen)
    for k in ("items", "additionalProperties", "not", "if", "then", "else",
              "contains"):
        if isinstance(schema.get(k), dict):
            yield from reachable(doc, schema[k], "%s/%s" % (at, k), seen)


def main(argv):
    if len(argv) == 4 and argv[1] == "responses":
        return 0 if responses(argv[2], argv[3]) else 1
    if len(argv) in (3, 4) and argv[1] == "document":
        return 0 if document(argv[2], argv[3] if len(argv) == 4 else None) \
            else 1
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
