// Command store-driver is the store benchmark's compiled load driver: one cell (an operation at one
// concurrency for a bounded time) against etcd through its native gRPC client (clientv3) or against
// redoubt through its public HTTP API (a keep-alive connection pool), with the same closed-loop model on
// both sides: `concurrency` goroutines, each sending its next request as soon as the previous one answered.
// It prints one JSON object (throughput, latency percentiles, the driver's own CPU) on stdout.
//
// Built by apps/gateway/bench/go-driver.ts in GOPATH mode (GO111MODULE=off) against Debian's
// golang-etcd-server-dev; a compiled driver keeps its own CPU small and the same for both targets, which
// matters on a two-core machine where the driver shares the CPUs with what it measures.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.etcd.io/etcd/clientv3"
)

type result struct {
	Concurrency     int     `json:"concurrency"`
	DurationSeconds float64 `json:"durationSeconds"`
	Requests        int     `json:"requests"`
	Errors          int64   `json:"errors"`
	Rps             float64 `json:"rps"`
	P50Ms           float64 `json:"p50Ms"`
	P99Ms           float64 `json:"p99Ms"`
	MaxMs           float64 `json:"maxMs"`
	FirstError      string  `json:"firstError,omitempty"`
	// CPU the driver used during the measured part, per successful request.
	DriverCPUMicrosPerRequest float64 `json:"driverCpuMicrosPerRequest"`
}

// One request by worker w for the key of index k; returns nil on success.
type sender func(w, k int) error

// The benchmark's key space: the same keys the Node driver uses (store.bench.ts).
func benchKey(i int) string {
	return "bench:" + strconv.FormatInt(int64(i), 36) + ":" + strconv.FormatInt(int64(i)*2654435761%1000003, 10)
}

func keyIndex(worker, i, keys int) int { return (worker*7919 + i*104729) % keys }

func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// Runs the closed loop for d; latencies of successful requests only (errors are counted).
func closedLoop(concurrency, keys int, d time.Duration, send sender) result {
	var errors int64
	var firstError atomic.Value
	lat := make([][]time.Duration, concurrency)
	var wg sync.WaitGroup
	cpu0 := cpuSeconds()
	start := time.Now()
	end := start.Add(d)
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			mine := make([]time.Duration, 0, 1<<14)
			for i := 0; ; i++ {
				t0 := time.Now()
				if !t0.Before(end) {
					break
				}
				if err := send(w, keyIndex(w, i, keys)); err != nil {
					atomic.AddInt64(&errors, 1)
					firstError.CompareAndSwap(nil, err.Error())
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			lat[w] = mine
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	cpu := cpuSeconds() - cpu0
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	at := func(q float64) float64 {
		if len(all) == 0 {
			return 0
		}
		k := int(q * float64(len(all)))
		if k >= len(all) {
			k = len(all) - 1
		}
		return float64(all[k].Microseconds()) / 1000
	}
	r := result{
		Concurrency: concurrency, DurationSeconds: elapsed, Requests: len(all), Errors: errors,
		Rps: float64(len(all)) / elapsed, P50Ms: at(0.5), P99Ms: at(0.99), MaxMs: at(1),
	}
	if len(all) > 0 {
		r.DriverCPUMicrosPerRequest = cpu * 1e6 / float64(len(all))
	}
	if e, ok := firstError.Load().(string); ok {
		r.FirstError = e
	}
	return r
}

func etcdSender(endpoints []string, op string, keys int, value []byte) (sender, func()) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 10 * time.Second})
	if err != nil {
		fail(err)
	}
	kv := clientv3.NewKV(cli)
	names := make([]string, keys)
	for i := range names {
		names[i] = benchKey(i)
	}
	val := string(value)
	var send sender
	switch op {
	case "put", "populate":
		send = func(w, k int) error {
			_, err := kv.Put(context.Background(), names[k], val)
			return err
		}
	case "get-linearizable", "get-serializable":
		var opts []clientv3.OpOption
		if op == "get-serializable" {
			opts = append(opts, clientv3.WithSerializable())
		}
		send = func(w, k int) error {
			res, err := kv.Get(context.Background(), names[k], opts...)
			if err == nil && len(res.Kvs) != 1 {
				return fmt.Errorf("key not found")
			}
			return err
		}
	default:
		fail(fmt.Errorf("etcd: unknown op %q", op))
	}
	return send, func() { _ = cli.Close() }
}

func httpSender(origins []string, op string, keys, concurrency int, value []byte, apiKey string) (sender, func()) {
	// One pool per origin with as many keep-alive connections as workers using it (worker w uses origin
	// w mod n, a client spreading its connections over the gateways).
	perOrigin := (concurrency + len(origins) - 1) / len(origins)
	transport := &http.Transport{
		MaxIdleConns:        concurrency + len(origins),
		MaxIdleConnsPerHost: perOrigin,
		MaxConnsPerHost:     perOrigin,
		DisableCompression:  true,
		IdleConnTimeout:     60 * time.Second,
	}
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	urls := make([][]string, len(origins))
	for o, origin := range origins {
		urls[o] = make([]string, keys)
		for i := range urls[o] {
			urls[o][i] = strings.TrimRight(origin, "/") + "/v1/kv/" + url.PathEscape(benchKey(i))
		}
	}
	auth := "Bearer " + apiKey
	do := func(req *http.Request, want int) error {
		req.Header.Set("authorization", auth)
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, res.Body) // drain, so the connection is reused
		res.Body.Close()
		if res.StatusCode != want {
			return fmt.Errorf("HTTP %d", res.StatusCode)
		}
		return nil
	}
	var send sender
	switch op {
	case "put", "populate":
		send = func(w, k int) error {
			req, _ := http.NewRequest(http.MethodPut, urls[w%len(origins)][k], bytes.NewReader(value))
			req.Header.Set("content-type", "application/octet-stream")
			return do(req, http.StatusCreated)
		}
	case "get", "get-all":
		send = func(w, k int) error {
			req, _ := http.NewRequest(http.MethodGet, urls[w%len(origins)][k], nil)
			if op == "get-all" {
				req.Header.Set("x-redoubt-consistency", "all") // R = N = 3
			}
			return do(req, http.StatusOK)
		}
	default:
		fail(fmt.Errorf("http: unknown op %q", op))
	}
	return send, transport.CloseIdleConnections
}

// Populate: every key once, `concurrency` at a time (before the reads).
func populate(send sender, keys, concurrency int) int64 {
	var next, failed int64
	var wg sync.WaitGroup
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				k := int(atomic.AddInt64(&next, 1) - 1)
				if k >= keys {
					return
				}
				if err := send(w, k); err != nil {
					atomic.AddInt64(&failed, 1)
				}
			}
		}(w)
	}
	wg.Wait()
	return failed
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "store-driver:", err)
	os.Exit(2)
}

func main() {
	target := flag.String("target", "", "etcd (clientv3, gRPC) or http (redoubt's public API)")
	endpoints := flag.String("endpoints", "", "comma-separated: etcd client URLs, or gateway origins")
	op := flag.String("op", "put", "put, populate; etcd: get-linearizable, get-serializable; http: get (quorum, R=2), get-all (R=3)")
	concurrency := flag.Int("concurrency", 1, "closed-loop workers")
	duration := flag.Duration("duration", 15*time.Second, "measured time")
	warmup := flag.Duration("warmup", 3*time.Second, "unmeasured time first, at the same concurrency")
	keys := flag.Int("keys", 10000, "key space")
	valueBytes := flag.Int("value-bytes", 256, "value size")
	flag.Parse()
	value := bytes.Repeat([]byte{'v'}, *valueBytes)
	list := strings.Split(*endpoints, ",")
	var send sender
	var closeFn func()
	switch *target {
	case "etcd":
		send, closeFn = etcdSender(list, *op, *keys, value)
	case "http":
		apiKey := os.Getenv("REDOUBT_API_KEY")
		if apiKey == "" {
			fail(fmt.Errorf("REDOUBT_API_KEY is not set"))
		}
		send, closeFn = httpSender(list, *op, *keys, max(*concurrency, 1), value, apiKey)
	default:
		fail(fmt.Errorf("unknown target %q", *target))
	}
	defer closeFn()
	if *op == "populate" {
		failed := populate(send, *keys, max(*concurrency, 1))
		_ = json.NewEncoder(os.Stdout).Encode(map[string]int64{"keys": int64(*keys), "failed": failed})
		return
	}
	if *warmup > 0 {
		closedLoop(*concurrency, *keys, *warmup, send)
	}
	_ = json.NewEncoder(os.Stdout).Encode(closedLoop(*concurrency, *keys, *duration, send))
}

func max(a, b int) int {
	if a > b {
		return a
	}
	return b
}
