package secrets

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/floe-db/floe/internal/config"
)

// infisicalProvider reads an Infisical server over its HTTP API:
// universal-auth login (POST /api/v1/auth/universal-auth/login), then
// GET /api/v3/secrets/raw/NAME. The official Go SDK brings every
// cloud's auth libraries along for two calls.
type infisicalProvider struct {
	s      config.InfisicalSecrets
	client *http.Client
	token  string
}

// maxAnswer bounds what is read of an answer.
const maxAnswer = 1 << 20

func openInfisical(_ context.Context, s config.Secrets, client *http.Client) (Provider, error) {
	if s.Infisical == nil {
		return nil, errors.New("infisical references need secrets.infisical")
	}
	in := *s.Infisical
	if in.Address == "" {
		in.Address = "https://app.infisical.com"
	}
	in.Address = strings.TrimRight(in.Address, "/")
	if client == nil {
		client = http.DefaultClient
	}
	return &infisicalProvider{s: in, client: client}, nil
}

// login gets an access token with the client id and secret.
func (p *infisicalProvider) login(ctx context.Context) error {
	body, _ := json.Marshal(map[string]string{"clientId": p.s.ClientID, "clientSecret": p.s.ClientSecret})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.s.Address+"/api/v1/auth/universal-auth/login", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("infisical login: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	var out struct {
		AccessToken string `json:"accessToken"`
	}
	if err := p.do(req, &out); err != nil {
		return fmt.Errorf("infisical login: %w", err)
	}
	if out.AccessToken == "" {
		return errors.New("infisical login: no access token in the answer")
	}
	p.token = out.AccessToken
	return nil
}

func (p *infisicalProvider) Read(ctx context.Context, ref config.SecretRef) (Value, error) {
	if p.token == "" {
		if err := p.login(ctx); err != nil {
			return Value{}, err
		}
	}
	path, name := "/", ref.Name
	if i := strings.LastIndexByte(ref.Name, '/'); i >= 0 {
		path, name = "/"+strings.Trim(ref.Name[:i], "/"), ref.Name[i+1:]
	}
	q := url.Values{"workspaceId": {p.s.ProjectID}, "environment": {p.s.Environment}, "secretPath": {path}}
	if ref.Version != "" {
		q.Set("version", ref.Version)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.s.Address+"/api/v3/secrets/raw/"+url.PathEscape(name)+"?"+q.Encode(), nil)
	if err != nil {
		return Value{}, err
	}
	req.Header.Set("Authorization", "Bearer "+p.token)
	var out struct {
		Secret struct {
			Version     int    `json:"version"`
			SecretKey   string `json:"secretKey"`
			SecretValue string `json:"secretValue"`
		} `json:"secret"`
	}
	if err := p.do(req, &out); err != nil {
		return Value{}, err
	}
	if out.Secret.SecretKey != name {
		return Value{}, fmt.Errorf("%w (the answer is for another secret)", ErrNotFound)
	}
	return Value{Data: out.Secret.SecretValue, Version: strconv.Itoa(out.Secret.Version)}, nil
}

// do sends req and decodes a 200 answer into out; other statuses become
// the reason, without the body.
func (p *infisicalProvider) do(req *http.Request, out any) error {
	resp, err := p.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return fmt.Errorf("%s %s: %v", ue.Op, p.s.Address, ue.Err)
		}
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%w (HTTP %d)", ErrDenied, resp.StatusCode)
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w (HTTP 404)", ErrNotFound)
	default:
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(out); err != nil {
		return errors.New("the answer is not the expected JSON")
	}
	return nil
}
