package policy

import (
	"slices"
	"strings"

	libinjection "github.com/corazawaf/libinjection-go"

	"github.com/floe-db/floe/internal/sqlparse"
)

// Firewall rule ids. Each finding names one; the ids appear in errors,
// logs, metrics and audit records, and firewall.disable_rules takes them.
const (
	RuleTautology   = "sqli.tautology"
	RuleConstCond   = "sqli.const-condition"
	RuleLiteralOp   = "sqli.literal-operator"
	RuleUnionArity  = "sqli.union-arity"
	RuleHeavyQuery  = "sqli.heavy-query"
	RuleUnion       = "sqli.union-const"
	RuleComment     = "sqli.comment-truncation"
	RuleStacked     = "sqli.stacked"
	RuleLiteral     = "sqli.libinjection"
	RuleTime        = "sqli.time"
	RuleFile        = "sqli.file"
	RuleExec        = "sqli.exec"
	RuleOOB         = "sqli.out-of-band"
	RuleCatalog     = "sqli.catalog"
	RuleServerInfo  = "sqli.server-info"
	RuleUnknown     = "firewall.unknown-fingerprint"
	RuleParse       = "parse.error"
	RuleInput       = "input.invalid"
	RuleSize        = "input.too-large"
	RuleGrant       = "grant.missing"
	RuleGrantDenied = "grant.denied"
)

// FirewallRules lists the detection rules (for docs and validation).
var FirewallRules = []string{RuleTautology, RuleConstCond, RuleLiteralOp, RuleUnionArity, RuleHeavyQuery, RuleUnion, RuleComment, RuleStacked, RuleLiteral,
	RuleTime, RuleFile, RuleExec, RuleOOB, RuleCatalog, RuleServerInfo, RuleExtraction, RuleErrorBased, RuleCharBuild, RuleUnionForeign}

// Finding is one firewall observation about a text.
type Finding struct {
	Rule   string
	Reason string
	// Block is false for findings that are only reported (a catalogue
	// query on its own is what tools do; inside an application query it
	// is probing).
	Block bool
}

// inspect runs the detection rules over a parsed text. It depends on the
// text and dialect only, so its result is cached with the parse.
func inspect(d Dialect, text string, stmts []sqlparse.Statement) []Finding {
	var out []Finding
	add := func(rule, reason string, block bool) {
		for _, f := range out {
			if f.Rule == rule {
				return
			}
		}
		out = append(out, Finding{Rule: rule, Reason: reason, Block: block})
	}
	if body, ok := sqlparse.TrailingComment(text, d == MySQL); ok && isTruncation(body) {
		add(RuleComment, "the text ends in a line comment that cuts off the rest of the statement", true)
	}
	if len(stmts) > 1 && isDML(stmts[0].Kind) {
		// An injected statement rides on the application's query; scripts
		// that start with DDL or SET are not that shape.
		first := stmts[0].Kind
		for i := range stmts[1:] {
			if st := &stmts[i+1]; stackedAfter(&stmts[0], st) {
				add(RuleStacked, "a "+string(first)+" statement is followed by a "+string(st.Kind)+" statement on other tables in one text", true)
				break
			}
		}
	}
	for i := range stmts {
		st := &stmts[i]
		if st.Tautology {
			add(RuleTautology, "a condition is OR-ed with an expression that is always true", true)
		}
		if st.ConstConditions > 0 {
			add(RuleConstCond, "a condition compares two constants", true)
		}
		if st.LiteralOps > 0 {
			add(RuleLiteralOp, "an operator combines a string literal with another literal, a subquery or a condition", true)
		}
		if st.UnionArity {
			add(RuleUnionArity, "the branches of a UNION select different numbers of columns", true)
		}
		if st.HeavyJoin {
			add(RuleHeavyQuery, "a FROM list repeats one table three or more times without join conditions", true)
		}
		if st.ConstUnion {
			add(RuleUnion, "a UNION adds a branch that reads no table to a query that does", true)
		}
		if f, ok := literalFinding(st.Strings); ok {
			add(f.Rule, f.Reason, f.Block)
		}
		appTables := slices.ContainsFunc(st.Tables, func(t sqlparse.Table) bool { return !isCatalog(d, t) })
		for _, t := range st.Tables {
			if isCatalog(d, t) || isSensitiveTable(d, t) {
				probe := appTables || st.Subqueries > 0 || isSensitiveTable(d, t)
				add(RuleCatalog, "reads the system catalogue ("+t.String()+")", probe)
			}
		}
		for _, f := range st.Functions {
			switch functionClass(f) {
			case classSleep:
				add(RuleTime, "calls "+f+", a delay used for time-based probing", true)
			case classFile:
				add(RuleFile, "calls "+f+", which reaches files on the server", true)
			case classExec:
				add(RuleExec, "calls "+f+", which runs programs on the server", true)
			case classNetwork:
				add(RuleOOB, "calls "+f+", which opens connections from the server", true)
			case classInfo:
				add(RuleServerInfo, "calls "+f+", which reveals the server or the session", appTables || st.Subqueries > 0 || len(stmts) > 1)
			}
		}
		for _, v := range st.SystemVars {
			if v == "version" || v == "version_comment" || v == "datadir" || v == "hostname" || v == "basedir" {
				add(RuleServerInfo, "reads @@"+v, appTables || st.Subqueries > 0 || len(stmts) > 1)
			}
		}
		inspectExtraction(st, add)
		if st.FileAccess {
			add(RuleFile, "reads or writes files on the server ("+st.Node+")", true)
		}
		if st.CopyProgram {
			add(RuleExec, "COPY runs a program on the server", true)
		}
	}
	return out
}

// literalFinding runs libinjection over string literals' values.
func literalFinding(strs []string) (Finding, bool) {
	for _, s := range strs {
		if len(s) < 3 {
			continue
		}
		if sqli, fp := libinjection.IsSQLi(s); sqli {
			return Finding{Rule: RuleLiteral, Reason: "a string literal holds SQL (libinjection fingerprint " + fp + ")", Block: true}, true
		}
	}
	return Finding{}, false
}

func isDML(k sqlparse.Kind) bool {
	switch k {
	case sqlparse.KindSelect, sqlparse.KindInsert, sqlparse.KindUpdate, sqlparse.KindDelete, sqlparse.KindMerge:
		return true
	}
	return false
}

// isTruncation tells a comment that cuts a statement short from one a
// person wrote: it has no words, only quotes, brackets or punctuation.
func isTruncation(body string) bool {
	if strings.Count(body, "'")%2 == 1 || strings.Count(body, `"`)%2 == 1 {
		return true // the rest of a quoted value the comment cut off
	}
	for _, r := range body {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 127 {
			return false
		}
	}
	return true
}

// isSensitiveTable names tables whose only use in an application query
// is theft: credential stores.
func isSensitiveTable(d Dialect, t sqlparse.Table) bool {
	s, n := strings.ToLower(t.Schema), strings.ToLower(t.Name)
	// Both dialects' names are checked: a payload may target either.
	return s == "mysql" && (n == "user" || n == "global_priv" || n == "db") ||
		(s == "" || s == "pg_catalog") && (n == "pg_shadow" || n == "pg_authid")
}
