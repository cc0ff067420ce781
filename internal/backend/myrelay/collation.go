package myrelay

import "github.com/pingcap/tidb/pkg/parser/charset"

// collationName returns the character set and collation of a handshake
// collation id ("" if unknown).
func collationName(id byte) (cs, coll string) {
	c, err := charset.GetCollationByID(int(id))
	if err != nil || c == nil {
		return "", ""
	}
	return c.CharsetName, c.Name
}
