package pgwire

// ResultFormat returns the format code of result column i from the codes
// a Bind carries: none means text for all, one applies to all, otherwise
// one per column.
func ResultFormat(formats []int16, i int) int16 {
	switch {
	case len(formats) == 0:
		return 0
	case len(formats) == 1:
		return formats[0]
	case i < len(formats):
		return formats[i]
	}
	return 0
}
