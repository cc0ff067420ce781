package secrets

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/floe-db/floe/internal/config"
)

// awsProvider reads AWS Secrets Manager (GetSecretValue).
type awsProvider struct{ c *secretsmanager.Client }

// openAWS makes the Secrets Manager client of secrets.aws, with the
// SDK's default credential chain.
func openAWS(ctx context.Context, s config.Secrets, client *http.Client) (Provider, error) {
	a := config.AWSSecrets{}
	if s.AWS != nil {
		a = *s.AWS
	}
	var opts []func(*awsconfig.LoadOptions) error
	if a.Region != "" {
		opts = append(opts, awsconfig.WithRegion(a.Region))
	}
	if client != nil {
		opts = append(opts, awsconfig.WithHTTPClient(client))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %v", err)
	}
	if cfg.Region == "" {
		return nil, errors.New("no AWS region: set secrets.aws.region or AWS_REGION")
	}
	c := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		if a.Endpoint != "" {
			o.BaseEndpoint = aws.String(a.Endpoint)
		}
		o.RetryMaxAttempts = 2
	})
	return awsProvider{c: c}, nil
}

func (p awsProvider) Read(ctx context.Context, ref config.SecretRef) (Value, error) {
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(ref.Name)}
	if ref.Version != "" {
		in.VersionId = aws.String(ref.Version)
	}
	if ref.Stage != "" {
		in.VersionStage = aws.String(ref.Stage)
	}
	out, err := p.c.GetSecretValue(ctx, in)
	if err != nil {
		return Value{}, describeAWS(err)
	}
	v := Value{Version: aws.ToString(out.VersionId)}
	switch {
	case out.SecretString != nil:
		v.Data = *out.SecretString
	case out.SecretBinary != nil:
		v.Data = string(out.SecretBinary)
	}
	return v, nil
}

// describeAWS is the reason a call failed: the service's error code,
// not its message.
func describeAWS(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ResourceNotFoundException":
			return fmt.Errorf("%w (ResourceNotFoundException)", ErrNotFound)
		case "AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException", "InvalidClientTokenId", "SignatureDoesNotMatch":
			return fmt.Errorf("%w (%s)", ErrDenied, ae.ErrorCode())
		}
		return fmt.Errorf("AWS Secrets Manager: %s", ae.ErrorCode())
	}
	return fmt.Errorf("AWS Secrets Manager: %v", err)
}
