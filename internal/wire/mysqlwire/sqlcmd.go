package mysqlwire

import (
	"strconv"
	"strings"
)

// ParseUse recognises a USE statement and returns the database it names.
func ParseUse(q string) (string, bool) {
	q = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(q), ";"))
	if len(q) < 4 || !strings.EqualFold(q[:3], "use") || (q[3] != ' ' && q[3] != '\t' && q[3] != '\n' && q[3] != '`') {
		return "", false
	}
	name := strings.TrimSpace(q[3:])
	if strings.HasPrefix(name, "`") && strings.HasSuffix(name, "`") && len(name) >= 2 {
		return strings.ReplaceAll(name[1:len(name)-1], "``", "`"), true
	}
	if name == "" || strings.ContainsAny(name, " \t\n;'\"`") {
		return "", false
	}
	return name, true
}

// Kill is a parsed KILL statement.
type Kill struct {
	ID        uint32
	QueryOnly bool
}

// ParseKill recognises KILL [HARD|SOFT] [CONNECTION|QUERY] id. ok is false
// for other statements; err is set for a KILL the gateway cannot run
// (KILL QUERY ID, KILL USER), which must not reach a backend either.
func ParseKill(q string) (k Kill, ok bool, err *Error) {
	f := strings.Fields(strings.TrimRight(strings.TrimSpace(q), "; \t\n"))
	if len(f) == 0 || !strings.EqualFold(f[0], "kill") {
		return k, false, nil
	}
	f = f[1:]
	if len(f) > 0 && (strings.EqualFold(f[0], "hard") || strings.EqualFold(f[0], "soft")) {
		f = f[1:]
	}
	if len(f) > 0 && strings.EqualFold(f[0], "connection") {
		f = f[1:]
	} else if len(f) > 0 && strings.EqualFold(f[0], "query") {
		k.QueryOnly = true
		f = f[1:]
	}
	if len(f) != 1 {
		return k, true, Errorf(ErNotSupportedYet, "This version of Floe supports KILL [CONNECTION|QUERY] <connection id> only")
	}
	id, perr := strconv.ParseUint(f[0], 10, 32)
	if perr != nil {
		return k, true, Errorf(ErNotSupportedYet, "This version of Floe supports KILL [CONNECTION|QUERY] <connection id> only")
	}
	k.ID = uint32(id)
	return k, true, nil
}

// RunKill executes a KILL for session c and writes its answer. It returns
// ErrKilled when the session killed itself.
func (c *Conn) RunKill(k Kill, status uint16) error {
	if k.ID == c.ID && !k.QueryOnly {
		_ = c.WriteErr(Errorf(ErConnectionKilled, "Connection was killed"))
		_ = c.Flush()
		return ErrKilled
	}
	if k.ID == c.ID {
		return c.WriteOK(OK{Status: status})
	}
	if err := c.Kill(k.ID, k.QueryOnly); err != nil {
		e, _ := err.(*Error)
		return c.WriteErr(e)
	}
	return c.WriteOK(OK{Status: status})
}
