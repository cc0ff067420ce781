package secrets

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	vault "github.com/hashicorp/vault/api"

	"github.com/floe-db/floe/internal/config"
)

// OpenVault returns the reader of ${vault:path#key} references for the
// settings v; it logs in with AppRole when no token is given.
func OpenVault(v config.Vault) (func(path, key string) (string, error), error) {
	c, err := Client(v)
	if err != nil {
		return nil, err
	}
	mount := v.Mount
	if mount == "" {
		mount = "secret"
	}
	kv := c.KVv2(mount)
	seen := map[string]map[string]any{}
	return func(path, key string) (string, error) {
		data, ok := seen[path]
		if !ok {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			s, err := kv.Get(ctx, path)
			if err != nil {
				return "", fmt.Errorf("reading %s/%s: %s", mount, path, describe(err))
			}
			data = s.Data
			seen[path] = data
		}
		val, ok := data[key]
		if !ok {
			return "", fmt.Errorf("%s/%s has no key %q", mount, path, key)
		}
		s, ok := val.(string)
		if !ok {
			return "", fmt.Errorf("%s/%s: key %q is not a string", mount, path, key)
		}
		return s, nil
	}, nil
}

// Client returns a Vault API client for the settings v, logged in with
// the token or, without one, with AppRole. The leases of dynamic backend
// logins (package leases) use it too.
func Client(v config.Vault) (*vault.Client, error) {
	cfg := vault.DefaultConfig()
	cfg.Address = v.Address
	cfg.Timeout = 10 * time.Second
	cfg.MaxRetries = 1
	c, err := vault.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("vault client: %v", err)
	}
	if v.Namespace != "" {
		c.SetNamespace(v.Namespace)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if v.Token != "" {
		c.SetToken(v.Token)
		return c, nil
	}
	s, err := c.Logical().WriteWithContext(ctx, "auth/approle/login", map[string]any{"role_id": v.RoleID, "secret_id": v.SecretID})
	if err != nil {
		return nil, fmt.Errorf("vault AppRole login: %s", Describe(err))
	}
	if s == nil || s.Auth == nil || s.Auth.ClientToken == "" {
		return nil, errors.New("vault AppRole login: no token in the answer")
	}
	c.SetToken(s.Auth.ClientToken)
	return c, nil
}

// Describe is the reason a Vault call failed, without what it returned.
func Describe(err error) string { return describe(err) }

// describe is the reason a Vault call failed, without what it returned.
func describe(err error) string {
	var re *vault.ResponseError
	if errors.As(err, &re) {
		switch re.StatusCode {
		case http.StatusForbidden:
			return "permission denied (HTTP 403): the token may not read it, or is invalid or expired"
		case http.StatusNotFound:
			return "not found (HTTP 404)"
		}
		return fmt.Sprintf("HTTP %d", re.StatusCode)
	}
	if errors.Is(err, vault.ErrSecretNotFound) {
		return "not found"
	}
	return err.Error()
}
