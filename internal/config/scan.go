package config

import (
	"fmt"
	"net/url"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Finding is a plaintext secret found in a configuration file.
type Finding struct {
	File string
	Line int
	Key  string
	What string
}

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", f.File, f.Line, f.Key, f.What)
}

// secretKeys are keys whose values are secrets wherever they appear.
var secretKeys = map[string]bool{"password": true, "token": true, "key": true, "secret": true, "passwd": true, "secret_id": true}

// Scan looks through a configuration file, before any reference is
// expanded, for secrets written in plain text: values of password, token
// and key fields, and passwords inside connection strings, that are not
// ${env:…} or ${file:…} references. Hashes and verifiers (scram, hash)
// are not secrets. The values found are never part of the findings.
func Scan(file string, data []byte) ([]Finding, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	var out []Finding
	var walk func(n *yaml.Node, path, key string)
	walk = func(n *yaml.Node, path, key string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path, key)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				walk(n.Content[i+1], join(path, k), k)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i), key)
			}
		case yaml.ScalarNode:
			v := strings.TrimSpace(n.Value)
			if v == "" || n.Tag == "!!null" {
				return
			}
			if secretKeys[strings.ToLower(key)] && !onlyRefs(v) && !keyFile(path) {
				out = append(out, Finding{File: file, Line: n.Line, Key: path, What: "plaintext secret; use ${env:NAME} or ${file:PATH}"})
				return
			}
			if what := dsnSecret(v); what != "" {
				out = append(out, Finding{File: file, Line: n.Line, Key: path, What: what})
			}
		}
	}
	walk(&root, "", "")
	return out, nil
}

// onlyRefs reports whether v consists of ${…} references alone.
func onlyRefs(v string) bool {
	for v != "" {
		if !strings.HasPrefix(v, "${") {
			return false
		}
		j := strings.IndexByte(v, '}')
		if j < 0 {
			return false
		}
		v = v[j+1:]
	}
	return true
}

// dsnSecret describes a password written into a connection string.
func dsnSecret(v string) string {
	if !strings.Contains(v, "://") {
		if strings.Contains(v, "password=") && !strings.Contains(v, "password=${") {
			return "connection string with a plaintext password=; use ${env:NAME} for it"
		}
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" && u.User == nil {
		// A DSN carrying references does not parse as a URL: look at its
		// user-info part by hand.
		rest := v[strings.Index(v, "://")+3:]
		at := strings.LastIndexByte(rest, '@')
		if at < 0 {
			return ""
		}
		_, pw, has := strings.Cut(rest[:at], ":")
		if has && pw != "" && !onlyRefs(pw) {
			return "connection string with a plaintext password; use ${env:NAME} for it"
		}
		return ""
	}
	if pw, has := u.User.Password(); has && pw != "" && !onlyRefs(pw) {
		return "connection string with a plaintext password; use ${env:NAME} for it"
	}
	if pw := u.Query().Get("password"); pw != "" && !onlyRefs(pw) {
		return "connection string with a plaintext password=; use ${env:NAME} for it"
	}
	return ""
}

// keyFile reports a key field that names a file rather than holding a
// secret: tls.key is the path of the private key's PEM file.
func keyFile(path string) bool { return path == "tls.key" }
