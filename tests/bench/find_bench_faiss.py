"""FAISS IndexFlatIP on the find benchmark's vectors, for docs/performance.md.

usage: /usr/bin/python3 find_bench_faiss.py VECTORS.f32 N DIMS QUERY.f32 SECONDS CLIENTS...

For each client count: that many threads each call index.search() with one query (k=10) until
SECONDS pass (FAISS single-threaded per call, as a server would run it), every latency recorded;
then one call with 256 queries at once (BLAS, all cores), the most it can do per pass. Prints one
JSON line per row.
"""
import json
import sys
import threading
import time

import faiss
import numpy as np


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, len(values) * p // 100)]


def main():
    path, n, dims, qpath, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
    clients = [int(c) for c in sys.argv[6:]]
    data = np.fromfile(path, dtype=np.float32, count=n * dims).reshape(n, dims)
    query = np.fromfile(qpath, dtype=np.float32, count=dims).reshape(1, dims)
    index = faiss.IndexFlatIP(dims)
    index.add(data)
    faiss.omp_set_num_threads(1)
    index.search(query, 10)
    for c in clients:
        latencies = [[] for _ in range(c)]
        stop = time.monotonic() + seconds

        def run(mine):
            while time.monotonic() < stop:
                t = time.monotonic()
                index.search(query, 10)
                mine.append((time.monotonic() - t) * 1000.0)

        threads = [threading.Thread(target=run, args=(latencies[i],)) for i in range(c)]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
        flat = [x for lat in latencies for x in lat]
        print(json.dumps({"method": "faiss", "clients": c, "queries": len(flat),
                          "qps": round(len(flat) / elapsed, 1), "p50_ms": round(percentile(flat, 50), 3),
                          "p99_ms": round(percentile(flat, 99), 3)}), flush=True)
    faiss.omp_set_num_threads(2)
    batch = np.repeat(query, 256, axis=0)
    t = time.monotonic()
    index.search(batch, 10)
    elapsed = time.monotonic() - t
    print(json.dumps({"method": "faiss_batch256", "clients": 0, "queries": 256,
                      "qps": round(256 / elapsed, 1), "p50_ms": round(elapsed * 1000.0, 3),
                      "p99_ms": round(elapsed * 1000.0, 3)}), flush=True)


if __name__ == "__main__":
    main()
