"""A webhook receiver for tests, run as its own process: `python -m tests.receiver`.

It prints its port on the first line, then records every request it gets (headers and
body, as it arrives, before answering) and answers as told through `POST /control`
({"fail": N, "status": 500, "delay": seconds}): the next N requests get `status`, and
each answer waits `delay` seconds. `GET /requests` lists what arrived."""

import contextlib
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

state = {"fail": 0, "status": 500, "delay": 0.0}
received: list[dict] = []
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # quiet
        pass

    def _json(self, status: int, body) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        with lock:
            self._json(200, received)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
        if self.path == "/control":
            with lock:
                state.update(json.loads(body))
            self._json(200, state)
            return
        with lock:
            received.append({"path": self.path, "headers": dict(self.headers.items()),
                             "body": body, "at": time.time()})
            failing = state["fail"] > 0
            if failing:
                state["fail"] -= 1
            status, delay = (state["status"] if failing else 200), state["delay"]
        time.sleep(delay)
        with contextlib.suppress(OSError):  # the sender gave up or died while we waited
            self._json(status, {"ok": not failing})


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    deadline = float(sys.argv[1]) if len(sys.argv) > 1 else 600
    threading.Timer(deadline, server.shutdown).start()  # never outlives a test run
    server.serve_forever()


if __name__ == "__main__":
    main()
