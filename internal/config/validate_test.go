package config

import (
	"os"
	"strings"
	"testing"
)

// TestValidateEverySection loads a file with something wrong in every
// section and compares every error (key, line and message, in the order
// reported) with testdata/invalid.golden. FLOE_UPDATE_GOLDEN=1 rewrites
// the golden file.
func TestValidateEverySection(t *testing.T) {
	src, err := os.ReadFile("testdata/invalid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse("invalid.yaml", src, env(nil))
	if err == nil {
		t.Fatal("an invalid configuration was accepted")
	}
	got := err.Error() + "\n"
	if os.Getenv("FLOE_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile("testdata/invalid.golden", []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/invalid.golden")
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		g, w := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(g), len(w)) {
			var gl, wl string
			if i < len(g) {
				gl = g[i]
			}
			if i < len(w) {
				wl = w[i]
			}
			if gl != wl {
				t.Errorf("line %d:\n got %s\nwant %s", i+1, gl, wl)
			}
		}
	}
}
