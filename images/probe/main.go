// Command peerlab-probe sends a steady stream of short HTTP requests to one
// address, each on a new TCP connection (so ECMP hashing spreads them over
// next hops), and records every request as one JSON line: when it was sent,
// how long it took, whether it succeeded and which node's backend answered.
// peerlab copies it into a client container to measure what a fault costs
// in traffic. It stops after -for, on SIGTERM/SIGINT, or when the stop file
// appears.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// Record is one request.
type Record struct {
	Sent  int64   `json:"t"`  // unix ns
	Ms    float64 `json:"ms"` // until the answer or the error
	OK    bool    `json:"ok"`
	Node  string  `json:"node,omitempty"`
	Error string  `json:"err,omitempty"`
}

func main() {
	url := flag.String("url", "", "what to request (http://IP:PORT/)")
	rate := flag.Int("rate", 100, "requests per second")
	timeout := flag.Duration("timeout", time.Second, "per request")
	total := flag.Duration("for", 5*time.Minute, "stop after this long at the latest")
	out := flag.String("out", "/tmp/peerlab-probe.jsonl", "where the records go")
	stop := flag.String("stop-file", "/tmp/peerlab-probe.stop", "stop when this file exists")
	flag.Parse()
	if *url == "" || *rate <= 0 {
		fmt.Fprintln(os.Stderr, "peerlab-probe: give -url and a positive -rate")
		os.Exit(2)
	}
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriter(f)
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()
	ctx, cancel2 := context.WithTimeout(ctx, *total)
	defer cancel2()

	client := &http.Client{
		Timeout:   *timeout,
		Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
	}
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	record := func(r Record) {
		b, _ := json.Marshal(r)
		mu.Lock()
		defer mu.Unlock()
		w.Write(append(b, '\n'))
	}
	tick := time.NewTicker(time.Second / time.Duration(*rate))
	defer tick.Stop()
	check := time.NewTicker(100 * time.Millisecond)
	defer check.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-check.C:
			if _, err := os.Stat(*stop); err == nil {
				break loop
			}
			// What is written survives the probe being killed.
			mu.Lock()
			w.Flush()
			mu.Unlock()
		case <-tick.C:
			wg.Add(1)
			go func() {
				defer wg.Done()
				start := time.Now()
				r := Record{Sent: start.UnixNano()}
				resp, err := client.Get(*url)
				if err == nil {
					var reply struct {
						Node string `json:"node"`
					}
					body, rerr := io.ReadAll(resp.Body)
					resp.Body.Close()
					switch {
					case rerr != nil:
						err = rerr
					case resp.StatusCode != http.StatusOK:
						err = fmt.Errorf("HTTP %d", resp.StatusCode)
					case json.Unmarshal(body, &reply) != nil || reply.Node == "":
						err = fmt.Errorf("not a backend answer: %.80q", body)
					default:
						r.OK, r.Node = true, reply.Node
					}
				}
				if err != nil {
					r.Error = err.Error()
				}
				r.Ms = float64(time.Since(start).Microseconds()) / 1000
				record(r)
			}()
		}
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	f.Close()
}
