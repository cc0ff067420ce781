package backend

import (
	"crypto/tls"
	"slices"
	"testing"
)

func TestWithGroups(t *testing.T) {
	base := &tls.Config{ServerName: "db.example", MinVersion: tls.VersionTLS12}
	for _, tc := range []struct {
		name   string
		in     *tls.Config
		groups []tls.CurveID
		same   bool // the input itself comes back
		want   []tls.CurveID
	}{
		{"no TLS", nil, []tls.CurveID{tls.X25519}, true, nil},
		{"default groups", base, nil, true, nil},
		{"pinned", base, []tls.CurveID{tls.X25519}, false, []tls.CurveID{tls.X25519}},
		{"pinned post-quantum", base, []tls.CurveID{tls.X25519MLKEM768, tls.X25519}, false, []tls.CurveID{tls.X25519MLKEM768, tls.X25519}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			groups := slices.Clone(tc.groups)
			got := WithGroups(tc.in, groups)
			if (got == tc.in) != tc.same {
				t.Fatalf("same config returned: %v, want %v", got == tc.in, tc.same)
			}
			if got == nil {
				return
			}
			if !slices.Equal(got.CurvePreferences, tc.want) {
				t.Fatalf("CurvePreferences %v, want %v", got.CurvePreferences, tc.want)
			}
			if got.ServerName != "db.example" || got.MinVersion != tls.VersionTLS12 {
				t.Fatalf("other settings lost: %q %x", got.ServerName, got.MinVersion)
			}
			if len(groups) > 0 {
				groups[0] = tls.CurveP521 // the caller's slice is not shared
				if got.CurvePreferences[0] == tls.CurveP521 {
					t.Fatal("CurvePreferences shares the caller's slice")
				}
			}
			if base.CurvePreferences != nil {
				t.Fatal("the input config was modified")
			}
		})
	}
}
