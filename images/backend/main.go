// Command backend is the HTTP server peerlab deploys behind LoadBalancer
// services. Every answer names the pod and node that served it and the
// client address the pod saw, so a reachability check can count which
// nodes and pods answered and whether the client's source address survived.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"time"
)

// Reply is what GET / answers, as JSON.
type Reply struct {
	Pod    string `json:"pod"`
	Node   string `json:"node"`
	PodIP  string `json:"podIP"`
	Client string `json:"client"`
}

func main() {
	addr := flag.String("listen", ":8080", "address to listen on")
	flag.Parse()
	me := Reply{Pod: os.Getenv("POD_NAME"), Node: os.Getenv("NODE_NAME"), PodIP: os.Getenv("POD_IP")}
	if me.Pod == "" {
		me.Pod, _ = os.Hostname()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		reply := me
		reply.Client, _, _ = net.SplitHostPort(r.RemoteAddr)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(reply)
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Printf("backend %s on node %s listening on %s", me.Pod, me.Node, *addr)
	log.Fatal(srv.ListenAndServe())
}
