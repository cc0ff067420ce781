package sqltext

import (
	"strings"

	"github.com/DataDog/go-sqllexer"
)

// MySQLEffects is what a MySQL-dialect SQL string does to session state
// that a pooled backend connection would carry to the next client.
type MySQLEffects struct {
	// Pin names the first statement whose effect outlives the transaction
	// and cannot be replayed ("" if none): user variables, temporary
	// tables, GET_LOCK, LOCK TABLES, session SET, SQL PREPARE, HANDLER, XA.
	Pin string
	// Names is set for SET NAMES / SET CHARACTER SET: replayable.
	Names bool
	// Autocommit is set for a statement that only sets autocommit:
	// replayable (the new value shows in the server's status flags).
	Autocommit bool
	// LoadLocal is set for LOAD DATA|XML LOCAL INFILE.
	LoadLocal bool
	// Use is set for a USE statement (it changes the connection's
	// database, which a pooled connection would carry over).
	Use bool
	// Statements counts the statements in the string.
	Statements int
}

var mysqlTriggers = []string{"set", "@", "temporary", "get_lock", "lock", "prepare", "handler", "load", "xa", ":=", "use"}

// MySQLSessionEffects classifies sql (MySQL dialect). It never fails: text
// that does not lex is classified by the words it does contain.
func MySQLSessionEffects(sql string) MySQLEffects {
	var e MySQLEffects
	if !containsAnyFold(sql, mysqlTriggers) {
		e.Statements = 1
		return e
	}
	var st myStatement
	flush := func() {
		if len(st.words) > 0 || st.userVarSet {
			e.Statements++
			classifyMySQL(&st, &e)
		}
		st = myStatement{words: st.words[:0]}
	}
	lx := sqllexer.New(sql, sqllexer.WithDBMS(sqllexer.DBMSMySQL))
	var prevType sqllexer.TokenType
	var prevValue string
	for {
		tok := lx.Scan()
		switch tok.Type {
		case sqllexer.EOF:
			flush()
			return e
		case sqllexer.SPACE, sqllexer.COMMENT, sqllexer.MULTILINE_COMMENT:
			continue
		case sqllexer.PUNCTUATION:
			switch tok.Value {
			case ";":
				flush()
			case ",":
				st.commas++
			}
		case sqllexer.OPERATOR:
			if tok.Value == ":=" && prevType == sqllexer.BIND_PARAMETER {
				st.userVarSet = true
			}
		case sqllexer.BIND_PARAMETER:
			if strings.HasPrefix(tok.Value, "@") {
				if len(st.words) > 0 && (st.last() == "set" || st.last() == "into") || prevValue == "," && len(st.words) > 0 && st.words[0] == "set" {
					st.userVarSet = true
				}
				st.words = append(st.words, "@")
			}
		case sqllexer.SYSTEM_VARIABLE:
			st.words = append(st.words, strings.ToLower(tok.Value))
		case sqllexer.IDENT, sqllexer.KEYWORD, sqllexer.COMMAND, sqllexer.FUNCTION, sqllexer.BOOLEAN,
			sqllexer.NULL, sqllexer.PROC_INDICATOR, sqllexer.CTE_INDICATOR, sqllexer.ALIAS_INDICATOR:
			st.words = append(st.words, strings.ToLower(tok.Value))
		}
		prevType, prevValue = tok.Type, tok.Value
	}
}

type myStatement struct {
	words      []string
	userVarSet bool
	commas     int
}

func (s *myStatement) last() string { return s.words[len(s.words)-1] }

func classifyMySQL(s *myStatement, e *MySQLEffects) {
	pin := func(reason string) {
		if e.Pin == "" {
			e.Pin = reason
		}
	}
	if s.userVarSet {
		pin("user variable")
	}
	w := s.words
	at := func(i int) string {
		if i < len(w) {
			return w[i]
		}
		return ""
	}
	for i, x := range w {
		if x == "get_lock" {
			pin("GET_LOCK")
		}
		if x == "into" && at(i+1) == "@" {
			pin("user variable")
		}
	}
	switch at(0) {
	case "set":
		name := at(1)
		switch {
		case name == "names" || name == "charset" || name == "character" && at(2) == "set":
			if s.commas == 0 {
				e.Names = true
				return
			}
		case name == "global" || name == "@@global" || name == "statement" || name == "password":
			return
		case name == "transaction":
			pin("SET TRANSACTION")
			return
		case name == "@":
			return // the user variable pinned already
		}
		if name == "session" || name == "local" || name == "@@session" || name == "@@local" {
			name = at(2)
		}
		name = strings.TrimPrefix(name, "@@")
		if name == "autocommit" && s.commas == 0 {
			e.Autocommit = true
			return
		}
		pin("SET " + name)
	case "create":
		for i := 1; i < len(w) && i < 4; i++ {
			if w[i] == "temporary" {
				pin("temporary table")
			}
		}
	case "lock":
		pin("LOCK TABLES")
	case "flush":
		for i := 1; i+1 < len(w); i++ {
			if w[i] == "read" && w[i+1] == "lock" {
				pin("FLUSH TABLES WITH READ LOCK")
			}
		}
	case "prepare":
		pin("PREPARE")
	case "handler":
		pin("HANDLER")
	case "xa":
		pin("XA transaction")
	case "use":
		e.Use = true
	case "load":
		if (at(1) == "data" || at(1) == "xml") && (at(2) == "local" || at(3) == "local") {
			e.LoadLocal = true
		}
	}
}
