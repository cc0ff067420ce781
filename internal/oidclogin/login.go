package oidclogin

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// The flows Login runs.
const (
	FlowDevice            = "device"
	FlowClientCredentials = "client_credentials"
)

// Options say which issuer and client to log in with.
type Options struct {
	// Issuer is the issuer URL (its discovery document is read).
	Issuer string
	// ClientID is the OAuth client; ClientSecret is needed for the
	// client credentials flow and optional for the device flow.
	ClientID, ClientSecret string
	// Flow is FlowDevice or FlowClientCredentials.
	Flow string
	// Scopes are requested with the token (openid is added for the
	// device flow).
	Scopes []string
	// HTTP is the client for the issuer (nil: http.DefaultClient).
	HTTP *http.Client
	// Prompt is told, in the device flow, where the user approves the
	// login and the code to enter (complete: the URL with the code in
	// it, "" if the issuer gives none).
	Prompt func(verificationURI, userCode, complete string)
}

// ErrNoDeviceEndpoint: the issuer's discovery document names no device
// authorization endpoint.
var ErrNoDeviceEndpoint = errors.New("the issuer offers no device authorization endpoint")

// Login runs the flow and returns the access token.
func Login(ctx context.Context, o Options) (*oauth2.Token, error) {
	if o.ClientID == "" {
		return nil, errors.New("a client id is required")
	}
	if o.HTTP != nil {
		ctx = oidc.ClientContext(ctx, o.HTTP)
		ctx = context.WithValue(ctx, oauth2.HTTPClient, o.HTTP)
	}
	p, err := oidc.NewProvider(ctx, o.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover the issuer: %w", err)
	}
	ep := p.Endpoint()
	switch o.Flow {
	case FlowClientCredentials:
		if o.ClientSecret == "" {
			return nil, errors.New("the client credentials flow needs a client secret")
		}
		cc := clientcredentials.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, TokenURL: ep.TokenURL, Scopes: o.Scopes, AuthStyle: ep.AuthStyle}
		tok, err := cc.Token(ctx)
		if err != nil {
			return nil, fmt.Errorf("client credentials: %w", err)
		}
		return tok, nil
	case FlowDevice, "":
		if ep.DeviceAuthURL == "" {
			return nil, ErrNoDeviceEndpoint
		}
		cfg := oauth2.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, Endpoint: ep, Scopes: append([]string{oidc.ScopeOpenID}, o.Scopes...)}
		da, err := cfg.DeviceAuth(ctx)
		if err != nil {
			return nil, fmt.Errorf("device authorization: %w", err)
		}
		if o.Prompt != nil {
			o.Prompt(da.VerificationURI, da.UserCode, da.VerificationURIComplete)
		}
		tok, err := cfg.DeviceAccessToken(ctx, da)
		if err != nil {
			return nil, fmt.Errorf("device token: %w", err)
		}
		return tok, nil
	default:
		return nil, fmt.Errorf("flow %q: want device or client_credentials", o.Flow)
	}
}
