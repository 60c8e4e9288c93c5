"""The peer for `npm run bench`: the same no-op DAGs on Dask distributed (Debian's python3-distributed),
LocalCluster with two worker processes (one thread each) on loopback. Prints one JSON object: wall
seconds per shape.

    dask_peer.py FAN CHAIN                      a fan-out of FAN (+ fan-in) and a chain of CHAIN, the median
                                                of 3 runs each after a warm-up
    dask_peer.py FAN CHAIN SMALL_FAN SMALL_CHAIN RUNS
                                                also the BullMQ executor's shapes (a fan-out of SMALL_FAN +
                                                fan-in, a chain of SMALL_CHAIN), RUNS times each after a
                                                warm-up: "small" in the output, with every run and the median
"""
import json
import statistics
import sys
import time

from dask.distributed import Client, LocalCluster


def noop(*args):
    return 0


def fan_out(client, n):
    futures = [client.submit(noop, i, pure=False) for i in range(n)]
    total = client.submit(lambda *xs: len(xs), *futures, pure=False)
    return total.result()


def chain(client, n):
    x = client.submit(noop, 0, pure=False)
    for _ in range(n - 1):
        x = client.submit(noop, x, pure=False)
    return x.result()


# Runs of the big shapes; the figures are their medians (bench/dispatcher.ts does the same).
RUNS = 3


def timed(run, *args):
    start = time.perf_counter()
    run(*args)
    return time.perf_counter() - start


def main():
    fan, length = int(sys.argv[1]), int(sys.argv[2])
    small = [int(a) for a in sys.argv[3:6]] if len(sys.argv) >= 6 else None
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=50) as cluster, Client(cluster) as client:
        fan_out(client, 100)  # warm up workers and the scheduler on both shapes, as the Valence side does
        chain(client, 100)
        fans, chains = [], []
        for _ in range(RUNS):
            fans.append(timed(fan_out, client, fan))
            chains.append(timed(chain, client, length))
        figures = {
            "fanOutSeconds": statistics.median(fans),
            "fanOutTasks": fan + 1,
            "chainSeconds": statistics.median(chains),
            "chainTasks": length,
        }
        if small:
            small_fan, small_chain, runs = small
            fan_out(client, small_fan)
            chain(client, small_chain)
            fans, chains = [], []
            for _ in range(runs):
                chains.append(timed(chain, client, small_chain))
                fans.append(timed(fan_out, client, small_fan))
            figures["small"] = {
                "fanOut": small_fan,
                "chain": small_chain,
                "fanOutSecondsRuns": fans,
                "chainSecondsRuns": chains,
                "fanOutMedianSeconds": statistics.median(fans),
                "chainMedianSeconds": statistics.median(chains),
            }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
