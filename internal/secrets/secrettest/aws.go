package secrettest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// AWS is a fake AWS Secrets Manager endpoint (its JSON 1.1 protocol).
type AWS struct {
	URL string
	// AccessKeyID is the key the server accepts (any secret key: it
	// does not check signatures, only that the request is signed with
	// this key id).
	AccessKeyID string
	s           *store
}

// NewAWS starts a fake Secrets Manager.
func NewAWS(t testing.TB) *AWS {
	a := &AWS{AccessKeyID: "AKIAFLOETESTKEY00001", s: newStore(func(n int) string {
		return fmt.Sprintf("%08d-0000-4000-8000-%012d", n, n)
	})}
	srv := httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(srv.Close)
	a.URL = srv.URL
	return a
}

// Env sets the environment the AWS SDK's default chain reads so that it
// signs with the accepted key and reads no file or instance metadata.
func (a *AWS) Env(t testing.TB) {
	t.Setenv("AWS_ACCESS_KEY_ID", a.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "floe-test-secret-access-key")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent/floe-aws-config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/floe-aws-credentials")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// Put adds a version of the secret name and returns its version id.
func (a *AWS) Put(name, value string) string { return a.s.put(name, value) }

// Reads counts the values served.
func (a *AWS) Reads() int { return a.s.count() }

func awsError(w http.ResponseWriter, code int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}

func (a *AWS) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
		awsError(w, http.StatusBadRequest, "UnknownOperationException", "unsupported")
		return
	}
	if !strings.Contains(r.Header.Get("Authorization"), "Credential="+a.AccessKeyID+"/") {
		awsError(w, http.StatusBadRequest, "UnrecognizedClientException", "The security token included in the request is invalid.")
		return
	}
	var in struct {
		SecretID     string `json:"SecretId"`
		VersionID    string `json:"VersionId"`
		VersionStage string `json:"VersionStage"`
	}
	if json.NewDecoder(r.Body).Decode(&in) != nil || in.SecretID == "" {
		awsError(w, http.StatusBadRequest, "InvalidParameterException", "bad request")
		return
	}
	var v version
	var ok bool
	switch in.VersionStage {
	case "", "AWSCURRENT":
		v, ok = a.s.get(in.SecretID, in.VersionID)
	case "AWSPREVIOUS":
		v, ok = a.s.previous(in.SecretID)
	}
	if !ok {
		awsError(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"ARN":          "arn:aws:secretsmanager:eu-west-1:123456789012:secret:" + in.SecretID + "-AbCdEf",
		"Name":         in.SecretID,
		"SecretString": v.value,
		"VersionId":    v.id,
		"CreatedDate":  1.7e9,
	})
}
