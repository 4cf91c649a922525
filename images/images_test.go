package images

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": ModeAuto, "auto": ModeAuto, "offline": ModeOffline, "upstream": ModeUpstream} {
		got, err := ParseMode(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got)
	}
	_, err := ParseMode("online")
	require.ErrorContains(t, err, "auto, offline or upstream")
}

func TestDefaultExecName(t *testing.T) {
	require.Equal(t, "server", defaultExecName("go.etcd.io/etcd/server/v3"))
	require.Equal(t, "kubelet", defaultExecName("k8s.io/kubernetes/cmd/kubelet"))
	require.Equal(t, "coredns", defaultExecName("github.com/coredns/coredns"))
	require.Equal(t, "v8x", defaultExecName("example.com/a/v8x"))
}

func TestGoBuildHashChangesWithInputs(t *testing.T) {
	k := &Kit{hashes: map[string]string{}}
	a, err := k.goBuildHash(etcdBuild())
	require.NoError(t, err)
	again, err := k.goBuildHash(etcdBuild())
	require.NoError(t, err)
	require.Equal(t, a, again, "the same inputs hash the same")
	b := etcdBuild()
	b.LDFlags += " -X main.x=y"
	h, err := k.goBuildHash(b)
	require.NoError(t, err)
	require.NotEqual(t, a, h, "ldflags are an input")
}

func TestRootfsHashCoversFiles(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "x")
	require.NoError(t, os.WriteFile(f, []byte("one"), 0o644))
	k := &Kit{}
	r := rootfs{Name: "t", Suite: "bookworm", Files: map[string]string{"/x": f}}
	h1, err := k.rootfsHash(r)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(f, []byte("two"), 0o644))
	h2, err := k.rootfsHash(r)
	require.NoError(t, err)
	require.NotEqual(t, h1, h2)
}

// appendTar must never name a path twice: docker import rejects that.
func TestAppendTarReplacesAndDeduplicates(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.tar")
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []*tar.Header{
		{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "./etc/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "./etc/config", Typeflag: tar.TypeReg, Mode: 0o644, Size: 3},
	} {
		require.NoError(t, tw.WriteHeader(h))
		if h.Size > 0 {
			tw.Write([]byte("old"))
		}
	}
	require.NoError(t, tw.Close())
	require.NoError(t, os.WriteFile(base, buf.Bytes(), 0o644))

	var out bytes.Buffer
	require.NoError(t, appendTar(&out, base, map[string]fileEntry{
		"/etc/config":   {content: "new", mode: 0o644},
		"/usr/bin/tool": {content: "#!/bin/sh\n", mode: 0o755},
	}))
	seen := map[string]int{}
	contents := map[string]string{}
	tr := tar.NewReader(&out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		name := "/" + strings.Trim(strings.TrimPrefix(h.Name, "./"), "/")
		seen[name]++
		b, _ := io.ReadAll(tr)
		contents[name] = string(b)
	}
	for name, n := range seen {
		require.Equal(t, 1, n, "%s appears %d times", name, n)
	}
	require.Equal(t, "new", contents["/etc/config"])
	require.Contains(t, seen, "/usr/bin")
	require.Contains(t, seen, "/usr/bin/tool")
}

func TestContainerdConfigPatch(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "config.toml")
	require.NoError(t, os.WriteFile(p, []byte("[x]\n  sandbox_image = \"registry.k8s.io/pause:3.10\"\n  restrict_oom_score_adj = false\n"), 0o644))
	got, err := containerdConfig(p)
	require.NoError(t, err)
	require.Contains(t, got, `sandbox_image = "`+pauseRef+`"`)
	require.Contains(t, got, "restrict_oom_score_adj = true")

	require.NoError(t, os.WriteFile(p, []byte("[x]\n"), 0o644))
	_, err = containerdConfig(p)
	require.ErrorContains(t, err, "update the kit")
}

func TestKubeadmImagesAreAllBuilt(t *testing.T) {
	k := &Kit{hashes: map[string]string{}}
	have := map[string]bool{}
	for _, i := range k.innerImages() {
		have[i.ref] = true
	}
	for _, ref := range []string{
		"registry.k8s.io/kube-apiserver:" + KubernetesVersion, "registry.k8s.io/kube-proxy:" + KubernetesVersion,
		pauseRef, etcdRef, corednsRef,
	} {
		require.True(t, have[ref], "node image must hold %s", ref)
	}
}

func TestKindEntrypointSkipsHostLookup(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "entrypoint")
	require.NoError(t, os.WriteFile(p, []byte("#!/bin/bash\nx=\"$( (head -n1 <(timeout 5 "+hostDockerLookup+") | cut -d' ' -f1) || true)\"\n"), 0o644))
	got, err := kindEntrypoint(p)
	require.NoError(t, err)
	require.NotContains(t, got, "getent")
	require.True(t, strings.HasPrefix(got, "#!/bin/bash\n"+bootRoutesPath+" || true\nx="), "the boot routes run first: %q", got)
	require.NoError(t, os.WriteFile(p, []byte("nothing\n"), 0o644))
	_, err = kindEntrypoint(p)
	require.ErrorContains(t, err, "update the kit")
}
