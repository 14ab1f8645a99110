"""The fleet report in a real browser: headless Chromium opens a page `presence-stack report` wrote.

Usage: report_browser.py --chromium BIN --report REPORT.html --status STATUS.jsonl --screenshot OUT.png

STATUS.jsonl is `presence-stack status --json` on the same items and time. Checks, each one line:

- `--dump-dom`: the page's script ran to the end (`data-rendered="ok"`, no `data-error`); `<body>` carries the
  counts of STATUS.jsonl; the first page of the table has its rows; the embedded data lists every client of
  STATUS.jsonl, in order; the Content-Security-Policy forbids every fetch; no `src`, and every `href` a fragment.
- `--dump-dom` with a fragment (`#state=disconnected&sort=disconnects&dir=desc`): the filter and the sort ran.
- The DevTools protocol (`--remote-debugging-pipe`): the page requests nothing but its own file (Chromium's
  own background traffic is not the page's and is not counted); no exception, no console error, no CSP report;
  clicking through every page of the table shows every client once; a click on a header sorts, the state
  filter and the client search filter, and the view is kept in the URL's fragment.
- `--screenshot --window-size=1280,2000` of a device's timeline: a PNG that is not blank (many colours, no
  colour covering nearly all of it), read with the standard library.

Prints `report-browser: N passed, N failed` last. Exit status: 0 when every check passed, 1 otherwise, 2 on a
usage error.
"""

import argparse
import fcntl
import html.parser
import json
import os
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zlib

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGE = 50
TIMEOUT = 60

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"report-browser: {'ok  ' if ok else 'FAIL'} {name}{'' if ok else ': ' + detail}", flush=True)
    return ok


class Dom(html.parser.HTMLParser):
    """What the checks read of a dumped DOM: the body's attributes, the table's rows, the data, every URL."""

    def __init__(self):
        super().__init__()
        self.body = {}
        self.metas = []
        self.rows = []
        self.cell = None
        self.in_rows = False
        self.urls = []
        self.data = None
        self.in_data = False
        self.data_text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("src", "href", "xlink:href", "action", "srcset", "poster", "data", "formaction"):
            if key in a:
                self.urls.append((tag, key, a[key] or ""))
        if tag == "body":
            self.body = a
        elif tag == "meta":
            self.metas.append(a)
        elif tag == "tbody" and a.get("id") == "rows":
            self.in_rows = True
        elif tag == "tr" and self.in_rows:
            self.rows.append({"client": a.get("data-client"), "cells": []})
        elif tag == "td" and self.in_rows and self.rows:
            self.cell = []
        elif tag == "script" and a.get("id") == "fleet-data":
            self.in_data = True

    def handle_endtag(self, tag):
        if tag == "tbody":
            self.in_rows = False
        elif tag == "td" and self.cell is not None:
            self.rows[-1]["cells"].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "script" and self.in_data:
            self.in_data = False
            self.data = json.loads("".join(self.data_text))

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)
        if self.in_data:
            self.data_text.append(data)


def profile():
    return tempfile.mkdtemp(prefix="report-browser-profile-")


def run_chromium(chromium, extra, url):
    user = profile()
    try:
        out = subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={user}", *extra, url],
            capture_output=True,
            timeout=TIMEOUT,
            check=False,
        )
    finally:
        shutil.rmtree(user, ignore_errors=True)
    return out


def dump_dom(chromium, url):
    out = run_chromium(chromium, ["--dump-dom"], url)
    dom = Dom()
    dom.feed(out.stdout.decode("utf-8"))
    return dom


class Cdp:
    """The DevTools protocol over --remote-debugging-pipe: JSON messages ended by NUL, on fds 3 (in) and 4 (out)."""

    def __init__(self, chromium, url_for_start="about:blank"):
        cmd_r, cmd_w = os.pipe()
        res_r, res_w = os.pipe()
        # High fds, so that the shell's 3<& and 4>& never overwrite one another.
        self.high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 20) for fd in (cmd_r, res_w)]
        for fd in (cmd_r, res_w):
            os.close(fd)
        self.user = profile()
        argv = [chromium, *FLAGS, f"--user-data-dir={self.user}", "--remote-debugging-pipe", url_for_start]
        shell = f'exec "$@" 3<&{self.high[0]} 4>&{self.high[1]}'
        self.proc = subprocess.Popen(
            ["bash", "-c", shell, "chromium", *argv],
            pass_fds=self.high,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for fd in self.high:
            os.close(fd)
        self.w = cmd_w
        self.r = res_r
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium")
            ready, _, _ = select.select([self.r], [], [], left)
            if ready:
                chunk = os.read(self.r, 1 << 20)
                if not chunk:
                    raise EOFError("Chromium closed the pipe")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            m = self._read(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait(self, method, deadline_s=TIMEOUT):
        deadline = time.monotonic() + deadline_s
        while True:
            for i, m in enumerate(self.events):
                if m.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self._read(deadline))

    def close(self):
        try:
            self.send("Browser.close")
        except (OSError, RuntimeError, TimeoutError, EOFError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.w)
        os.close(self.r)
        shutil.rmtree(self.user, ignore_errors=True)


def png_colours(path):
    """Distinct colours of an 8-bit RGB or RGBA PNG, and the largest share one colour has."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width, height, kind = 8, [], 0, 0, 0
    while pos < len(raw):
        (length,) = struct.unpack(">I", raw[pos : pos + 4])
        ctype = raw[pos + 4 : pos + 8]
        body = raw[pos + 8 : pos + 8 + length]
        if ctype == b"IHDR":
            width, height, depth, kind = struct.unpack(">IIBB", body[:10])
            if depth != 8 or kind not in (2, 6):
                raise ValueError(f"PNG depth {depth} colour type {kind}")
        elif ctype == b"IDAT":
            idat.append(body)
        pos += 12 + length
    bpp = 3 if kind == 2 else 4
    data = zlib.decompress(b"".join(idat))
    stride = width * bpp
    prev = bytearray(stride)
    counts = {}
    for y in range(height):
        off = y * (stride + 1)
        ftype = data[off]
        line = bytearray(data[off + 1 : off + 1 + stride])
        if ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif ftype == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif ftype == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        # Every 4th pixel of every 4th row is plenty to tell a page from a blank one.
        if y % 4 == 0:
            row = bytes(line)
            for x in range(0, stride, bpp * 4):
                px = row[x : x + 3]
                counts[px] = counts.get(px, 0) + 1
        prev = line
    total = sum(counts.values())
    return width, height, len(counts), max(counts.values()) / total


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chromium", required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--status", required=True)
    ap.add_argument("--screenshot", required=True)
    args = ap.parse_args()

    with open(args.status, encoding="utf-8") as f:
        answers = [json.loads(line) for line in f if line.strip()]
    ids = [a["clientId"] for a in answers]
    want = {s: sum(1 for a in answers if a["state"] == s) for s in ("connected", "disconnected", "unknown")}
    url = "file://" + os.path.abspath(args.report)
    started = time.monotonic()

    # 1. The page as it opens.
    dom = dump_dom(args.chromium, url)
    b = dom.body
    check("the script ran to the end", b.get("data-rendered") == "ok" and "data-error" not in b, repr(b))
    for state, n in want.items():
        check(f"<body data-{state}> is status's {n}", b.get(f"data-{state}") == str(n), repr(b.get(f"data-{state}")))
    check("data-rows counts every client", b.get("data-rows") == str(len(ids)), repr(b.get("data-rows")))
    check(
        "the first page holds its rows",
        [r["client"] for r in dom.rows] == ids[:PAGE],
        f"{len(dom.rows)} rows: {[r['client'] for r in dom.rows][:3]}...",
    )
    data_ids = [d[0] for d in (dom.data or {}).get("devices", [])]
    check("the embedded data lists every client, in order", data_ids == ids, f"{len(data_ids)} of {len(ids)}")
    csp = [m.get("content") for m in dom.metas if (m.get("http-equiv") or "").lower() == "content-security-policy"]
    check("the Content-Security-Policy forbids every fetch", csp == [CSP], repr(csp))
    outside = [u for u in dom.urls if u[1] != "href" or not u[2].startswith("#")]
    check("no src, every href a fragment of the page", not outside, repr(outside[:5]))

    # 2. A filter and a sort, from the fragment.
    dom = dump_dom(args.chromium, url + "#state=disconnected&sort=disconnects&dir=desc")
    states = [r["cells"][1].split()[0] if len(r["cells"]) > 1 else "" for r in dom.rows]
    discs = [int(r["cells"][6]) for r in dom.rows if len(r["cells"]) > 6]
    check(
        "the state filter and the sort from the fragment",
        dom.body.get("data-rows") == str(want["disconnected"])
        and len(dom.rows) == min(PAGE, want["disconnected"])
        and all(s == "disconnected" for s in states)
        and discs == sorted(discs, reverse=True),
        f"rows {dom.body.get('data-rows')}, states {set(states)}, disconnects {discs[:8]}",
    )

    # 3. The DevTools protocol: every request the page makes, errors, and the table clicked through.
    cdp = Cdp(args.chromium)
    try:
        target = cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Network", "Page", "Runtime", "Log"):
            cdp.send(f"{domain}.enable", session=session)
        cdp.events.clear()
        cdp.send("Page.navigate", {"url": url}, session)
        cdp.wait("Page.loadEventFired")

        def evaluate(expression):
            r = cdp.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
            if "exceptionDetails" in r:
                raise RuntimeError(json.dumps(r["exceptionDetails"])[:500])
            return r["result"].get("value")

        walked = evaluate(
            """(() => {
              const ids = [], next = document.getElementById('next');
              for (let n = 0; n < 100000; n++) {
                document.querySelectorAll('#rows tr').forEach(tr => ids.push(tr.dataset.client));
                if (next.disabled) break;
                next.click();
              }
              return ids;
            })()"""
        )
        check("clicking through every page shows every client once", walked == ids, f"{len(walked or [])} rows")
        sorted_view = evaluate(
            """(() => {
              const th = document.querySelector('th[data-key=disconnects]');
              th.click(); th.click();
              const rows = [...document.querySelectorAll('#rows tr')];
              return {sort: th.getAttribute('aria-sort'), hash: location.hash,
                      values: rows.map(tr => Number(tr.children[6].textContent))};
            })()"""
        )
        values = sorted_view["values"]
        check(
            "a click on a header sorts, and the fragment keeps it",
            sorted_view["sort"] == "descending"
            and values == sorted(values, reverse=True)
            and "sort=disconnects" in sorted_view["hash"],
            repr(sorted_view)[:300],
        )
        filtered = evaluate(
            """(() => {
              const s = document.getElementById('state');
              s.value = 'unknown'; s.dispatchEvent(new Event('change'));
              const unknown = Number(document.body.dataset.rows);
              const states = [...document.querySelectorAll('#rows tr td:nth-child(2) .state')].map(e => e.textContent);
              s.value = ''; s.dispatchEvent(new Event('change'));
              const q = document.getElementById('q');
              q.value = QUERY; q.dispatchEvent(new Event('input'));
              const found = [...document.querySelectorAll('#rows tr')].map(tr => tr.dataset.client);
              return {unknown, states, found, hash: location.hash, error: document.body.dataset.error || null};
            })()""".replace("QUERY", json.dumps(ids[-1] if ids else ""))
        )
        check(
            "the state filter and the client search filter",
            filtered["unknown"] == want["unknown"]
            and all(s == "unknown" for s in filtered["states"])
            and filtered["found"] == ids[-1:]
            and filtered["error"] is None
            and "q=" in filtered["hash"],
            repr(filtered)[:300],
        )
        time.sleep(0.2)
        cdp.send("Runtime.evaluate", {"expression": "1"}, session)
        requests = [m["params"]["request"]["url"] for m in cdp.events if m.get("method") == "Network.requestWillBeSent"]
        foreign = [u for u in requests if not u.startswith("file://")]
        check(
            "the page fetches nothing but its own file",
            bool(requests) and not foreign,
            f"{len(requests)} requests: {foreign[:5]}",
        )
        errors = [
            m["params"]
            for m in cdp.events
            if m.get("method") == "Runtime.exceptionThrown"
            or (m.get("method") == "Log.entryAdded" and m["params"]["entry"]["level"] == "error")
            or (m.get("method") == "Runtime.consoleAPICalled" and m["params"]["type"] == "error")
        ]
        check("no exception, console error or CSP report", not errors, json.dumps(errors)[:500])
    except (OSError, RuntimeError, TimeoutError, EOFError, KeyError, TypeError) as e:
        check("the DevTools session", False, repr(e))
    finally:
        cdp.close()

    # 4. A screenshot of a device's timeline: not blank.
    flapping = [d[0] for d in (dom.data or {}).get("devices", []) if d[9] > 0]
    device = (flapping or ids or [""])[0]
    shot = os.path.abspath(args.screenshot)
    if os.path.exists(shot):
        os.remove(shot)
    frag = "#device=" + urllib.parse.quote(device, safe="-_.~")
    run_chromium(args.chromium, [f"--screenshot={shot}", "--window-size=1280,2000"], url + frag)
    try:
        w, h, colours, top = png_colours(shot)
        check(
            f"the screenshot is not blank ({w}x{h}, {colours} colours, the commonest {top:.0%})",
            (w, h) == (1280, 2000) and colours >= 32 and top < 0.9,
            f"{w}x{h}, {colours} colours, {top:.0%}",
        )
    except (OSError, ValueError, zlib.error) as e:
        check("the screenshot", False, repr(e))

    failed = results.count(False)
    print(f"report-browser: {len(ids)} clients, {time.monotonic() - started:.1f} s in Chromium")
    print(f"report-browser: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
