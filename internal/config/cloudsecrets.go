package config

import (
	"fmt"
	"regexp"
	"strings"
)

// Cloud secret managers: ${aws-sm:}, ${gcp-sm:}, ${azure-kv:} and
// ${infisical:} references, read through the settings below. A reference
// is
//
//	${KIND:NAME[?version=V|?stage=S][#KEY]}
//
// NAME is the secret (for infisical a path whose last element is the
// secret's name, /folder/NAME; for gcp-sm either
// projects/P/secrets/S or S with secrets.gcp.project). ?version= pins a
// version (AWS version id, GCP version number, Azure version id,
// Infisical version number); ?stage= is an AWS staging label
// (AWSCURRENT, AWSPREVIOUS, …). #KEY takes the field KEY of a secret
// whose value is a JSON object; without it the whole value is used. "?"
// and "#" are in no provider's secret names, so the parts cannot be
// confused (an AWS name may hold "@").

// Reference kinds read through the cloud secret managers.
const (
	KindAWS       = "aws-sm"
	KindGCP       = "gcp-sm"
	KindAzure     = "azure-kv"
	KindInfisical = "infisical"
)

// cloudKinds lists the reference kinds of the cloud secret managers.
var cloudKinds = []string{KindAWS, KindGCP, KindAzure, KindInfisical}

// IsCloudKind reports whether kind is read through a cloud secret manager.
func IsCloudKind(kind string) bool {
	for _, k := range cloudKinds {
		if k == kind {
			return true
		}
	}
	return false
}

// AWSSecrets is AWS Secrets Manager. Credentials come from the SDK's
// default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the shared
// files, web identity, the instance or container role).
type AWSSecrets struct {
	// Region is the AWS region (default: the SDK's, e.g. AWS_REGION).
	Region string `yaml:"region"`
	// Endpoint replaces the regional endpoint (a VPC endpoint, a
	// compatible server).
	Endpoint string `yaml:"endpoint"`
}

// GCPSecrets is Google Cloud Secret Manager.
type GCPSecrets struct {
	// Project is the project of references that name a secret alone.
	Project string `yaml:"project"`
	// Endpoint replaces https://secretmanager.googleapis.com/.
	Endpoint string `yaml:"endpoint"`
	// CredentialsFile is a service account key (JSON); without it the
	// application default credentials are used.
	CredentialsFile string `yaml:"credentials_file"`
}

// AzureSecrets is Azure Key Vault, read with a client secret (service
// principal) credential.
type AzureSecrets struct {
	// VaultURL is https://NAME.vault.azure.net/.
	VaultURL     string `yaml:"vault_url"`
	TenantID     string `yaml:"tenant_id"`
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret"`
	// AuthorityHost replaces https://login.microsoftonline.com/ (the
	// national clouds).
	AuthorityHost string `yaml:"authority_host"`
	// CAFile adds the PEM certificates in it to the system roots, for a
	// vault or authority behind a private certificate authority.
	CAFile string `yaml:"ca_file"`
}

// InfisicalSecrets is an Infisical server, read with a machine
// identity's universal-auth client id and secret.
type InfisicalSecrets struct {
	// Address is the server (default https://app.infisical.com).
	Address      string `yaml:"address"`
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret"`
	// ProjectID and Environment (its slug: dev, prod, …) locate the
	// secrets.
	ProjectID   string `yaml:"project_id"`
	Environment string `yaml:"environment"`
}

// SecretRef is a parsed cloud secret reference.
type SecretRef struct {
	Kind string
	// Name is the secret as the reference names it.
	Name string
	// Version pins a version ("": the latest); Stage is an AWS staging
	// label.
	Version string
	Stage   string
	// Key is the JSON field taken from the value ("": the whole value).
	Key string
}

// String is the reference as written (${…}).
func (r SecretRef) String() string {
	var b strings.Builder
	b.WriteString("${" + r.Kind + ":" + r.Name)
	switch {
	case r.Version != "":
		b.WriteString("?version=" + r.Version)
	case r.Stage != "":
		b.WriteString("?stage=" + r.Stage)
	}
	if r.Key != "" {
		b.WriteString("#" + r.Key)
	}
	b.WriteString("}")
	return b.String()
}

// Pinned reports whether the reference names one version.
func (r SecretRef) Pinned() bool { return r.Version != "" }

// cloudRefPatterns are the name and version syntaxes of kind's secret
// references (and AWS's staging label). They are compiled where a
// reference is parsed, not at package initialisation: their bounded
// repetitions ({1,512}) compile into large programs, about 1 MB of heap
// held for the life of every process, most of which never reads a cloud
// secret reference.
func cloudRefPatterns(kind string) (name, version, stage *regexp.Regexp) {
	switch kind {
	case KindAWS:
		return regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$|^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$`),
			regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`),
			regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,256}$`)
	case KindGCP:
		return regexp.MustCompile(`^(projects/[a-z0-9-]{1,64}/secrets/)?[A-Za-z0-9_-]{1,255}$`),
			regexp.MustCompile(`^[1-9][0-9]{0,18}$`), nil
	case KindAzure:
		return regexp.MustCompile(`^[A-Za-z0-9-]{1,127}$`), regexp.MustCompile(`^[A-Za-z0-9]{1,64}$`), nil
	case KindInfisical:
		return regexp.MustCompile(`^/?([A-Za-z0-9_.-]+/)*[A-Za-z0-9_.-]{1,256}$`), regexp.MustCompile(`^[1-9][0-9]{0,9}$`), nil
	}
	return nil, nil, nil
}

// ParseSecretRef parses the argument of a ${KIND:ARG} reference of a
// cloud secret manager. Its errors quote the reference (which holds no
// secret).
func ParseSecretRef(kind, arg string) (SecretRef, error) {
	r := SecretRef{Kind: kind}
	bad := func(why string) (SecretRef, error) {
		return SecretRef{}, fmt.Errorf("${%s:%s}: %s", kind, arg, why)
	}
	rest, key, hasKey := strings.Cut(arg, "#")
	if hasKey {
		if key == "" {
			return bad("empty key after #")
		}
		r.Key = key
	}
	name, query, hasQuery := strings.Cut(rest, "?")
	r.Name = name
	if hasQuery {
		k, v, ok := strings.Cut(query, "=")
		switch {
		case !ok || v == "":
			return bad("want ?version=V or ?stage=S after the name")
		case k == "version":
			r.Version = v
		case k == "stage" && kind == KindAWS:
			r.Stage = v
		case k == "stage":
			return bad("?stage= is for aws-sm only")
		default:
			return bad(fmt.Sprintf("unknown %q (want ?version=V)", k))
		}
	}
	nameRe, verRe, stageRe := cloudRefPatterns(kind)
	if nameRe == nil {
		return bad("not a cloud secret reference")
	}
	if r.Stage != "" && (stageRe == nil || !stageRe.MatchString(r.Stage)) {
		return bad("not a valid staging label")
	}
	if !nameRe.MatchString(r.Name) {
		return bad("not a valid secret name for " + kind)
	}
	if r.Version != "" && !verRe.MatchString(r.Version) {
		return bad("not a valid version for " + kind)
	}
	return r, nil
}

// validateCloudSecrets checks secrets.aws, gcp, azure and infisical.
func (c *Config) validateCloudSecrets(v *checker) {
	s := c.Secrets
	if a := s.AWS; a != nil && a.Endpoint != "" && checkURL(a.Endpoint, "https", "http") != "" {
		v.bad("secrets.aws.endpoint", "want an https:// URL")
	}
	if g := s.GCP; g != nil {
		if g.Endpoint != "" && checkURL(g.Endpoint, "https", "http") != "" {
			v.bad("secrets.gcp.endpoint", "want an https:// URL")
		}
		if g.Project != "" && !regexp.MustCompile(`^[a-z0-9-]{1,64}$`).MatchString(g.Project) {
			v.bad("secrets.gcp.project", "want a project id (lower-case letters, digits and -)")
		}
	}
	if az := s.Azure; az != nil {
		if checkURL(az.VaultURL, "https") != "" {
			v.bad("secrets.azure.vault_url", "want the vault's https:// URL")
		}
		if az.AuthorityHost != "" && checkURL(az.AuthorityHost, "https") != "" {
			v.bad("secrets.azure.authority_host", "want an https:// URL")
		}
		for _, f := range []struct{ key, val string }{{"tenant_id", az.TenantID}, {"client_id", az.ClientID}, {"client_secret", az.ClientSecret}} {
			if f.val == "" {
				v.bad("secrets.azure."+f.key, "is required")
			}
		}
	}
	if in := s.Infisical; in != nil {
		if in.Address != "" && checkURL(in.Address, "https", "http") != "" {
			v.bad("secrets.infisical.address", "want the server's https:// URL")
		}
		for _, f := range []struct{ key, val string }{{"client_id", in.ClientID}, {"client_secret", in.ClientSecret}, {"project_id", in.ProjectID}, {"environment", in.Environment}} {
			if f.val == "" {
				v.bad("secrets.infisical."+f.key, "is required")
			}
		}
	}
}

// secretsSettingKeys are the keys under secrets: whose own references
// are read before the rest of the file (env and file ones only).
var secretsSettingKeys = []string{"vault", "aws", "gcp", "azure", "infisical"}

// isSecretsSetting reports whether key is inside the settings of a
// secret store.
func isSecretsSetting(key string) bool {
	for _, k := range secretsSettingKeys {
		if strings.HasPrefix(key, "secrets."+k+".") {
			return true
		}
	}
	return false
}

// CloudReader reads a cloud secret reference: the value it stands for.
type CloudReader func(ref SecretRef) (string, error)

// CloudOpener makes the reader of cloud secret references for one load
// of the file, from its secrets: settings.
type CloudOpener func(s Secrets) (CloudReader, error)
