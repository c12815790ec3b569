"""A labelled corpus of structured events for scrub_pii: JSON objects with personal data and secrets
planted at every depth (nested objects, arrays, free text, keys of any name, keys that name a
secret) among decoys that must survive (trace and span ids, UUIDs, block and transaction hashes,
versions, order numbers that fail Luhn, timestamps, ports, git commits, peer ids).

make_corpus(n, seed) -> [(json_line, planted_values, decoy_values)]

Mnemonics come from python3-mnemonic (an implementation of BIP-39 independent of logship's), so
Debian's python3 must run this.
"""
import base64
import hashlib
import json
import random

from mnemonic import Mnemonic

_WORDS = ["contact", "primary", "value", "data", "info", "note", "owner", "meta", "payload", "who",
          "ref", "extra", "detail", "attrs", "customer", "billing", "shipping", "profile", "k",
          "field7", "to", "from", "reporter", "target", "item"]
_SECRET_KEYS = ["password", "db_password", "apiKey", "X-Api-Key", "client_secret", "access_token",
                "refreshToken", "Authorization", "cookie", "sessionId", "private_key", "passwd",
                "secret", "adminPassword", "user_token", "mnemonic", "seed"]
_FIRST = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]
_DOMAINS = ["example.com", "mail.example.org", "corp.example.net", "customer.io", "gmail.com"]


class _Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.m = Mnemonic("english")

    def hexs(self, n):
        return "".join(self.r.choice("0123456789abcdef") for _ in range(n))

    def luhn_complete(self, digits):
        total = 0
        for i, d in enumerate(reversed(digits)):
            d = int(d)
            if i % 2 == 0:
                d = d * 2
                d = d - 9 if d > 9 else d
            total += d
        return digits + str((10 - total % 10) % 10)

    # --- personal data and secrets -------------------------------------------------------------
    def email(self):
        r = self.r
        return f"{r.choice(_FIRST)}.{r.choice(_FIRST)}{r.randint(1, 999)}@{r.choice(_DOMAINS)}"

    def ipv4(self):
        r = self.r
        while True:
            a = r.randint(1, 223)
            if a != 127:
                return f"{a}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"

    def ipv6(self):
        r = self.r
        groups = [f"{r.randint(0, 0xffff):x}" for _ in range(8)]
        groups[0] = r.choice(["2001", "2a02", "2600", "fd12"])
        if r.random() < 0.5:
            return ":".join(groups)
        return ":".join(groups[:3]) + "::" + ":".join(groups[6:])

    def card(self):
        r = self.r
        prefix, length = r.choice([("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("34", 15),
                                   ("37", 15), ("6011", 16), ("35" + str(r.randint(28, 89)), 16)])
        body = prefix + "".join(str(r.randint(0, 9)) for _ in range(length - len(prefix) - 1))
        number = self.luhn_complete(body)
        sep = r.choice(["", " ", "-"])
        if not sep:
            return number
        if length == 15:
            return sep.join([number[:4], number[4:10], number[10:]])
        return sep.join(number[i:i + 4] for i in range(0, 16, 4))

    def ssn(self):
        r = self.r
        area = r.choice([x for x in range(1, 900) if x != 666])
        return f"{area:03d}-{r.randint(1, 99):02d}-{r.randint(1, 9999):04d}"

    def phone(self):
        r = self.r
        area = r.randint(201, 989)
        if r.random() < 0.5:
            return f"+1 {area} 555 {r.randint(100, 9999):04d}"
        return r.choice([f"+44 20 {r.randint(1000, 9999)} {r.randint(1000, 9999)}",
                         f"+49 30 {r.randint(100000, 999999)}",
                         f"({area}) 555-{r.randint(1000, 9999)}",
                         f"{area}-555-{r.randint(1000, 9999)}"])

    def jwt(self):
        def b64(obj):
            raw = json.dumps(obj, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        header = b64({"alg": self.r.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"})
        claims = b64({"sub": f"user-{self.r.randint(1, 10 ** 6)}", "iat": self.r.randint(1.6e9, 1.8e9)})
        sig = base64.urlsafe_b64encode(self.r.randbytes(32)).rstrip(b"=").decode()
        return f"{header}.{claims}.{sig}"

    def opaque_secret(self):
        r = self.r
        alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#%^*-_"
        return "".join(r.choice(alphabet) for _ in range(r.randint(8, 24)))

    def aws_key(self):
        return self.r.choice(["AKIA", "ASIA"]) + "".join(
            self.r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))

    def mnemonic_phrase(self):
        strength = self.r.choice([128, 160, 192, 224, 256])
        return self.m.to_mnemonic(self.r.randbytes(strength // 8))

    def suri(self):
        return self.r.choice(["//Alice", "//Bob//stash", "//Charlie", f"//validator-{self.r.randint(1, 99)}",
                              f"//hard/soft///{self.opaque_secret().replace('/', 'x')}"])

    def seed_hex(self):
        return "0x" + self.hexs(64)

    # --- decoys ---------------------------------------------------------------------------------
    def decoy(self):
        r = self.r
        kind = r.randrange(12)
        if kind == 0:
            return self.hexs(32)  # trace id
        if kind == 1:
            return self.hexs(16)  # span id
        if kind == 2:
            h = self.hexs(32)
            return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"  # UUID
        if kind == 3:
            return "0x" + self.hexs(64)  # block hash, no key word
        if kind == 4:
            return f"v{r.randint(0, 9)}.{r.randint(0, 30)}.{r.randint(0, 99)}"
        if kind == 5:
            while True:  # 16 digits in groups that fail Luhn
                digits = "".join(str(r.randint(0, 9)) for _ in range(16))
                if self.luhn_complete(digits[:15]) != digits:
                    return " ".join(digits[i:i + 4] for i in range(0, 16, 4))
        if kind == 6:
            return f"2026-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:00Z"
        if kind == 7:
            return str(r.randint(1_600_000_000_000, 1_800_000_000_000))  # epoch ms
        if kind == 8:
            return self.hexs(40)  # git commit
        if kind == 9:
            return "12D3KooW" + "".join(r.choice("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz") for _ in range(44))
        if kind == 10:
            return f"ORD-{r.randint(10 ** 7, 10 ** 8 - 1)}"
        return f"checkout-{self.hexs(10)}-{self.hexs(5)}"  # pod name


def make_corpus(n, seed=7):
    g = _Gen(seed)
    r = g.r
    plain_kinds = [g.email, g.ipv4, g.ipv6, g.card, g.ssn, g.phone, g.jwt, g.aws_key,
                   g.mnemonic_phrase, g.suri]
    texts = [lambda v: f"contact me at {v} please", lambda v: f"login from {v} rejected",
             lambda v: f"value={v}", lambda v: f"[{v}]", lambda v: v]
    events = []
    for i in range(n):
        planted, decoys = [], []

        def pii(keyed=True):
            roll = r.random()
            if keyed and roll < 0.15:  # a secret under a key that names one
                return r.choice(_SECRET_KEYS), g.opaque_secret() if r.random() < 0.7 else r.choice(
                    [g.seed_hex(), g.mnemonic_phrase(), g.aws_key()])
            value = r.choice(plain_kinds)()
            planted.append(value)
            text = r.choice(texts)(value) if r.random() < 0.4 else value
            return r.choice(_WORDS) + str(r.randint(0, 9)), text

        def leaf(keyed=True):
            if r.random() < 0.45:
                key, text = pii(keyed)
                if text not in planted and not any(p in text for p in planted):
                    planted.append(text)
                return key, text
            d = g.decoy()
            decoys.append(d)
            return r.choice(["trace_id", "span", "request_id", "block", "version", "order", "at",
                             "commit", "peer", "ref", "pod", "ts"]) + str(r.randint(0, 9)), d

        def obj(depth):
            o = {}
            for _ in range(r.randint(1, 4)):
                roll = r.random()
                if depth < 4 and roll < 0.25:
                    k, v = r.choice(_WORDS) + str(r.randint(0, 99)), obj(depth + 1)
                elif roll < 0.4:
                    k = r.choice(_WORDS) + "s" + str(r.randint(0, 99))
                    v = [leaf(keyed=False)[1] for _ in range(r.randint(1, 3))]
                else:
                    k, v = leaf()
                while k in o:  # a repeated key would drop a labelled value from the event
                    k += "_"
                o[k] = v
            return o

        event = {"ts": f"2026-11-{1 + i % 28:02d}T10:00:{i % 60:02d}.000Z", "level": "info",
                 "msg": "event " + str(i)}
        event.update(obj(0))
        events.append((json.dumps(event, separators=(",", ":")), planted, decoys))
    return events
