package config

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
)

// refMark stands in for a reference while a DSN is parsed: letters and
// digits only, so that it parses in every part of a URL.
const refMark = "floeref0reference0mark"

// keywordPassword is a password= setting of a key/value connection
// string whose value is references only (quoted or not).
var keywordPassword = regexp.MustCompile(`(^|\s)password\s*=\s*(?:'(?:` + refMark + `)+'|(?:` + refMark + `)+)(\s|$)`)

// storeDSNRefs refuses a connection string of the shared store (written
// through the admin API) with a reference anywhere but its password. The
// gateway resolves the references of such a DSN with its own secrets: a
// reference in the host, user, database or a parameter (search_path,
// application_name) would send the value where the DSN's author reads it
// back, so an administrator could read any secret of the gateway. A
// password reference is what the store is for: it is only ever sent to
// the server the DSN names, in the authentication exchange.
func storeDSNRefs(dsn string) error {
	if !strings.Contains(dsn, "${") {
		return nil
	}
	var b strings.Builder
	rest := dsn
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return errors.New("an unterminated reference")
		}
		b.WriteString(rest[:i])
		b.WriteString(refMark)
		rest = rest[i+j+1:]
	}
	marked := b.String()
	outside := errors.New("a reference may stand only for the password of a connection string written through the admin API")
	if strings.Contains(marked, "://") {
		u, err := url.Parse(marked)
		if err != nil {
			return outside
		}
		if u.User != nil {
			if pw, has := u.User.Password(); has && strings.ReplaceAll(pw, refMark, "") == "" {
				u.User = url.User(u.User.Username())
			}
		}
		q := u.Query()
		if pw := q.Get("password"); pw != "" && len(q["password"]) == 1 && strings.ReplaceAll(pw, refMark, "") == "" {
			q.Del("password")
			u.RawQuery = q.Encode()
		}
		if strings.Contains(u.String(), refMark) {
			return outside
		}
		return nil
	}
	if strings.Contains(keywordPassword.ReplaceAllString(marked, "$1$2"), refMark) {
		return outside
	}
	return nil
}
