"""The peer for `npm run bench`: the same no-op DAGs on Dask distributed (Debian's python3-distributed),
LocalCluster with two worker processes on loopback. Prints one JSON object: wall seconds per shape."""
import json
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


def main():
    fan, length = int(sys.argv[1]), int(sys.argv[2])
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=50) as cluster, Client(cluster) as client:
        fan_out(client, 100)  # warm up workers and the scheduler
        start = time.perf_counter()
        fan_out(client, fan)
        fan_s = time.perf_counter() - start
        start = time.perf_counter()
        chain(client, length)
        chain_s = time.perf_counter() - start
    print(json.dumps({"fanOutSeconds": fan_s, "fanOutTasks": fan + 1, "chainSeconds": chain_s, "chainTasks": length}))


if __name__ == "__main__":
    main()
