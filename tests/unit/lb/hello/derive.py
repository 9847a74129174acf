#!/usr/bin/python3
"""Derives the ClientHello fixtures of tests/unit/lb/test_tls_hello.c
from the real captures that capture.sh makes, by decoding a capture
into its fields, changing one thing and encoding it again (so that every
other length stays right), or by changing one length field where the
encoder says it is.  Nothing is edited by hand; running this again on
the same captures gives the same files (the random bytes are seeded).

    /usr/bin/python3 derive.py DIR      (DIR: where the captures are)
"""
import random
import sys

HANDSHAKE, CCS, ALERT, APPDATA = 22, 20, 21, 23
EXT_SNI, EXT_GROUPS, EXT_ALPN, EXT_PADDING = 0, 10, 16, 21
EXT_PSK, EXT_VERSIONS, EXT_KEY_SHARE, EXT_ECH = 41, 43, 51, 0xFE0D

# the longest name: 253 bytes
MAX_NAME = b".".join([b"a" * 63, b"b" * 63, b"c" * 63, b"d" * 61])

rng = random.Random(5)


def be(n, width):
    return n.to_bytes(width, "big")


def vec(width, data):
    return be(len(data), width) + data


class Hello:
    """A ClientHello decoded from its records."""

    def __init__(self, data):
        self.rversion, hs, pos = data[1:3], b"", 0
        while pos < len(data):
            n = int.from_bytes(data[pos + 3:pos + 5], "big")
            assert data[pos] == HANDSHAKE
            hs += data[pos + 5:pos + 5 + n]
            pos += 5 + n
        assert hs[0] == 1 and int.from_bytes(hs[1:4], "big") == len(hs) - 4
        b = hs[4:]
        self.version, self.random = b[0:2], b[2:34]
        p = 34
        self.session_id = b[p + 1:p + 1 + b[p]]
        p += 1 + b[p]
        n = int.from_bytes(b[p:p + 2], "big")
        self.suites = b[p + 2:p + 2 + n]
        p += 2 + n
        self.compression = b[p + 1:p + 1 + b[p]]
        p += 1 + b[p]
        self.exts = None
        if p < len(b):
            self.exts = []
            end = p + 2 + int.from_bytes(b[p:p + 2], "big")
            p += 2
            while p < end:
                t = int.from_bytes(b[p:p + 2], "big")
                n = int.from_bytes(b[p + 2:p + 4], "big")
                self.exts.append([t, b[p + 4:p + 4 + n]])
                p += 4 + n
            assert p == end == len(b)

    def copy(self):
        h = Hello.__new__(Hello)
        h.__dict__.update(self.__dict__)
        if self.exts is not None:
            h.exts = [list(e) for e in self.exts]
        return h

    def ext(self, t):
        return next(e for e in self.exts if e[0] == t)

    def message(self, marks=None):
        """The handshake message; marks gets where each length field
        is: name -> (offset in the message, width)."""
        marks = {} if marks is None else marks
        out = bytearray(b"\x01")
        mark = lambda name, width: marks.setdefault(name, (len(out), width))
        mark("handshake", 3)
        out += b"\0\0\0" + self.version + self.random
        mark("session-id", 1)
        out += vec(1, self.session_id)
        mark("cipher-suites", 2)
        out += vec(2, self.suites)
        mark("compression", 1)
        out += vec(1, self.compression)
        if self.exts is not None:
            mark("extensions", 2)
            out += vec(2, b"".join(be(t, 2) + vec(2, d) for t, d in self.exts))
            p = marks["extensions"][0] + 2
            for i, (t, d) in enumerate(self.exts):
                self.mark_ext(marks, t, p, i == len(self.exts) - 1)
                p += 4 + len(d)
        out[1:4] = be(len(out) - 4, 3)
        return bytes(out)

    @staticmethod
    def mark_ext(marks, t, p, last):
        """The length fields of one extension, at p in the message."""
        inner = {EXT_SNI: ("sni", [("sni-list", 0, 2), ("sni-name", 3, 2)]),
                 EXT_ALPN: ("alpn", [("alpn-list", 0, 2),
                                     ("alpn-name", 2, 1)]),
                 EXT_VERSIONS: ("versions", [("versions-list", 0, 1)]),
                 EXT_KEY_SHARE: ("keyshare", [])}
        if last:
            marks.setdefault("ext-last", (p + 2, 2))
        if t in inner:
            name, fields = inner[t]
            marks.setdefault("ext-" + name, (p + 2, 2))
            for f, off, width in fields:
                marks.setdefault(f, (p + 4 + off, width))

    def records(self, cuts=(), rtype=HANDSHAKE):
        """Its records, the message split at the offsets in cuts."""
        return records(self.message(), cuts, self.rversion, rtype)


def records(msg, cuts=(), rversion=b"\x03\x01", rtype=HANDSHAKE):
    out, prev = b"", 0
    for c in list(cuts) + [len(msg)]:
        out += bytes([rtype]) + rversion + vec(2, msg[prev:c])
        prev = c
    return out


def sni_body(*names, name_type=0):
    return vec(2, b"".join(bytes([name_type]) + vec(2, n) for n in names))


def alpn_body(*protos):
    return vec(2, b"".join(vec(1, p) for p in protos))


def with_sni(h, body):
    h = h.copy()
    h.ext(EXT_SNI)[1] = body
    return h


def with_exts(h, n):
    """h with empty extensions of unknown types added, n in all."""
    h = h.copy()
    while len(h.exts) < n:
        h.exts.append([0xFF00 + len(h.exts), b""])
    return h


def ech_body():
    """An ECHClientHello of type outer (draft-ietf-tls-esni-22 5): HPKE
    suite HKDF-SHA256/AES-128-GCM, a config id, enc, payload."""
    return (b"\x00" + be(1, 2) + be(1, 2) + bytes([rng.randrange(256)]) +
            vec(2, rng.randbytes(32)) + vec(2, rng.randbytes(208)))


def length_mutations(h, files):
    """Every length field of h set to one more, one less, and all ones."""
    marks = {}
    whole = records(h.message(marks), (), h.rversion)
    # offsets in the one record: its own length at 3, the message at 5
    fields = [("record", 3, 2)]
    fields += [(k, 5 + off, width) for k, (off, width) in marks.items()]
    for name, at, width in fields:
        n = int.from_bytes(whole[at:at + width], "big")
        for how, value in (("plus1", n + 1), ("minus1", n - 1),
                           ("max", (1 << 8 * width) - 1)):
            files["len-%s-%s" % (name, how)] = (
                whole[:at] + be(value, width) + whole[at + width:])


def sslv2_hello():
    """An SSLv2-compatible CLIENT-HELLO (RFC 5246 E.2): a two-byte
    length with the high bit set, no record."""
    specs = b"\x00\x00\x2f\x00\x00\x35\x00\x00\xff"
    challenge = rng.randbytes(32)
    body = (b"\x01\x03\x01" + be(len(specs), 2) + be(0, 2) +
            be(len(challenge), 2) + specs + challenge)
    return be(0x8000 | len(body), 2) + body


def derive_fragmented(cap, files):
    """openssl-alpn, its handshake message cut into several records."""
    alpn = cap["openssl-alpn"]
    msg = alpn.message()
    files["frag-2"] = alpn.records([len(msg) // 2])
    files["frag-3"] = alpn.records([len(msg) // 3, 2 * len(msg) // 3])
    files["frag-header"] = alpn.records([1, 3])
    files["frag-bytes"] = alpn.records(range(1, len(msg)))
    files["frag-sni"] = alpn.records([msg.index(b"app.example.com") + 4])


def derive_ok(cap, files):
    """Valid hellos, reshaped."""
    curl = cap["curl"]
    h = curl.copy()
    h.exts.insert(-1, [EXT_ECH, ech_body()])
    files["ech"] = h.records()
    files["ech-frag"] = h.records([100, 400])
    h = cap["openssl-tls12-nosni"].copy()
    h.exts = None
    files["tls12-noext"] = h.records()
    h.exts = []
    files["tls12-emptyext"] = h.records()
    for name, host in (("sni-max", MAX_NAME), ("sni-max-dot", MAX_NAME + b"."),
                       ("sni-idn", b"xn--caf-dma.Example.com"),
                       ("sni-digits", b"1-2.3a.example")):
        files[name] = with_sni(curl, sni_body(host)).records()
    h = curl.copy()
    h.exts.insert(0, [0x0A0A, b""])
    h.exts.insert(-1, [0x1A1A, b"\x00"])
    h.ext(EXT_VERSIONS)[1] = vec(1, b"\x4a\x4a\x7f\x1c\x03\x04\x03\x03")
    files["grease"] = h.records()
    h = curl.copy()
    h.ext(EXT_PADDING)[1] = bytes(20000)
    assert len(h.message()) > 16384
    files["big-2rec"] = h.records([16384])
    files["trailing-records"] = (
        curl.records() + records(b"\x01", (), b"\x03\x03", CCS) +
        records(rng.randbytes(64), (), b"\x03\x03", APPDATA))
    files["exts-128"] = with_exts(cap["openssl-tls12-nosni"], 128).records()
    h = curl.copy()
    protos = [b"proto-%02d-xyz" % i for i in range(12)]
    h.ext(EXT_ALPN)[1] = alpn_body(b"h2", *protos, b"http/1.1")
    files["alpn-long"] = h.records()


def derive_bad_sni(cap, files):
    """curl, its server_name extension replaced."""
    curl, name = cap["curl"], b"app.example.com"
    for suffix, body in (
            ("two-names", sni_body(name, b"other.example.com")),
            ("two-types",
             vec(2, b"\x00" + vec(2, name) + b"\x01" + vec(2, b"x"))),
            ("type1", sni_body(name, name_type=1)),
            ("nul", sni_body(b"app.example.com\x00.evil.example")),
            ("space", sni_body(b"app example.com")),
            ("empty-label", sni_body(b"app..example.com")),
            ("leading-dot", sni_body(b".app.example.com")),
            ("dot", sni_body(b".")),
            ("two-dots", sni_body(b"app.example.com..")),
            ("hyphen-start", sni_body(b"-app.example.com")),
            ("hyphen-end", sni_body(b"app-.example.com")),
            ("hyphen-last", sni_body(b"app.example-")),
            ("label-64", sni_body(b"a" * 64 + b".example.com")),
            ("254", sni_body(MAX_NAME + b"d")),
            ("underscore", sni_body(b"my_app.example.com")),
            ("utf8", sni_body("café.example.com".encode())),
            ("empty-name", sni_body(b"")),
            ("empty-list", vec(2, b"")),
            ("ext-empty", b"")):
        files["sni-" + suffix] = with_sni(curl, body).records()
    h = curl.copy()
    h.exts.insert(-1, [EXT_SNI, sni_body(b"other.example.com")])
    files["sni-dup-ext"] = h.records()


def derive_bad_records(cap, files):
    """Records and handshake headers that carry no ClientHello."""
    whole, frag = cap["curl"].records(), cap["openssl-alpn"].records([100])
    second = 5 + 100
    files["record-4001"] = whole[:3] + be(0x4001, 2) + whole[5:]
    files["record-empty-first"] = records(b"", (), b"\x03\x01") + whole
    files["record-alert"] = bytes([ALERT]) + whole[1:]
    files["record-appdata-second"] = (
        frag[:second] + bytes([APPDATA]) + frag[second + 1:])
    files["record-version"] = whole[:1] + b"\x02\x01" + whole[3:]
    files["record-version-second"] = (
        frag[:second + 1] + b"\x02\x01" + frag[second + 3:])
    files["hs-server-hello"] = whole[:5] + b"\x02" + whole[6:]
    files["hs-trailing"] = records(cap["curl"].message() + b"\x01", (),
                                   cap["curl"].rversion)
    files["hs-legacy-version"] = whole[:9] + b"\x02\x00" + whole[11:]
    files["sslv2"] = sslv2_hello()
    files["http"] = b"GET / HTTP/1.1\r\nHost: app.example.com\r\n\r\n"


def derive_bad_fields(cap, files):
    """Fields and extensions that are malformed, repeated, misplaced."""
    curl = cap["curl"]
    length_mutations(curl, files)
    h = curl.copy()
    h.exts.insert(-1, list(h.ext(EXT_GROUPS)))
    files["ext-dup-groups"] = h.records()
    h = curl.copy()
    h.exts[-1:-1] = [[0x1234, b"a"], [0x1234, b"b"]]
    files["ext-dup-unknown"] = h.records()
    files["exts-129"] = with_exts(cap["openssl-tls12-nosni"], 129).records()
    h = cap["openssl-resume"].copy()
    h.exts[-2], h.exts[-1] = h.exts[-1], h.exts[-2]
    files["psk-not-last"] = h.records()
    h = curl.copy()
    h.compression = b"\x01"
    files["compression-no-null"] = h.records()
    h = curl.copy()
    h.ext(EXT_VERSIONS)[1] = vec(1, b"")
    files["versions-empty"] = h.records()
    h.ext(EXT_VERSIONS)[1] = vec(1, b"\x03\x04\x03")
    files["versions-odd"] = h.records()
    h = curl.copy()
    h.ext(EXT_ALPN)[1] = alpn_body(b"h2", b"")
    files["alpn-empty-name"] = h.records()
    h.ext(EXT_ALPN)[1] = vec(2, b"")
    files["alpn-empty-list"] = h.records()


def main():
    d = sys.argv[1]
    captures = ["openssl-tls12-sni", "openssl-tls12-nosni",
                "openssl-tls13-sni", "openssl-tls13-nosni", "openssl-alpn",
                "openssl-upper-dot", "openssl-resume", "curl", "gnutls-wget",
                "python"]
    cap = {}
    for name in captures:
        with open("%s/%s.bin" % (d, name), "rb") as f:
            data = f.read()
        cap[name] = Hello(data)
        # decoding and encoding again must give the capture back
        assert cap[name].records() == data, name
    files = {}
    derive_fragmented(cap, files)
    derive_ok(cap, files)
    derive_bad_sni(cap, files)
    derive_bad_records(cap, files)
    derive_bad_fields(cap, files)
    for name, data in sorted(files.items()):
        with open("%s/%s.bin" % (d, name), "wb") as f:
            f.write(data)
    print("derived %d files" % len(files))


main()
