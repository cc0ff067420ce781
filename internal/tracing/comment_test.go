package tracing

import (
	"testing"
)

const (
	tpTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	tpSpan  = "00f067aa0ba902b7"
	tp      = "00-" + tpTrace + "-" + tpSpan + "-01"
)

func TestParseComment(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		ok         bool
		sampled    bool
		state      string
	}{
		{"trailing", "SELECT 1 /*traceparent='" + tp + "'*/", true, true, ""},
		{"trailing semicolon", "SELECT 1 /*traceparent='" + tp + "'*/;\n", true, true, ""},
		{"leading", "/*traceparent='" + tp + "'*/ SELECT 1", true, true, ""},
		{"with other keys", "SELECT 1 /*action='%2Fparam*d',controller='index',traceparent='" + tp + "',tracestate='congo%3Dt61rcWkgMzE%2Crojo%3D00f067aa0ba902b7'*/", true, true, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"},
		{"not sampled", "SELECT 1 /*traceparent='00-" + tpTrace + "-" + tpSpan + "-00'*/", true, false, ""},
		{"url-encoded value", "SELECT 1 /*traceparent='00%2D" + tpTrace + "-" + tpSpan + "-01'*/", true, true, ""},
		{"spaces", "SELECT 1 /* traceparent = '" + tp + "' */", true, true, ""},
		{"bad tracestate dropped", "SELECT 1 /*traceparent='" + tp + "',tracestate='=,=='*/", true, true, ""},
		{"no comment", "SELECT 1", false, false, ""},
		{"comment without traceparent", "SELECT 1 /*controller='index'*/", false, false, ""},
		{"in a literal", "SELECT '/*traceparent=''" + tp + "''*/'", false, false, ""},
		{"in a middle comment", "SELECT /*traceparent='" + tp + "'*/ 1", false, false, ""},
		{"zero trace id", "SELECT 1 /*traceparent='00-00000000000000000000000000000000-" + tpSpan + "-01'*/", false, false, ""},
		{"zero span id", "SELECT 1 /*traceparent='00-" + tpTrace + "-0000000000000000-01'*/", false, false, ""},
		{"short id", "SELECT 1 /*traceparent='00-4bf92f35-" + tpSpan + "-01'*/", false, false, ""},
		{"version ff", "SELECT 1 /*traceparent='ff-" + tpTrace + "-" + tpSpan + "-01'*/", false, false, ""},
		{"unquoted", "SELECT 1 /*traceparent=" + tp + "*/", false, false, ""},
		{"unclosed quote", "SELECT 1 /*traceparent='" + tp + "*/", false, false, ""},
		{"bad escape", "SELECT 1 /*traceparent='%zz'*/", false, false, ""},
		{"junk after value", "SELECT 1 /*traceparent='" + tp + "' x*/", false, false, ""},
		{"unclosed comment", "/*traceparent='" + tp + "' SELECT 1", false, false, ""},
		{"empty", "", false, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, ok := ParseComment(tc.text)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (%v)", ok, tc.ok, sc)
			}
			if !ok {
				return
			}
			if sc.TraceID().String() != tpTrace || sc.SpanID().String() != tpSpan || !sc.IsRemote() {
				t.Errorf("ids %s %s remote %v", sc.TraceID(), sc.SpanID(), sc.IsRemote())
			}
			if sc.IsSampled() != tc.sampled {
				t.Errorf("sampled %v, want %v", sc.IsSampled(), tc.sampled)
			}
			if got := sc.TraceState().String(); got != tc.state {
				t.Errorf("tracestate %q, want %q", got, tc.state)
			}
		})
	}
}

func TestWithoutComment(t *testing.T) {
	for text, want := range map[string]string{
		"SELECT 1 /*traceparent='" + tp + "'*/":    "SELECT 1",
		"SELECT 1 /*traceparent='" + tp + "'*/;\n": "SELECT 1;\n",
		"/*traceparent='" + tp + "'*/ SELECT 1":    "SELECT 1",
		"SELECT 1 /*controller='index'*/":          "SELECT 1 /*controller='index'*/",
		"SELECT /*traceparent='" + tp + "'*/ 1":    "SELECT /*traceparent='" + tp + "'*/ 1",
		"SELECT 1":                                 "SELECT 1",
		"":                                         "",
	} {
		if got := WithoutComment(text); got != want {
			t.Errorf("WithoutComment(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestOperation(t *testing.T) {
	for text, want := range map[string]string{
		"select 1":                         "SELECT",
		"  \n-- note\n/* c */ insert into": "INSERT",
		"(SELECT 1) UNION (SELECT 2)":      "SELECT",
		"WITH x AS (SELECT 1) SELECT 1":    "WITH",
		"/*traceparent='x'*/ UPDATE t":     "UPDATE",
		"/* unclosed":                      "",
		"123":                              "",
		"":                                 "",
		"-- only a comment":                "",
	} {
		if got := Operation(text); got != want {
			t.Errorf("Operation(%q) = %q, want %q", text, got, want)
		}
	}
}

func FuzzParseComment(f *testing.F) {
	for _, s := range []string{
		"SELECT 1 /*traceparent='" + tp + "'*/",
		"/*traceparent='" + tp + "',tracestate='a%3Db'*/ SELECT 1",
		"SELECT 1 /*a='b\\'c',traceparent='" + tp + "'*/;",
		"SELECT 1 /*traceparent='%zz'*/",
		"SELECT 1 /**/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		sc, ok := ParseComment(text)
		if ok && (!sc.IsValid() || !sc.IsRemote()) {
			t.Fatalf("accepted an invalid span context %v from %q", sc, text)
		}
		if !ok && sc.IsValid() {
			t.Fatalf("refused but valid: %q", text)
		}
		_ = Operation(text)
		if w := WithoutComment(text); len(w) > len(text) {
			t.Fatalf("WithoutComment grew %q to %q", text, w)
		}
	})
}
