package sqltext

import (
	"strings"

	"github.com/DataDog/go-sqllexer"
)

// Effects is what a SQL string does to session state that a pooled backend
// connection would carry over to the next client.
type Effects struct {
	// Pin names the first statement whose effect outlives the transaction
	// and cannot be replayed on another connection ("" if none).
	Pin string
	// DiscardAll is set for DISCARD ALL.
	DiscardAll bool
	// DeallocateAll is set for DEALLOCATE ALL.
	DeallocateAll bool
	// Deallocate lists statement names in DEALLOCATE name.
	Deallocate []string
	// Listen is set for LISTEN: the server sends notifications between
	// statements, which the client must receive while idle.
	Listen bool
	// Statements counts the statements in the string.
	Statements int
}

// reportedParams are the settable parameters PostgreSQL reports with
// ParameterStatus (GUC_REPORT). A pooler sees their new values and can
// replay them on whichever connection a client gets next, so SET of one
// of these does not pin.
var reportedParams = map[string]bool{
	"application_name": true, "client_encoding": true, "datestyle": true, "intervalstyle": true,
	"timezone": true, "standard_conforming_strings": true,
}

// IsReportedParam reports whether name (any case) is a parameter the
// server reports with ParameterStatus.
func IsReportedParam(name string) bool { return reportedParams[strings.ToLower(name)] }

var triggers = []string{"set", "listen", "temp", "prepare", "hold", "load", "advisory", "discard", "deallocate"}

// SessionEffects classifies sql (PostgreSQL dialect). It never fails:
// text that does not lex is classified by the words it does contain.
func SessionEffects(sql string) Effects {
	var e Effects
	if !containsAnyFold(sql, triggers) {
		e.Statements = 1
		return e
	}
	var words []string
	flush := func() {
		if len(words) > 0 {
			e.Statements++
			classify(words, &e)
		}
		words = words[:0]
	}
	lx := sqllexer.New(sql, sqllexer.WithDBMS(sqllexer.DBMSPostgres))
	for {
		tok := lx.Scan()
		switch tok.Type {
		case sqllexer.EOF:
			flush()
			return e
		case sqllexer.PUNCTUATION:
			if tok.Value == ";" {
				flush()
			}
		case sqllexer.IDENT, sqllexer.KEYWORD, sqllexer.COMMAND, sqllexer.FUNCTION, sqllexer.QUOTED_IDENT,
			sqllexer.BOOLEAN, sqllexer.NULL, sqllexer.PROC_INDICATOR, sqllexer.CTE_INDICATOR, sqllexer.ALIAS_INDICATOR:
			w := tok.Value
			if tok.Type != sqllexer.QUOTED_IDENT {
				w = strings.ToLower(w)
			} else {
				w = strings.Trim(w, `"`)
			}
			words = append(words, w)
		}
	}
}

var advisory = map[string]bool{
	"pg_advisory_lock": true, "pg_advisory_lock_shared": true,
	"pg_try_advisory_lock": true, "pg_try_advisory_lock_shared": true,
}

func classify(w []string, e *Effects) {
	pin := func(reason string) {
		if e.Pin == "" {
			e.Pin = reason
		}
	}
	at := func(i int) string {
		if i < len(w) {
			return w[i]
		}
		return ""
	}
	for _, x := range w {
		if advisory[x] {
			pin("advisory lock")
		}
		if x == "set_config" {
			pin("set_config()")
		}
	}
	switch w[0] {
	case "set":
		name := at(1)
		switch name {
		case "local":
			return
		case "session":
			if at(2) == "authorization" || at(2) == "characteristics" {
				pin("SET SESSION " + strings.ToUpper(at(2)))
				return
			}
			name = at(2)
		case "transaction":
			return
		case "time":
			name = "timezone"
		case "role":
			pin("SET ROLE")
			return
		}
		if !reportedParams[name] {
			pin("SET " + name)
		}
	case "reset":
		if !reportedParams[at(1)] && !(at(1) == "time" && at(2) == "zone") {
			pin("RESET " + at(1))
		}
	case "listen":
		pin("LISTEN")
		e.Listen = true
	case "create":
		for i := 1; i < len(w) && i < 4; i++ {
			if w[i] == "temp" || w[i] == "temporary" {
				pin("temporary object")
			}
		}
	case "prepare":
		pin("PREPARE")
	case "declare":
		for i := 1; i+1 < len(w); i++ {
			if w[i] == "with" && w[i+1] == "hold" {
				pin("cursor WITH HOLD")
			}
		}
	case "load":
		pin("LOAD")
	case "discard":
		if at(1) == "all" {
			e.DiscardAll = true
		}
		if at(1) == "temp" || at(1) == "temporary" {
			return
		}
	case "deallocate":
		name := at(1)
		if name == "prepare" {
			name = at(2)
		}
		if name == "all" {
			e.DeallocateAll = true
		} else if name != "" {
			e.Deallocate = append(e.Deallocate, name)
		}
	}
}

// containsAnyFold reports whether s contains any of the lower-case ASCII
// words, ignoring ASCII case.
func containsAnyFold(s string, words []string) bool {
	for i := 0; i < len(s); i++ {
		c := lowerASCII(s[i])
		for _, w := range words {
			if c == w[0] && len(s)-i >= len(w) && equalFoldASCII(s[i:i+len(w)], w) {
				return true
			}
		}
	}
	return false
}

func equalFoldASCII(s, lower string) bool {
	for i := 0; i < len(lower); i++ {
		if lowerASCII(s[i]) != lower[i] {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}
