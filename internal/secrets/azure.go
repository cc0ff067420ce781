package secrets

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/floe-db/floe/internal/config"
)

// azureProvider reads Azure Key Vault with a client secret credential.
type azureProvider struct{ c *azsecrets.Client }

func openAzure(_ context.Context, s config.Secrets, client *http.Client) (Provider, error) {
	if s.Azure == nil {
		return nil, errors.New("azure-kv references need secrets.azure")
	}
	a := *s.Azure
	var transport policy.Transporter
	if client != nil {
		transport = client
	}
	if a.CAFile != "" {
		pem, err := os.ReadFile(a.CAFile)
		if err != nil {
			return nil, fmt.Errorf("secrets.azure.ca_file: %v", unwrapPath(err))
		}
		roots, err := x509.SystemCertPool()
		if err != nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, errors.New("secrets.azure.ca_file: no PEM certificate in it")
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
		transport = &http.Client{Transport: tr}
	}
	co := azcore.ClientOptions{Transport: transport, Retry: policy.RetryOptions{MaxRetries: 1}}
	if a.AuthorityHost != "" {
		co.Cloud = cloud.Configuration{ActiveDirectoryAuthorityHost: a.AuthorityHost, Services: map[cloud.ServiceName]cloud.ServiceConfiguration{}}
	}
	cred, err := azidentity.NewClientSecretCredential(a.TenantID, a.ClientID, a.ClientSecret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: co,
		// Instance discovery asks login.microsoftonline.com about the
		// authority: not for another authority host.
		DisableInstanceDiscovery: a.AuthorityHost != "",
	})
	if err != nil {
		return nil, fmt.Errorf("azure credential: %s", describeAzure(err))
	}
	c, err := azsecrets.NewClient(a.VaultURL, cred, &azsecrets.ClientOptions{ClientOptions: co})
	if err != nil {
		return nil, fmt.Errorf("azure key vault client: %s", describeAzure(err))
	}
	return azureProvider{c: c}, nil
}

func (p azureProvider) Read(ctx context.Context, ref config.SecretRef) (Value, error) {
	resp, err := p.c.GetSecret(ctx, ref.Name, ref.Version, nil)
	if err != nil {
		var re *azcore.ResponseError
		if errors.As(err, &re) {
			switch re.StatusCode {
			case http.StatusNotFound:
				return Value{}, fmt.Errorf("%w (HTTP 404 %s)", ErrNotFound, re.ErrorCode)
			case http.StatusUnauthorized, http.StatusForbidden:
				return Value{}, fmt.Errorf("%w (HTTP %d %s)", ErrDenied, re.StatusCode, re.ErrorCode)
			}
		}
		return Value{}, errors.New(describeAzure(err))
	}
	v := Value{}
	if resp.Value != nil {
		v.Data = *resp.Value
	}
	if resp.ID != nil {
		v.Version = resp.ID.Version()
	}
	return v, nil
}

// describeAzure is the reason of an Azure SDK error: the status and
// error code, not the answer's body the SDK puts in Error().
func describeAzure(err error) string {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return fmt.Sprintf("HTTP %d %s", re.StatusCode, re.ErrorCode)
	}
	var af *azidentity.AuthenticationFailedError
	if errors.As(err, &af) {
		if af.RawResponse != nil {
			return fmt.Sprintf("%v: sign-in refused (HTTP %d)", ErrDenied, af.RawResponse.StatusCode)
		}
		return fmt.Sprintf("%v: sign-in failed", ErrDenied)
	}
	return err.Error()
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
