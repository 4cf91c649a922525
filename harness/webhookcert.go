package harness

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Webhook serving certificates, made before the manifest is applied.
//
// MetalLB's controller (and frr-k8s's status cleaner) make their own CA and
// serving certificate at start and write them into a Secret the manifest
// creates empty; the webhook server starts once the certificate shows up
// in the pod's volume of that Secret. When the first write lost a race
// ("the object has been modified"), the certificate came through kubelet's
// periodic volume sync: the frr-k8s lab's webhooks answered 91 s after the
// controller started, and every MetalLB resource waited for them. Filled in
// the manifest, the Secret is in the volume from the pod's start; the
// rotators find a current CA and certificate for their service and keep it.

// webhookSecrets are the webhook Secrets of MetalLB's manifests and the
// service each one's certificate is for.
var webhookSecrets = map[string]string{
	"metallb-webhook-cert":        "metallb-webhook-service",
	"frr-k8s-webhook-server-cert": "frr-k8s-webhook-service",
}

// webhookCA is the CA name both rotators check their CA against.
const webhookCA = "cert"

// withWebhookCerts fills every webhook Secret the manifest has.
func withWebhookCerts(objs []*unstructured.Unstructured) error {
	for _, o := range objs {
		svc, ok := webhookSecrets[o.GetName()]
		if o.GetKind() != "Secret" || o.GetNamespace() != MetalLBNamespace || !ok {
			continue
		}
		data, err := webhookCertData(svc + "." + MetalLBNamespace + ".svc")
		if err != nil {
			return fmt.Errorf("webhook certificate for %s: %w", svc, err)
		}
		enc := map[string]any{}
		for k, v := range data {
			enc[k] = base64.StdEncoding.EncodeToString(v)
		}
		if err := unstructured.SetNestedMap(o.Object, enc, "data"); err != nil {
			return err
		}
	}
	return nil
}

// webhookCertData is a CA and a server certificate for dnsName signed by
// it, as the rotators store them (ca.crt, ca.key, tls.crt, tls.key). They
// last a year: the rotators renew what expires within 90 days.
func webhookCertData(dnsName string) (map[string][]byte, error) {
	now := time.Now().Add(-time.Hour) // a node's clock may lag a little
	end := now.Add(365 * 24 * time.Hour)
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: webhookCA, Organization: []string{"peerlab"}},
		DNSNames:              []string{webhookCA},
		NotBefore:             now,
		NotAfter:              end,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(2),
		Subject:               pkix.Name{CommonName: dnsName},
		DNSNames:              []string{dnsName},
		NotBefore:             now,
		NotAfter:              end,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		"ca.crt":  pemBlock("CERTIFICATE", caDER),
		"ca.key":  pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(caKey)),
		"tls.crt": pemBlock("CERTIFICATE", der),
		"tls.key": pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)),
	}, nil
}

func pemBlock(typ string, der []byte) []byte {
	var b bytes.Buffer
	pem.Encode(&b, &pem.Block{Type: typ, Bytes: der})
	return b.Bytes()
}
