package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/sqlparse"
)

// Rules of the one-reading checks.
const (
	// RuleSetting refuses a session setting that would make the server
	// read text differently from the gateway, or resolve names elsewhere.
	RuleSetting = "setting.pinned"
	// RuleAmbiguous refuses text the server could read in more than one
	// way, or SQL it would run that the gateway cannot see.
	RuleAmbiguous = "parse.ambiguous"
)

// The gateway reads every statement once, with the server's default
// lexical rules: PostgreSQL with standard_conforming_strings on and a
// UTF-8 client encoding, MySQL/MariaDB with backslash escapes, "…" as
// strings and a client character set in which no multibyte character
// holds a quote or backslash byte. The settings that would change that
// reading are pinned: a statement that changes them (SET, SET LOCAL,
// SET SESSION, SET @@…, SET NAMES, set_config, ALTER ROLE/DATABASE/SYSTEM
// … SET, PREPARE of any of these) is refused, whoever sends it. So is
// search_path: grants resolve unqualified names against the default
// schema, so another path would let a granted name reach another table.

// pgUTF8 are the spellings of PostgreSQL's UTF-8 client encoding.
var pgUTF8 = []string{"utf8", "utf-8", "unicode"}

// pgTrue are PostgreSQL's spellings of a true boolean.
var pgTrue = []string{"on", "true", "yes", "1", "t", "y"}

// myCharsets are the MySQL client character sets whose multibyte
// characters never hold an ASCII byte: the lexer reads them like UTF-8.
var myCharsets = []string{"utf8mb4", "utf8mb3", "utf8", "latin1", "ascii", "binary"}

// mySQLModes are the sql_mode flags that leave lexing and parsing alone.
// NO_BACKSLASH_ESCAPES, ANSI_QUOTES, PIPES_AS_CONCAT, IGNORE_SPACE,
// HIGH_NOT_PRECEDENCE, ANSI, ORACLE, MSSQL, DB2, POSTGRESQL, MAXDB and
// any flag not listed are refused.
var mySQLModes = []string{
	"", "STRICT_TRANS_TABLES", "STRICT_ALL_TABLES", "NO_ZERO_IN_DATE", "NO_ZERO_DATE",
	"ERROR_FOR_DIVISION_BY_ZERO", "NO_AUTO_CREATE_USER", "NO_ENGINE_SUBSTITUTION", "ONLY_FULL_GROUP_BY",
	"NO_AUTO_VALUE_ON_ZERO", "NO_UNSIGNED_SUBTRACTION", "PAD_CHAR_TO_FULL_LENGTH", "REAL_AS_FLOAT",
	"ALLOW_INVALID_DATES", "TRADITIONAL", "NO_DIR_IN_CREATE", "NO_FIELD_OPTIONS", "NO_KEY_OPTIONS",
	"NO_TABLE_OPTIONS", "SIMULTANEOUS_ASSIGNMENT", "TIME_ROUND_FRACTIONAL", "EMPTY_STRING_IS_NULL",
}

// pgStartupParams are the startup parameters a PostgreSQL client may
// send (directly or as -c in options); the values of the pinned ones are
// checked as a SET of them would be. Anything else — superuser-only
// settings such as session_replication_role, lc_messages, or settings
// that change how text or names are read — is refused at startup.
var pgStartupParams = []string{
	"application_name", "client_encoding", "datestyle", "intervalstyle", "timezone", "extra_float_digits",
	"standard_conforming_strings", "search_path", "statement_timeout", "lock_timeout",
	"idle_in_transaction_session_timeout", "default_transaction_isolation", "default_transaction_read_only",
	"default_transaction_deferrable", "bytea_output", "client_min_messages",
}

func settingDenial(format string, args ...any) *Denial {
	return &Denial{Rule: RuleSetting, Code: sqlerr.InsufficientPrivilege, Errno: sqlerr.ErSpecificAccessDenied,
		Message: fmt.Sprintf(format, args...)}
}

func ambiguousDenial(msg string) *Denial {
	return &Denial{Rule: RuleAmbiguous, Code: sqlerr.FeatureNotSupported, Errno: sqlerr.ErNotSupportedYet, Message: msg}
}

// CheckStartupParams decides on a PostgreSQL client's startup parameters
// (lower-case names, options already split into its -c settings).
func CheckStartupParams(params map[string]string) *Denial {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		if !slices.Contains(pgStartupParams, name) {
			return settingDenial("startup parameter %q is not allowed through the gateway", name)
		}
		s := sqlparse.Setting{Name: name, Values: []string{params[name]}, Via: "startup"}
		if name == "search_path" {
			s.Values = pgPathList(params[name])
		}
		if d := checkPGSetting(s); d != nil {
			return d
		}
	}
	return nil
}

// CheckClientCharset decides on a MySQL client character set (the one
// of the handshake's collation).
func CheckClientCharset(cs string) *Denial {
	if slices.Contains(myCharsets, strings.ToLower(cs)) {
		return nil
	}
	return settingDenial("client character set %q is not allowed through the gateway: its multibyte characters can hold quote or backslash bytes; use utf8mb4", cs)
}

// checkReading refuses what the gateway cannot read one way: ambiguous
// text, pinned settings, SQL hidden from the parser, and prepared text
// the row filters cannot reach.
func (p *Policy) checkReading(req Request, a *reading) *Denial {
	if a.parseErr != nil {
		if errors.Is(a.parseErr, sqlparse.ErrAmbiguous) {
			return ambiguousDenial("statement refused: " + trimParseError(a.parseErr))
		}
		if req.Dialect == MySQL && strings.Contains(a.parseErr.Error(), "Unknown character set") {
			// SET NAMES of a character set the parser does not know: refused
			// even where unparseable text may run.
			return settingDenial("permission denied: a character set unknown to the gateway is not allowed (%s)", trimParseError(a.parseErr))
		}
		return nil
	}
	for i := range a.stmts {
		st := &a.stmts[i]
		if st.Unchecked != "" {
			return ambiguousDenial("statement refused: " + st.Unchecked + " runs SQL text the gateway cannot check; use PREPARE … FROM '<statement>'")
		}
		for _, s := range st.Settings {
			var d *Denial
			if req.Dialect == MySQL {
				d = checkMySetting(s)
			} else {
				d = checkPGSetting(s)
			}
			if d != nil {
				return d
			}
		}
		for _, t := range st.Tables {
			if req.Dialect == Postgres && t.Action != sqlparse.ActionRead && strings.EqualFold(t.Name, "pg_settings") &&
				(t.Schema == "" || strings.EqualFold(t.Schema, "pg_catalog")) {
				return settingDenial("permission denied: writing pg_settings changes session settings; it is not allowed through the gateway")
			}
		}
		if st.Prepared && p.filtered(req, st) {
			return settingDenial("statement refused: PREPARE of a statement on a table with a row filter; run the statement itself or prepare it through the protocol")
		}
	}
	return nil
}

// filtered reports whether a row filter of the request's roles applies
// to a table of st.
func (p *Policy) filtered(req Request, st *sqlparse.Statement) bool {
	filtered := p.filteredTables(req)
	return slices.ContainsFunc(st.Tables, func(t sqlparse.Table) bool {
		return slices.Contains(filtered, qualified(t.String(), req.DefaultSchema))
	})
}

// checkPGSetting decides on one PostgreSQL setting change.
func checkPGSetting(s sqlparse.Setting) *Denial {
	if s.Name == "" {
		return settingDenial("permission denied: %s with a computed setting name is not allowed through the gateway", s.Via)
	}
	pinned := func(why string) *Denial {
		return settingDenial("permission denied: %s of %s is not allowed through the gateway (%s)", s.Via, s.Name, why)
	}
	switch s.Name {
	case "standard_conforming_strings":
		// Its default is the server's, which may not be on.
		if s.Default || s.Computed || len(s.Values) != 1 || !slices.Contains(pgTrue, strings.ToLower(strings.TrimSpace(s.Values[0]))) {
			return pinned("the gateway reads string literals with it on")
		}
	case "client_encoding":
		if s.Default {
			return nil // the backend connection's own, UTF8
		}
		if s.Computed || len(s.Values) != 1 || !slices.Contains(pgUTF8, strings.ToLower(strings.TrimSpace(s.Values[0]))) {
			return pinned("the gateway reads text as UTF8")
		}
	case "search_path":
		if s.Default {
			return nil
		}
		vals := s.Values
		if s.Via == "set_config" {
			vals = pgPathList(strings.Join(vals, ","))
		}
		if s.Computed || !defaultPath(vals) {
			return pinned("grants resolve unqualified names in schema public; qualify names with their schema instead")
		}
	case "session_replication_role":
		return pinned("it turns off triggers and foreign keys")
	default:
		if why, ok := pgUnloggedSettings[strings.ToLower(s.Name)]; ok {
			return pinned(why)
		}
	}
	return nil
}

// pgPathList splits a search_path value as the server does: unquoted
// names fold to lower case, quoted ones keep their case.
func pgPathList(v string) []string {
	var out []string
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if len(part) >= 2 && part[0] == '"' && part[len(part)-1] == '"' {
			out = append(out, strings.ReplaceAll(part[1:len(part)-1], `""`, `"`))
			continue
		}
		out = append(out, strings.ToLower(part))
	}
	return out
}

// defaultPath reports whether a search_path is the default one: public,
// maybe after "$user" and with pg_catalog (always searched) named.
func defaultPath(vals []string) bool {
	vals = slices.DeleteFunc(slices.Clone(vals), func(v string) bool { return v == "pg_catalog" || v == "$user" })
	return len(vals) == 1 && vals[0] == "public"
}

// checkMySetting decides on one MySQL/MariaDB setting change.
func checkMySetting(s sqlparse.Setting) *Denial {
	switch s.Name {
	case "sql_mode":
		if s.Default {
			return nil
		}
		if s.Computed {
			return settingDenial("permission denied: %s of sql_mode to a value the gateway cannot evaluate is not allowed; set it to a literal, or CONCAT(@@sql_mode, '<flags>')", s.Via)
		}
		for _, v := range s.Values {
			for flag := range strings.SplitSeq(v, ",") {
				flag = strings.ToUpper(strings.TrimSpace(flag))
				if !slices.Contains(mySQLModes, flag) {
					return settingDenial("permission denied: %s of sql_mode flag %s is not allowed through the gateway (it changes how the server reads SQL text, or is unknown to the gateway)", s.Via, flag)
				}
			}
		}
	case "character_set_client":
		if s.Default {
			return nil
		}
		if s.Computed || len(s.Values) != 1 || !slices.Contains(myCharsets, strings.ToLower(strings.TrimSpace(s.Values[0]))) {
			v := ""
			if len(s.Values) > 0 {
				v = s.Values[0]
			}
			return settingDenial("permission denied: %s to client character set %q is not allowed through the gateway: its multibyte characters can hold quote or backslash bytes; use utf8mb4", s.Via, v)
		}
	default:
		if why, ok := myUnloggedSettings[strings.ToLower(s.Name)]; ok {
			return settingDenial("permission denied: %s of %s is not allowed through the gateway (%s)", s.Via, s.Name, why)
		}
	}
	return nil
}

// Refused records a denial made for the session outside Check (a
// startup parameter, the handshake's character set) in the admin API's
// list of recent denials.
func (g *Gate) Refused(d *Denial) {
	if g == nil || d == nil {
		return
	}
	g.src().noteDenial(g.base, d, "")
}
