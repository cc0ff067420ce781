package policy

import "github.com/floe-db/floe/internal/sqlerr"

// SQLState returns the denial's SQLSTATE (sqlerr.Coded).
func (d *Denial) SQLState() string { return d.Code }

// SQLError is the denial as every protocol reports it (sqlerr.Converter):
// its SQLSTATE, MySQL error number and message, the rule in the detail.
// The wire packages encode it (pgwire.ErrorOf, mysqlwire.ErrorOf).
func (d *Denial) SQLError() *sqlerr.Error {
	e := &sqlerr.Error{Code: d.Code, Errno: d.Errno, Message: d.Message}
	if d.Rule != "" {
		e.Detail = "rule: " + d.Rule
	}
	return e
}
