package main

import (
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// bfdNice is the nice value given to every bfdd on the node (the MetalLB
// speakers' FRR). A lab runs a cluster, several routers and every BFD
// session on a couple of cores; under load, bfdd's 300 ms transmit timer
// ran up to 450 ms late ("CPU starvation" in FRR's log), the peer's 900 ms
// detection expired, and every session of the speaker went down with BFD.
// bfdd needs little CPU, only promptly: a lower nice value lets the
// scheduler run it ahead of the API server and kubelet when it wakes up.
const bfdNice = -10

// boostBFD gives every bfdd process on the node bfdNice (the DaemonSet runs
// with the host's PID namespace). New bfdd processes (a restarted speaker)
// are found at the next call.
func (d *daemon) boostBFD() {
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	seen := map[int]bool{}
	for _, e := range dirs {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil || strings.TrimSpace(string(comm)) != "bfdd" {
			continue
		}
		seen[pid] = true
		if d.boosted[pid] {
			continue
		}
		// Nice is per thread on Linux: set it on each of bfdd's threads.
		tasks, err := os.ReadDir(filepath.Join("/proc", e.Name(), "task"))
		if err != nil {
			continue
		}
		failed := false
		for _, task := range tasks {
			tid, err := strconv.Atoi(task.Name())
			if err != nil {
				continue
			}
			if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, bfdNice); err != nil {
				log.Printf("bfdd %d thread %d: set nice %d: %v", pid, tid, bfdNice, err)
				failed = true
			}
		}
		if failed {
			continue
		}
		log.Printf("bfdd %d: nice %d", pid, bfdNice)
		d.boosted[pid] = true
	}
	for pid := range d.boosted {
		if !seen[pid] {
			delete(d.boosted, pid)
		}
	}
}
