package pgrelay

import "testing"

func TestQuoting(t *testing.T) {
	for in, want := range map[string]string{
		"plain":     "E'plain'",
		"it's":      "E'it''s'",
		`a\'; drop`: `E'a\\''; drop'`,
	} {
		if got := quoteLiteral(in); got != want {
			t.Errorf("quoteLiteral(%q) = %s, want %s", in, got, want)
		}
	}
	for in, want := range map[string]string{"search_path": "search_path", "app.tenant": "app.tenant", `x"; drop`: `"x""; drop"`, "DateStyle": `"DateStyle"`} {
		if got := quoteIdent(in); got != want {
			t.Errorf("quoteIdent(%q) = %s, want %s", in, got, want)
		}
	}
}
