package routers

import (
	"testing"

	"k8s.io/client-go/rest"
)

func TestPodExecURL(t *testing.T) {
	p, err := NewPodExecutor(&rest.Config{Host: "https://127.0.0.1:6443"}, "metallb-system", "speaker-x2k9", "frr")
	if err != nil {
		t.Fatal(err)
	}
	u, err := p.execURL([]string{"vtysh", "-c", "show bgp neighbors json"}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := "https://127.0.0.1:6443/api/v1/namespaces/metallb-system/pods/speaker-x2k9/exec?" +
		"command=vtysh&command=-c&command=show+bgp+neighbors+json&container=frr&stderr=true&stdout=true"
	if u.String() != want {
		t.Errorf("exec URL\n got %s\nwant %s", u, want)
	}
	// A shell (NewPodShellExecutor) reads its commands on stdin.
	u, err = p.execURL([]string{"sh"}, true)
	if err != nil {
		t.Fatal(err)
	}
	want = "https://127.0.0.1:6443/api/v1/namespaces/metallb-system/pods/speaker-x2k9/exec?" +
		"command=sh&container=frr&stderr=true&stdin=true&stdout=true"
	if u.String() != want {
		t.Errorf("shell exec URL\n got %s\nwant %s", u, want)
	}
}

func TestNewPodExecutorRejects(t *testing.T) {
	cfg := &rest.Config{Host: "https://127.0.0.1:6443"}
	for _, c := range []struct {
		cfg                       *rest.Config
		namespace, pod, container string
	}{
		{nil, "ns", "pod", "frr"},
		{cfg, "", "pod", "frr"},
		{cfg, "ns", "", "frr"},
		{cfg, "ns", "pod", ""},
	} {
		if _, err := NewPodExecutor(c.cfg, c.namespace, c.pod, c.container); err == nil {
			t.Errorf("NewPodExecutor(%v, %q, %q, %q) accepted", c.cfg, c.namespace, c.pod, c.container)
		}
	}
}
