#!/usr/bin/python3
"""Independent verifier of the jit-access audit hash chain (docs/AUDIT.md).

Recomputes every event's hash from its fields, checks the links and the signed checkpoints,
and reports the first broken link, as the sink's VerifyChain does, without any jit-access
code: Python 3 standard library only (Debian's python3), Ed25519 included (RFC 8032).

  # straight from PostgreSQL (runs psql; any libpq connection string or URL)
  audit_verify.py --psql "postgresql://auditor@db/jit" --public-key <base64>
  # from JSON Lines exported by jit-audit-export or ExportEvents (files in order)
  audit_verify.py --jsonl audit-....jsonl audit.jsonl [--checkpoints cps.jsonl] \\
      --public-key <base64>

--public-key (repeatable) names the trusted checkpoint keys (GetCheckpointKeys, base64 of
the raw 32 bytes). Without one, checkpoint signatures cannot be trusted and any checkpoint
is reported as signed by an untrusted key.

Prints the problem, if any, and then one JSON line: {"ok":..., "checked":..,
"first_bad_sequence":.., "problem":.., "head_sequence":.., "head_hash":..,
"checkpoints_checked":..}. Exit status 0 intact, 1 broken, 2 unusable input.
"""

import argparse
import base64
import datetime
import hashlib
import json
import struct
import subprocess
import sys

# --- Ed25519 verification (RFC 8032, section 5.1.7) ------------------------------------

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _recover_x(y, sign):
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    if (x & 1) != sign:
        x = _P - x
    return x


def _add(a, b):
    e = (a[1] - a[0]) * (b[1] - b[0]) % _P
    f = (a[1] + a[0]) * (b[1] + b[0]) % _P
    g = 2 * a[3] * b[3] * _D % _P
    h = 2 * a[2] * b[2] % _P
    e, f, g, h = f - e, h - g, h + g, f + e
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _mul(s, point):
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = _add(q, point)
        point = _add(point, point)
        s >>= 1
    return q


def _equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % _P == 0 and (a[1] * b[2] - b[1] * a[2]) % _P == 0


def _decompress(data):
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % _P)


_GY = 4 * pow(5, _P - 2, _P) % _P
_G = (_recover_x(_GY, 0), _GY, 1, _recover_x(_GY, 0) * _GY % _P)


def ed25519_verify(public, message, signature):
    if len(public) != 32 or len(signature) != 64:
        return False
    a = _decompress(public)
    r = _decompress(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= _L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % _L
    return _equal(_mul(s, _G), _add(r, _mul(h, a)))


# --- Canonical encoding (docs/AUDIT.md, "Canonical encoding") --------------------------

OUTCOMES = {"unspecified": 0, "success": 1, "failure": 2, "denied": 3}
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def _str(text):
    data = text.encode("utf-8")
    return struct.pack(">I", len(data)) + data


def _value(v):
    if v is None:
        return b"n"
    if v is True:
        return b"t"
    if v is False:
        return b"f"
    if isinstance(v, (int, float)):
        d = float(v)
        if d == 0:
            d = 0.0
        return b"d" + struct.pack(">d", d)
    if isinstance(v, str):
        return b"s" + _str(v)
    if isinstance(v, list):
        return b"l" + struct.pack(">I", len(v)) + b"".join(_value(x) for x in v)
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: k.encode("utf-8"))
        return b"o" + struct.pack(">I", len(keys)) + b"".join(_str(k) + _value(v[k]) for k in keys)
    raise ValueError("unexpected JSON value %r" % (v,))


def micros(rfc3339):
    """'2023-11-14T22:13:20.123456Z' -> microseconds since the epoch (exact)."""
    if not rfc3339.endswith("Z"):
        raise ValueError("time %r is not UTC" % rfc3339)
    t = datetime.datetime.strptime(rfc3339[:-1], "%Y-%m-%dT%H:%M:%S.%f")
    delta = t.replace(tzinfo=datetime.timezone.utc) - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds


def canonical(e):
    return b"".join([
        _str("jit-audit-event/v1"),
        struct.pack(">q", e["sequence"]),
        _str(e["id"]),
        _str(e["code"]),
        _str(e["type"]),
        struct.pack(">q", micros(e["time"])),
        _str(e["service"]),
        _str(e["replica"]),
        _str(e["actor"]),
        _str(e["target"]),
        struct.pack(">I", OUTCOMES[e["outcome"]]),
        _str(e["message"]),
        _value(e["details"]),
        _str(e["request_id"]),
        _str(e["session_id"]),
        _str(e["remote_addr"]),
        struct.pack(">q", micros(e["ingest_time"])),
    ])


def checkpoint_message(sequence, hash_bytes, signed_at_micros):
    return (_str("jit-audit-checkpoint/v1") + struct.pack(">q", sequence) +
            struct.pack(">I", len(hash_bytes)) + hash_bytes + struct.pack(">q", signed_at_micros))


def key_id(public):
    return hashlib.sha256(public).digest()[:8].hex()


# --- Reading ---------------------------------------------------------------------------

_EVENTS_SQL = """
SELECT json_build_object(
  'sequence', sequence, 'id', id, 'code', code, 'type', type,
  'time', to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
  'service', service, 'replica', replica, 'actor', actor, 'target', target,
  'outcome', (ARRAY['unspecified','success','failure','denied'])[outcome + 1],
  'message', message, 'details', details, 'request_id', request_id,
  'session_id', session_id, 'remote_addr', remote_addr,
  'ingest_time', to_char(ingest_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
  'prev_hash', encode(prev_hash, 'hex'), 'hash', encode(hash, 'hex'))
FROM audit.events WHERE sequence >= %d ORDER BY sequence
"""

_CHECKPOINTS_SQL = """
SELECT json_build_object(
  'sequence', sequence, 'hash', encode(hash, 'hex'),
  'signed_at_us', (extract(epoch FROM signed_at) * 1000000)::bigint,
  'key_id', key_id, 'public_key', encode(public_key, 'hex'),
  'signature', encode(signature, 'hex'))
FROM audit.checkpoints ORDER BY sequence
"""


def psql_lines(conninfo, sql):
    proc = subprocess.Popen(
        ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-v", "FETCH_COUNT=10000",
         "-d", conninfo, "-c", sql],
        stdout=subprocess.PIPE, encoding="utf-8")
    for line in proc.stdout:
        line = line.rstrip("\n")
        if line:
            yield line
    if proc.wait() != 0:
        raise RuntimeError("psql failed (exit %d)" % proc.returncode)


def file_lines(paths):
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if line:
                    yield line


# --- Verification ----------------------------------------------------------------------

class Result:
    def __init__(self):
        self.ok = True
        self.checked = 0
        self.first_bad = 0
        self.problem = ""
        self.head_sequence = 0
        self.head_hash = bytes(32)
        self.checkpoints_checked = 0

    def fail(self, sequence, problem):
        self.ok = False
        self.first_bad = sequence
        self.problem = problem
        return self

    def summary(self):
        return json.dumps({
            "ok": self.ok, "checked": self.checked, "first_bad_sequence": self.first_bad,
            "problem": self.problem, "head_sequence": self.head_sequence,
            "head_hash": self.head_hash.hex(), "checkpoints_checked": self.checkpoints_checked,
        })


def verify(event_lines, checkpoints, trusted, first=1, last=None):
    """Events in sequence order (from first-1 when first > 1: the anchor)."""
    r = Result()
    pending = sorted((c for c in checkpoints
                      if c["sequence"] >= first and (last is None or c["sequence"] <= last)),
                     key=lambda c: c["sequence"])

    def check_signature(c):
        public = bytes.fromhex(c["public_key"])
        if c["key_id"] not in trusted or key_id(public) != c["key_id"] or \
                trusted[c["key_id"]] != public:
            return "checkpoint at sequence %d is signed by an untrusted key %s" % (
                c["sequence"], c["key_id"])
        message = checkpoint_message(c["sequence"], bytes.fromhex(c["hash"]), c["signed_at_us"])
        if not ed25519_verify(public, message, bytes.fromhex(c["signature"])):
            return "checkpoint at sequence %d: signature does not verify" % c["sequence"]
        return None

    prev = bytes(32)
    prev_sequence = first - 1
    lines = iter(event_lines)
    if first > 1:
        anchor = None
        for line in lines:
            e = json.loads(line)
            if e["sequence"] >= first - 1:
                anchor = e
                break
        if anchor is None or anchor["sequence"] != first - 1:
            return r.fail(first - 1, "event %d (the anchor before from_sequence) is missing" %
                          (first - 1))
        prev = bytes.fromhex(anchor["hash"])
    r.head_sequence = prev_sequence
    r.head_hash = prev
    k = 0
    for line in lines:
        e = json.loads(line)
        if e["sequence"] < first:
            continue
        if last is not None and e["sequence"] > last:
            break
        expected = prev_sequence + 1
        if e["sequence"] != expected:
            return r.fail(expected, "event %d is missing (the next stored is %d)" %
                          (expected, e["sequence"]))
        if e["prev_hash"] != prev.hex():
            return r.fail(expected, "event %d: prev_hash is not the hash of event %d" %
                          (expected, expected - 1))
        h = hashlib.sha256(prev + canonical(e)).digest()
        if e["hash"] != h.hex():
            return r.fail(expected, "event %d: hash does not match its contents" % expected)
        while k < len(pending) and pending[k]["sequence"] == expected:
            c = pending[k]
            k += 1
            problem = check_signature(c)
            if problem:
                return r.fail(expected, problem)
            if c["hash"] != h.hex():
                return r.fail(expected, "checkpoint at sequence %d signed another hash: the "
                              "chain was rewritten at or before this event" % expected)
            r.checkpoints_checked += 1
        prev = h
        prev_sequence = expected
        r.checked += 1
        r.head_sequence = prev_sequence
        r.head_hash = prev
    if k < len(pending):
        c = pending[k]
        problem = check_signature(c)
        if problem:
            return r.fail(c["sequence"], problem)
        return r.fail(prev_sequence + 1, "events %d to %d are missing: a checkpoint covers "
                      "sequence %d (a truncated tail)" % (prev_sequence + 1, c["sequence"],
                                                          c["sequence"]))
    return r


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--psql", metavar="CONNINFO", help="read audit.events through psql")
    source.add_argument("--jsonl", metavar="FILE", nargs="+", help="exported JSON Lines files")
    parser.add_argument("--checkpoints", metavar="FILE",
                        help="checkpoints as JSON lines (with --jsonl)")
    parser.add_argument("--public-key", action="append", default=[],
                        help="trusted checkpoint key, base64 of 32 bytes (repeatable)")
    parser.add_argument("--from", dest="first", type=int, default=0)
    parser.add_argument("--to", dest="last", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        trusted = {}
        for text in args.public_key:
            public = base64.b64decode(text, validate=True)
            if len(public) != 32:
                raise ValueError("--public-key %s is not 32 bytes" % text)
            trusted[key_id(public)] = public
        first = max(args.first, 1)
        last = args.last or None
        if args.psql:
            events = psql_lines(args.psql, _EVENTS_SQL % max(first - 1, 0))
            checkpoints = [json.loads(l) for l in psql_lines(args.psql, _CHECKPOINTS_SQL)]
        else:
            events = file_lines(args.jsonl)
            checkpoints = []
            if args.checkpoints:
                checkpoints = [json.loads(l) for l in file_lines([args.checkpoints])]
        result = verify(events, checkpoints, trusted, first, last)
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        print("audit_verify: %s" % e, file=sys.stderr)
        return 2
    if not result.ok:
        print("BROKEN at sequence %d: %s" % (result.first_bad, result.problem))
    else:
        print("OK: %d events, %d checkpoints, head %d %s" % (
            result.checked, result.checkpoints_checked, result.head_sequence,
            result.head_hash.hex()))
    print(result.summary())
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
