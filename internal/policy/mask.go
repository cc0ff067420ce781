package policy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/sqlparse"
)

// RuleMaskDerived is the rule id of statements refused because they
// would compute on, copy or pass on a masked column where the result
// cannot be masked.
const RuleMaskDerived = "mask.derived"

// maskRule is one compiled masking rule.
type maskRule struct {
	database string // glob
	table    string // "schema.name" glob, lower case; "." prefix: the default schema
	column   string // glob, lower case
	mask     *Mask
	except   []string
}

func compileMasks(rules []config.MaskRule) []maskRule {
	out := make([]maskRule, 0, len(rules))
	for _, r := range rules {
		t := strings.ToLower(r.Table)
		switch {
		case t == "" || t == "*":
			t = "*.*"
		case !strings.Contains(t, "."):
			t = "." + t
		}
		m := &Mask{Method: r.Method, keep: r.Keep}
		if m.keep == 0 {
			m.keep = 4
		}
		if r.Key != "" {
			m.key = []byte(r.Key)
		}
		out = append(out, maskRule{database: r.Database, table: t, column: strings.ToLower(r.Column), mask: m, except: r.ExceptRoles})
	}
	return out
}

// Masks are the masking rules that apply to one user on one database.
// A nil *Masks masks nothing.
type Masks struct {
	rules     []*maskRule
	defSchema string
}

// Masks returns the rules that mask values for a user with roles on db
// (nil when none do: no rule names the database, or a role is exempt
// from each).
func (p *Policy) Masks(roles []string, db, defSchema string) *Masks {
	if p == nil || len(p.masking) == 0 {
		return nil
	}
	var ms *Masks
	for i := range p.masking {
		r := &p.masking[i]
		if !globMatch(r.database, db) || slices.ContainsFunc(roles, func(x string) bool { return slices.Contains(r.except, x) }) {
			continue
		}
		if ms == nil {
			ms = &Masks{defSchema: strings.ToLower(defSchema)}
		}
		ms.rules = append(ms.rules, r)
	}
	return ms
}

func (ms *Masks) tableMatches(r *maskRule, schema, table string) bool {
	if schema == "" {
		schema = ms.defSchema
	}
	p := r.table
	if strings.HasPrefix(p, ".") {
		p = ms.defSchema + p
	}
	return globMatch(p, strings.ToLower(schema+"."+table))
}

// Column returns how a column of a table is masked, or nil. The first
// rule that matches decides. An empty schema is the default one.
func (ms *Masks) Column(schema, table, column string) *Mask {
	if ms == nil {
		return nil
	}
	column = strings.ToLower(column)
	for _, r := range ms.rules {
		if ms.tableMatches(r, schema, table) && globMatch(r.column, column) {
			return r.mask
		}
	}
	return nil
}

// Table reports whether any column of a table may be masked.
func (ms *Masks) Table(schema, table string) bool {
	if ms == nil {
		return false
	}
	for _, r := range ms.rules {
		if ms.tableMatches(r, schema, table) {
			return true
		}
	}
	return false
}

// covers reports whether a column use (or a star) names a masked column.
func (ms *Masks) covers(u sqlparse.ColumnUse) bool {
	if u.Column == "*" {
		return ms.Table(u.Schema, u.Table)
	}
	return ms.Column(u.Schema, u.Table, u.Column) != nil
}

// review refuses statements that would let masked values out unmasked:
// computed on, copied elsewhere, compared or converted where a row count
// or an error message would show them (a filter is an oracle: WHERE
// email LIKE 'a%' halves the candidates; WHERE email::int = 1 prints
// the value in the error), or passed through where the result does
// not say which column a value came from (nested says whether the server
// reports the origin of a column passed through a subquery). Otherwise
// it lists the masked columns the statements return ("table.column",
// "table.*" for a star over a table with masked columns).
func (ms *Masks) review(req Request, stmts []sqlparse.Statement, nested bool) (masked []string, den *Denial) {
	for i := range stmts {
		st := &stmts[i]
		if st.Kind == sqlparse.KindCopy {
			for _, t := range st.Tables {
				if t.Action == sqlparse.ActionRead && ms.Table(t.Schema, t.Name) {
					return nil, maskDenial(req, t.String(), "", "COPY cannot mask its output; select the columns instead")
				}
			}
		}
		for _, u := range st.Columns {
			if u.Use == sqlparse.UseRead || !ms.covers(u) {
				continue
			}
			t := sqlparse.Table{Schema: u.Schema, Name: u.Table}.String()
			switch {
			case u.Use == sqlparse.UseFilter:
				return nil, maskDenial(req, t, u.Column, "it may not decide which rows are returned or in what order (WHERE, JOIN, GROUP BY, ORDER BY, HAVING, EXPLAIN): comparisons and conversion errors would reveal its values")
			case u.Use == sqlparse.UseDerived:
				return nil, maskDenial(req, t, u.Column, "it can be selected only as it is, not computed on, combined by a set operation, or stored elsewhere")
			case u.Use == sqlparse.UseNested && !nested:
				return nil, maskDenial(req, t, u.Column, "this server does not report where a column passed through a subquery or CTE comes from; select it from the table directly")
			}
			if name := t + "." + u.Column; !slices.Contains(masked, name) {
				masked = append(masked, name)
			}
		}
	}
	return masked, nil
}

func maskDenial(req Request, table, column, why string) *Denial {
	what := "table " + table + " has masked columns"
	if column != "" && column != "*" {
		what = "column " + column + " of table " + table + " is masked"
	}
	return &Denial{Rule: RuleMaskDerived, Code: sqlerr.InsufficientPrivilege, Errno: sqlerr.ErColumnAccessDenied,
		Message: fmt.Sprintf("permission denied: %s for user %q: %s", what, req.User, why)}
}

// Mask is how one column's values are shown.
type Mask struct {
	// Method is full, partial, hash, null or email.
	Method string
	keep   int
	key    []byte
}

// Null reports whether the masked value is NULL.
func (m *Mask) Null() bool { return m.Method == "null" }

// fullMask replaces a whole value; its length says nothing of the value's.
const fullMask = "****"

// Apply appends the masked form of the text value v to dst.
func (m *Mask) Apply(dst, v []byte) []byte {
	switch m.Method {
	case "partial":
		n := utf8.RuneCount(v)
		if n <= m.keep {
			return appendStars(dst, n)
		}
		dst = appendStars(dst, n-m.keep)
		cut := len(v)
		for range m.keep {
			_, size := utf8.DecodeLastRune(v[:cut])
			cut -= size
		}
		return append(dst, v[cut:]...)
	case "email":
		at := strings.LastIndexByte(string(v), '@')
		if at <= 0 {
			return append(dst, fullMask...)
		}
		_, size := utf8.DecodeRune(v)
		dst = append(dst, v[:size]...)
		dst = append(dst, "***"...)
		return append(dst, v[at:]...)
	case "hash":
		var sum []byte
		if m.key != nil {
			h := hmac.New(sha256.New, m.key)
			h.Write(v)
			sum = h.Sum(nil)
		} else {
			s := sha256.Sum256(v)
			sum = s[:]
		}
		return hex.AppendEncode(dst, sum)
	case "null":
		return dst
	}
	return append(dst, fullMask...)
}

func appendStars(dst []byte, n int) []byte {
	for range n {
		dst = append(dst, '*')
	}
	return dst
}
