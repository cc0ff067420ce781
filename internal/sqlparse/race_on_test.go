//go:build race

package sqlparse

// raceEnabled: the race detector slows the parse-tree walk of huge
// statements by two orders of magnitude.
const raceEnabled = true
