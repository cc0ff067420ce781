package secrets

import (
	"strings"
	"testing"
)

func TestField(t *testing.T) {
	for _, tc := range []struct{ data, key, want, err string }{
		{`{"password":"p"}`, "password", "p", ""},
		{`{"port":5432}`, "port", "5432", ""},
		{`plain`, "", "plain", ""},
		{`{"a":1}`, "b", "", `no key "b"`},
		{`{"a":{"b":1}}`, "a", "", "not a string or a number"},
		{`not json`, "a", "", "not a JSON object"},
		{`["x"]`, "a", "", "not a JSON object"},
	} {
		got, err := field(tc.data, tc.key)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s #%s: %q, %v; want %q", tc.data, tc.key, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s #%s: %q, %v; want %q", tc.data, tc.key, got, err, tc.want)
		}
	}
}

// FuzzField: a secret's value never appears in the error of taking a
// key from it.
func FuzzField(f *testing.F) {
	f.Add(`{"password":"s3cr3t-value"}`, "password")
	f.Add(`{"password":"s3cr3t-value"}`, "user")
	f.Add(`s3cr3t-value`, "k")
	f.Add(`{"k":{"nested":"s3cr3t-value"}}`, "k")
	f.Fuzz(func(t *testing.T, data, key string) {
		_, err := field(data, key)
		if err != nil && len(data) > 8 && !strings.Contains(key, data) && strings.Contains(err.Error(), data) {
			t.Fatalf("the error shows the value: %v", err)
		}
	})
}
