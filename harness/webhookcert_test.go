package harness

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/peerlab/peerlab/images"
)

// Every webhook Secret of the frr-k8s manifest (MetalLB's and frr-k8s's)
// gets a CA and a serving certificate that a rotator keeps: the CA verifies
// as "cert", the certificate as its service's name, both still 90 days from
// now, and the key matches.
func TestWebhookCerts(t *testing.T) {
	raw, err := images.ModuleManifest(context.Background(), images.ManifestFRRK8s)
	require.NoError(t, err)
	objs, err := decodeYAML(raw)
	require.NoError(t, err)
	require.NoError(t, withWebhookCerts(objs))
	filled := 0
	for _, o := range objs {
		svc, ok := webhookSecrets[o.GetName()]
		if o.GetKind() != "Secret" || !ok {
			continue
		}
		filled++
		data, _, _ := unstructured.NestedStringMap(o.Object, "data")
		get := func(k string) []byte {
			b, err := base64.StdEncoding.DecodeString(data[k])
			require.NoError(t, err, k)
			return b
		}
		_, err := tls.X509KeyPair(get("tls.crt"), get("tls.key"))
		require.NoError(t, err, "%s: key pair", o.GetName())
		pool := x509.NewCertPool()
		require.True(t, pool.AppendCertsFromPEM(get("ca.crt")))
		later := time.Now().Add(91 * 24 * time.Hour)
		for _, c := range []struct {
			pem  []byte
			name string
		}{{get("ca.crt"), webhookCA}, {get("tls.crt"), svc + ".metallb-system.svc"}} {
			b, _ := pem.Decode(c.pem)
			crt, err := x509.ParseCertificate(b.Bytes)
			require.NoError(t, err)
			_, err = crt.Verify(x509.VerifyOptions{DNSName: c.name, Roots: pool, CurrentTime: later})
			require.NoError(t, err, "%s: certificate for %s", o.GetName(), c.name)
		}
	}
	require.Equal(t, 2, filled, "MetalLB's and frr-k8s's webhook Secrets")
}
