package cache

import (
	"slices"
	"strconv"
	"strings"
)

// WriteSettings writes a session's settings to b in name order,
// ";name=value" each with the value quoted (value gives its text),
// leaving out skip: the settings part of a result's key (and of the
// PostgreSQL relay's parameter key), the same form on every front end.
func WriteSettings[V any](b *strings.Builder, settings map[string]V, skip string, value func(V) string) {
	keys := make([]string, 0, len(settings))
	for k := range settings {
		if k != skip {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.WriteByte(';')
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(value(settings[k])))
	}
}
