package cli

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/pdbulk/pdbulk/pipedrive"
)

// TestIdentifyErrorNoSuchHost: a company domain that no DNS server knows is a typo that no
// later run mends (exit 1, naming the setting); a resolver that did not answer is not (75).
func TestIdentifyErrorNoSuchHost(t *testing.T) {
	lookup := func(dns *net.DNSError) error {
		te := &pipedrive.TransportError{Op: "getCurrentUser", Method: "GET", Path: "/users/me",
			Err: &net.OpError{Op: "dial", Net: "tcp", Err: dns}}
		return fmt.Errorf("identify the Pipedrive account (GET /users/me): %w", te)
	}
	var ee *ExitError
	err := identifyError(lookup(&net.DNSError{Err: "no such host", Name: "acme-typo.pipedrive.com", IsNotFound: true}))
	if !errors.As(err, &ee) || ee.Code != ExitFatal || !strings.Contains(err.Error(), pipedrive.EnvCompanyDomain) {
		t.Errorf("no such host: %v (code %v), want exit %d naming %s", err, ee, ExitFatal, pipedrive.EnvCompanyDomain)
	}
	err = identifyError(lookup(&net.DNSError{Err: "i/o timeout", Name: "acme.pipedrive.com", IsTimeout: true}))
	if !errors.As(err, &ee) || ee.Code != ExitResumable {
		t.Errorf("resolver timed out: %v, want exit %d", err, ExitResumable)
	}
}
