package dataapi

import (
	"strings"

	"github.com/DataDog/go-sqllexer"

	"github.com/floe-db/floe/internal/audit"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/sqlparse"
	"github.com/floe-db/floe/internal/sqltext"
)

// A data-API request is one statement without a session: it runs on a
// pooled connection that the next request, of any user, gets after it.
// Statements whose only point is to change the state of that connection
// (settings, temporary objects, prepared statements, variables, locks,
// transactions, cursors, notifications, the current database) are
// refused here, before the policy and before the database sees them.
// The connection is also reset when it goes back to the pool (reset.go),
// which catches what no reading of the text can see (a function that
// calls set_config inside).

// sessionVerbs are first words of statements that change session state
// or only make sense within a session.
var sessionVerbs = map[string]string{
	"set": "SET", "reset": "RESET", "prepare": "PREPARE", "execute": "EXECUTE",
	"deallocate": "DEALLOCATE", "listen": "LISTEN", "unlisten": "UNLISTEN",
	"lock": "LOCK", "unlock": "UNLOCK", "use": "USE", "discard": "DISCARD", "load": "LOAD",
	"begin": "BEGIN", "start": "START TRANSACTION", "commit": "COMMIT", "rollback": "ROLLBACK",
	"savepoint": "SAVEPOINT", "release": "RELEASE", "end": "END", "abort": "ABORT",
	"declare": "DECLARE", "close": "CLOSE", "fetch": "FETCH", "move": "MOVE",
	"handler": "HANDLER", "xa": "XA", "do": "DO",
}

// sessionFunctions change session state from inside an expression.
var sessionFunctions = map[string]string{
	"set_config":                  "set_config()",
	"pg_advisory_lock":            "advisory lock",
	"pg_advisory_lock_shared":     "advisory lock",
	"pg_try_advisory_lock":        "advisory lock",
	"pg_try_advisory_lock_shared": "advisory lock",
	"dblink_connect":              "dblink_connect()",
	"dblink_connect_u":            "dblink_connect()",
	"setseed":                     "setseed()",
	"get_lock":                    "GET_LOCK()",
}

// sessionNodes are parsed statements (PostgreSQL and TiDB node names)
// refused for the same reason: a second reading beside the lexer's.
var sessionNodes = map[string]bool{
	// PostgreSQL
	"VariableSetStmt": true, "ListenStmt": true, "UnlistenStmt": true, "PrepareStmt": true,
	"ExecuteStmt": true, "DeallocateStmt": true, "TransactionStmt": true, "LockStmt": true,
	"DiscardStmt": true, "LoadStmt": true, "DeclareCursorStmt": true, "ClosePortalStmt": true,
	"FetchStmt": true, "DoStmt": true,
	// MySQL (TiDB parser)
	"SetStmt": true, "UseStmt": true, "BeginStmt": true, "CommitStmt": true, "RollbackStmt": true,
	"SavepointStmt": true, "ReleaseSavepointStmt": true, "LockTablesStmt": true,
	"UnlockTablesStmt": true, "SetRoleStmt": true, "SetDefaultRoleStmt": true,
	"SetSessionStatesStmt": true,
}

// sessionChange says why sql would change the state of the connection it
// runs on, or returns "" when it would not. It reads the text with the
// lexer (so it works with the policy off and on text the parser rejects),
// MySQL executable comments included, and also looks at the parsed
// statements when there are any.
func sessionChange(d policy.Dialect, sql string, parsed []sqlparse.Statement) string {
	for _, st := range parsed {
		if sessionNodes[st.Node] {
			return "statement " + st.Node
		}
		if st.Node == "CreateStmt" || st.Node == "ViewStmt" || st.Node == "CreateTableAsStmt" || st.Node == "CreateSeqStmt" {
			// Temporary objects are also caught by the text below; the
			// parse names them by schema.
			for _, t := range st.Tables {
				if strings.HasPrefix(strings.ToLower(t.Schema), "pg_temp") {
					return "temporary object"
				}
			}
		}
		for _, f := range st.Functions {
			if why := sessionFunctions[lastPart(f)]; why != "" {
				return why
			}
		}
	}
	dbms := sqllexer.DBMSPostgres
	if d == policy.MySQL {
		dbms = sqllexer.DBMSMySQL
	}
	var toks []sqllexer.Token
	lexInto(&toks, sql, dbms, 0)

	var stmts [][]sqllexer.Token
	var cur []sqllexer.Token
	for _, t := range toks {
		if t.Type == sqllexer.PUNCTUATION && t.Value == ";" {
			if len(cur) > 0 {
				stmts = append(stmts, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, t)
	}
	if len(cur) > 0 {
		stmts = append(stmts, cur)
	}
	if len(stmts) > 1 {
		return "more than one statement"
	}
	for _, st := range stmts {
		if why := stmtSessionChange(d, st); why != "" {
			return why
		}
	}
	return ""
}

// lexInto appends the tokens of sql that matter (no spaces, no plain
// comments) to out. In MySQL, the body of an executable comment (/*! … */,
// /*!50001 … */, MariaDB's /*M! … */) is code to the server, so it is
// lexed as code here too.
func lexInto(out *[]sqllexer.Token, sql string, dbms sqllexer.DBMSType, depth int) {
	lx := sqllexer.New(sql, sqllexer.WithDBMS(dbms))
	for {
		tok := lx.Scan()
		switch tok.Type {
		case sqllexer.EOF:
			return
		case sqllexer.SPACE, sqllexer.COMMENT:
			continue
		case sqllexer.MULTILINE_COMMENT:
			if body, ok := executableComment(tok.Value); ok && dbms == sqllexer.DBMSMySQL && depth < 4 {
				lexInto(out, body, dbms, depth+1)
			}
			continue
		}
		*out = append(*out, sqllexer.Token{Type: tok.Type, Value: tok.Value})
	}
}

// executableComment returns the code inside /*!…*/ or /*M!…*/ (version
// digits removed).
func executableComment(c string) (string, bool) {
	body, ok := strings.CutPrefix(c, "/*")
	if !ok {
		return "", false
	}
	body = strings.TrimSuffix(body, "*/")
	switch {
	case strings.HasPrefix(body, "!"):
		body = body[1:]
	case strings.HasPrefix(body, "M!"), strings.HasPrefix(body, "m!"):
		body = body[2:]
	default:
		return "", false
	}
	return strings.TrimLeft(body, "0123456789"), true
}

// word is a token's text as a lower-case name (quotes removed), or "".
func word(t sqllexer.Token) string {
	switch t.Type {
	case sqllexer.IDENT, sqllexer.KEYWORD, sqllexer.COMMAND, sqllexer.FUNCTION, sqllexer.BOOLEAN,
		sqllexer.NULL, sqllexer.PROC_INDICATOR, sqllexer.CTE_INDICATOR, sqllexer.ALIAS_INDICATOR, sqllexer.UNKNOWN:
		return strings.ToLower(t.Value)
	case sqllexer.QUOTED_IDENT:
		return strings.ToLower(strings.Trim(t.Value, "\"`"))
	}
	return ""
}

// lastPart is the name after the last dot of a qualified name.
func lastPart(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	return strings.Trim(name, "\"`")
}

func stmtSessionChange(d policy.Dialect, st []sqllexer.Token) string {
	var words []string
	for _, t := range st {
		if w := word(t); w != "" {
			words = append(words, w)
		}
	}
	if len(words) > 0 {
		if why := sessionVerbs[words[0]]; why != "" {
			return why
		}
		if words[0] == "flush" && containsSeq(words, "read", "lock") {
			return "FLUSH TABLES WITH READ LOCK"
		}
		if words[0] == "create" {
			for i := 1; i < len(words) && i < 5; i++ {
				if words[i] == "temp" || words[i] == "temporary" {
					return "temporary object"
				}
			}
		}
	}
	for i, w := range words {
		if strings.HasPrefix(w, "pg_temp") || strings.Contains(w, ".pg_temp") {
			return "temporary schema pg_temp"
		}
		if w == "into" && i+1 < len(words) {
			switch words[i+1] {
			case "temp", "temporary", "local", "global":
				return "temporary object"
			}
		}
	}
	for i, t := range st {
		// A call: the name, then "(" (a column of that name is no call).
		if why := sessionFunctions[lastPart(word(t))]; why != "" && i+1 < len(st) && st[i+1].Value == "(" {
			return why
		}
	}
	if d == policy.MySQL {
		for i, t := range st {
			if t.Type == sqllexer.OPERATOR && t.Value == ":=" {
				return "user variable"
			}
			if word(t) == "into" && i+1 < len(st) && strings.HasPrefix(st[i+1].Value, "@") {
				return "user variable"
			}
		}
	}
	return ""
}

func containsSeq(words []string, a, b string) bool {
	for i := 0; i+1 < len(words); i++ {
		if words[i] == a && words[i+1] == b {
			return true
		}
	}
	return false
}

// RuleSessionState is the rule named in refusals of statements that
// would change the state of a data-API connection.
const RuleSessionState = "dataapi.session-state"

// maxAuditedSQL bounds the statement text kept in an audit record.
const maxAuditedSQL = 4096

// refuseSessionChange answers and audits a refused session-changing
// statement (the caller counts it: stmt.Session.Refused). The audit
// record carries the text as received, its literals masked by the
// tokenizer.
func (s *Service) refuseSessionChange(c Caller, db string, d policy.Dialect, sql, why string) *Error {
	e := &Error{Status: 403, Code: CodeDenied, SQLState: sqlerr.FeatureNotSupported, Errno: sqlerr.ErNotSupportedYet, Rule: RuleSessionState,
		Message: "statement refused: " + why + " would change the state of the connection, and a data-API request is one statement without a session (use the PostgreSQL or MySQL protocol for session statements)"}
	text := sql
	if len(text) > maxAuditedSQL {
		text = text[:maxAuditedSQL]
	}
	masked := sqltext.Mask(text)
	if d == policy.MySQL {
		masked = sqltext.MaskMySQL(text)
	}
	s.log.Info("data API refused a session statement", "user", c.User.Name, "database", db, "reason", why, "sql", masked)
	s.gw.PolicyNow().Audit(audit.Event{Type: "statement", Fields: map[string]any{
		"user": c.User.Name, "database": db, "client": policy.HostOf(c.Client), "protocol": c.Protocol,
		"via": "query", "decision": "denied", "rule": RuleSessionState, "reason": e.Message, "sql": masked,
	}})
	return e
}
