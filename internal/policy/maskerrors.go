package policy

// ScrubError clears the parts of a PostgreSQL error that may quote row
// values for a session that sees some columns masked: the detail (a NOT
// NULL or CHECK violation prints the whole row, "Failing row contains
// (…)", masked columns included; key violations print key values) and
// the context. The message, code and hint stay. It reports whether it
// changed anything; a nil *Masks changes nothing.
func (ms *Masks) ScrubError(detail, where *string) bool {
	if ms == nil || (*detail == "" && *where == "") {
		return false
	}
	*detail, *where = "", ""
	return true
}
