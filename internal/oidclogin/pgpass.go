package oidclogin

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// PgpassEntry names a line of a PostgreSQL password file:
// host:port:database:user.
type PgpassEntry struct {
	Host, Port, Database, User string
}

// ParsePgpassEntry reads "host:port:database:user" (a field may escape
// ':' or '\' with a backslash, as in the file).
func ParsePgpassEntry(s string) (PgpassEntry, error) {
	f := splitPgpass(s)
	if len(f) != 4 {
		return PgpassEntry{}, fmt.Errorf("%q: want host:port:database:user", s)
	}
	for _, x := range f {
		if x == "" {
			return PgpassEntry{}, fmt.Errorf("%q: no field may be empty", s)
		}
	}
	return PgpassEntry{Host: f[0], Port: f[1], Database: f[2], User: f[3]}, nil
}

// splitPgpass splits a line at unescaped colons, unescaping the fields.
func splitPgpass(line string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
		case c == ':':
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(out, cur.String())
}

func escapePgpass(s string) string {
	return strings.NewReplacer(`\`, `\\`, `:`, `\:`).Replace(s)
}

func (e PgpassEntry) line(password string) string {
	return strings.Join([]string{escapePgpass(e.Host), escapePgpass(e.Port), escapePgpass(e.Database), escapePgpass(e.User), escapePgpass(password)}, ":")
}

// PgpassPath is $PGPASSFILE, else ~/.pgpass.
func PgpassPath() (string, error) {
	if p := os.Getenv("PGPASSFILE"); p != "" {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".pgpass"), nil
}

// WritePgpass sets the password of e in the file at path: the first line
// whose host, port, database and user equal e's is replaced, others are
// kept as they are, and a new line is appended when none matches. The
// file is written anew with mode 0600 (libpq ignores a file others can
// read) and renamed over the old one.
func WritePgpass(path string, e PgpassEntry, password string) error {
	if strings.ContainsAny(password, "\r\n") {
		return errors.New("the token contains a line break")
	}
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	var lines []string
	if len(old) > 0 {
		lines = strings.Split(strings.TrimSuffix(string(old), "\n"), "\n")
	}
	done := false
	for i, l := range lines {
		if strings.HasPrefix(l, "#") {
			continue
		}
		f := splitPgpass(l)
		if !done && len(f) == 5 && f[0] == e.Host && f[1] == e.Port && f[2] == e.Database && f[3] == e.User {
			lines[i] = e.line(password)
			done = true
		}
	}
	if !done {
		lines = append(lines, e.line(password))
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pgpass-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(strings.Join(lines, "\n") + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
