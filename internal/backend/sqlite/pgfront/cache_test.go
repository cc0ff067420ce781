package pgfront

import "testing"

// The settings part of the key: sorted, application_name left out, any
// other parameter (and its value) counted.
func TestSettings(t *testing.T) {
	base := map[string]string{"TimeZone": "UTC", "DateStyle": "ISO, MDY", "application_name": "a"}
	key := func(extra map[string]string) string {
		p := map[string]string{}
		for k, v := range base {
			p[k] = v
		}
		for k, v := range extra {
			p[k] = v
		}
		return (&session{params: p}).settings()
	}
	want := `datestyle="ISO, MDY";timezone="UTC"`
	for _, tc := range []struct {
		name  string
		extra map[string]string
		same  bool
	}{
		{"as is", nil, true},
		{"another application", map[string]string{"application_name": "b"}, true},
		{"another time zone", map[string]string{"TimeZone": "Europe/Paris"}, false},
		{"a parameter set", map[string]string{"extra_float_digits": "3"}, false},
	} {
		if got := key(tc.extra); (got == want) != tc.same {
			t.Errorf("%s: %q (base %q)", tc.name, got, want)
		}
	}
}
