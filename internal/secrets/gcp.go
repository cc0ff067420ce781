package secrets

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"cloud.google.com/go/auth"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	secretmanager "google.golang.org/api/secretmanager/v1"

	"github.com/floe-db/floe/internal/config"
)

// gcpProvider reads Google Cloud Secret Manager through its REST client
// (google.golang.org/api/secretmanager/v1: lighter than the gRPC one).
type gcpProvider struct {
	svc     *secretmanager.Service
	project string
}

func openGCP(ctx context.Context, s config.Secrets, _ *http.Client) (Provider, error) {
	g := config.GCPSecrets{}
	if s.GCP != nil {
		g = *s.GCP
	}
	var opts []option.ClientOption
	if g.Endpoint != "" {
		opts = append(opts, option.WithEndpoint(strings.TrimRight(g.Endpoint, "/")+"/"))
	}
	if g.CredentialsFile != "" {
		// Only a service account key: a file of another type could make
		// the client run a command or call a URL it names.
		opts = append(opts, option.WithAuthCredentialsFile(option.ServiceAccount, g.CredentialsFile))
	}
	svc, err := secretmanager.NewService(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("GCP Secret Manager client: %v", err)
	}
	return gcpProvider{svc: svc, project: g.Project}, nil
}

func (p gcpProvider) Read(ctx context.Context, ref config.SecretRef) (Value, error) {
	name := ref.Name
	if !strings.HasPrefix(name, "projects/") {
		if p.project == "" {
			return Value{}, errors.New("the name has no project: write projects/P/secrets/S or set secrets.gcp.project")
		}
		name = "projects/" + p.project + "/secrets/" + name
	}
	ver := ref.Version
	if ver == "" {
		ver = "latest"
	}
	r, err := p.svc.Projects.Secrets.Versions.Access(name + "/versions/" + ver).Context(ctx).Do()
	if err != nil {
		var ge *googleapi.Error
		if errors.As(err, &ge) {
			switch ge.Code {
			case http.StatusNotFound:
				return Value{}, fmt.Errorf("%w (HTTP 404)", ErrNotFound)
			case http.StatusUnauthorized, http.StatusForbidden:
				return Value{}, fmt.Errorf("%w (HTTP %d)", ErrDenied, ge.Code)
			}
			return Value{}, fmt.Errorf("GCP Secret Manager: HTTP %d", ge.Code)
		}
		var ae *auth.Error
		if errors.As(err, &ae) {
			// The token endpoint refused the service account (its body
			// is not repeated).
			if ae.Response != nil {
				return Value{}, fmt.Errorf("%w: sign-in refused (HTTP %d)", ErrDenied, ae.Response.StatusCode)
			}
			return Value{}, fmt.Errorf("%w: sign-in failed", ErrDenied)
		}
		return Value{}, fmt.Errorf("GCP Secret Manager: %v", err)
	}
	if r.Payload == nil {
		return Value{}, errors.New("GCP Secret Manager: no payload in the answer")
	}
	data, err := base64.StdEncoding.DecodeString(r.Payload.Data)
	if err != nil {
		return Value{}, errors.New("GCP Secret Manager: the payload is not base64")
	}
	v := Value{Data: string(data)}
	if i := strings.LastIndexByte(r.Name, '/'); i >= 0 {
		v.Version = r.Name[i+1:]
	}
	return v, nil
}
