package policy

import (
	"github.com/floe-db/floe/internal/wire/mysqlwire"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

// PGError is the denial as a PostgreSQL client sees it: its SQLSTATE and
// message, the rule in the detail.
func (d *Denial) PGError() *pgwire.Error {
	e := &pgwire.Error{Code: d.SQLState, Message: d.Message}
	if d.Rule != "" {
		e.Detail = "rule: " + d.Rule
	}
	return e
}

// MySQLError is the denial as a MySQL client sees it.
func (d *Denial) MySQLError() *mysqlwire.Error {
	return &mysqlwire.Error{Code: d.Errno, State: d.MySQLState, Message: d.Message}
}
