"""Kernel latency for `npm run bench`: the Valence kernel beside plain tslab, both started through
jupyter_client (Debian's python3-jupyter-client) as JupyterLab would start them.

Usage: kernel_peer.py DATA_DIR KERNEL... [--starts N] [--trivial N] [--declare N]
DATA_DIR holds kernels/<name>/kernel.json for each KERNEL. Kernels are started in turn (one start of
each, then again, N times). Per start: seconds from start_kernel() to the first kernel_info_reply,
and to the first `1 + 1` cell done (execute_reply and iopub idle: includes the compiler warm-up);
then `1 + 1` run --trivial times and `const xI = I;` run --declare times, each timed from the
execute_request sent to both its execute_reply and its iopub idle received. Prints one JSON object:
{kernel: {startSeconds: [...], kernelInfoSeconds: [...], trivialSeconds: [...], declareSeconds: [...]}}.

Our own loop rather than wait_for_ready(): stock tslab's kernel_info_reply has no "status" field.
"""
import argparse
import json
import os
import sys
import time
from queue import Empty

TIMEOUT = 120.0  # seconds for any one reply; a kernel that takes longer has failed


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir")
    parser.add_argument("kernels", nargs="+")
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--trivial", type=int, default=50)
    parser.add_argument("--declare", type=int, default=30)
    return parser.parse_args()


def remaining(deadline):
    left = deadline - time.perf_counter()
    if left <= 0:
        raise TimeoutError("kernel did not answer in time")
    return left


def wait_reply(kc, msg_ids, msg_type, deadline):
    """The first shell reply of msg_type to one of msg_ids (others, e.g. duplicate replies, skipped)."""
    while True:
        try:
            msg = kc.get_shell_msg(timeout=remaining(deadline))
        except Empty:
            continue
        if msg["header"]["msg_type"] == msg_type and msg["parent_header"].get("msg_id") in msg_ids:
            return msg


def wait_idle(kc, msg_ids, deadline):
    """Drain iopub until a status idle whose parent is one of msg_ids; returns the messages seen."""
    seen = []
    while True:
        try:
            msg = kc.get_iopub_msg(timeout=remaining(deadline))
        except Empty:
            continue
        seen.append(msg)
        if (
            msg["header"]["msg_type"] == "status"
            and msg["content"].get("execution_state") == "idle"
            and msg["parent_header"].get("msg_id") in msg_ids
        ):
            return seen


def execute(kc, code):
    """Seconds from execute_request sent to its execute_reply and its iopub idle both received."""
    start = time.perf_counter()
    msg_id = kc.execute(code)
    deadline = start + TIMEOUT
    reply = wait_reply(kc, {msg_id}, "execute_reply", deadline)
    seen = wait_idle(kc, {msg_id}, deadline)
    elapsed = time.perf_counter() - start
    if reply["content"].get("status") != "ok":
        errors = [m["content"] for m in seen if m["header"]["msg_type"] == "error"]
        raise RuntimeError(f"cell {code!r} failed: {reply['content']} {errors}")
    return elapsed


def wait_ready(kc, start):
    """kernel_info until a reply arrives and iopub is seen to be subscribed (the busy/idle of one of
    our kernel_info requests arrives), as JupyterLab does before it sends cells. Returns the seconds
    from start to the first kernel_info_reply."""
    deadline = start + TIMEOUT
    sent = {kc.kernel_info()}
    wait_reply(kc, sent, "kernel_info_reply", deadline)
    info_seconds = time.perf_counter() - start
    # PUB/SUB joins late: the kernel may have published before our subscription reached it.
    while True:
        try:
            wait_idle(kc, sent, min(deadline, time.perf_counter() + 0.1))
            return info_seconds
        except TimeoutError:
            if time.perf_counter() >= deadline:
                raise
            sent.add(kc.kernel_info())


def one_start(name, args, counter):
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name=name)
    start = time.perf_counter()
    km.start_kernel()
    kc = km.client()
    kc.start_channels(stdin=False, hb=False, control=False)  # as a notebook uses them
    try:
        info_seconds = wait_ready(kc, start)
        execute(kc, "1 + 1")
        start_seconds = time.perf_counter() - start
        trivial = [execute(kc, "1 + 1") for _ in range(args.trivial)]
        declare = []
        for _ in range(args.declare):
            counter[0] += 1
            declare.append(execute(kc, f"const x{counter[0]} = {counter[0]};"))
        return info_seconds, start_seconds, trivial, declare
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
        km.cleanup_resources()


def main():
    args = parse_args()
    os.environ["JUPYTER_PATH"] = args.data_dir
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    figures = {
        name: {"startSeconds": [], "kernelInfoSeconds": [], "trivialSeconds": [], "declareSeconds": []}
        for name in args.kernels
    }
    counter = [0]
    for _ in range(args.starts):
        for name in args.kernels:  # alternate, so drift on the machine hits every kernel alike
            info_seconds, start_seconds, trivial, declare = one_start(name, args, counter)
            fig = figures[name]
            fig["kernelInfoSeconds"].append(info_seconds)
            fig["startSeconds"].append(start_seconds)
            fig["trivialSeconds"].extend(trivial)
            fig["declareSeconds"].extend(declare)
            print(f"{name}: ready in {start_seconds:.2f} s", file=sys.stderr)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
