package policy

import (
	"fmt"
	"unicode/utf8"
)

// checkInput refuses text with NUL bytes, control characters other than
// tab, newline, carriage return and form feed, or invalid UTF-8. MySQL
// binary literals (_binary'…', which drivers use to inline byte values)
// may hold any byte.
func checkInput(d Dialect, text string) error {
	for i := 0; i < len(text); {
		c := text[i]
		if d == MySQL && c == '_' {
			if end, ok := binaryLiteral(text, i); ok {
				i = end
				continue
			}
		}
		if c < 0x80 {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' || c == 0x7f {
				if c == 0 {
					return fmt.Errorf("the SQL text holds a NUL byte at offset %d", i)
				}
				return fmt.Errorf("the SQL text holds control character 0x%02x at offset %d", c, i)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError && size <= 1 {
			return fmt.Errorf("the SQL text is not valid UTF-8 at offset %d", i)
		}
		i += size
	}
	return nil
}

// binaryLiteral returns the end of a _binary'…' literal starting at i.
func binaryLiteral(text string, i int) (int, bool) {
	const prefix = "_binary'"
	if len(text)-i < len(prefix) {
		return 0, false
	}
	for k := 0; k < len(prefix); k++ {
		c := text[i+k]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[k] {
			return 0, false
		}
	}
	for j := i + len(prefix); j < len(text); j++ {
		switch text[j] {
		case '\\':
			j++
		case '\'':
			if j+1 < len(text) && text[j+1] == '\'' {
				j++
				continue
			}
			return j + 1, true
		}
	}
	return 0, false
}
