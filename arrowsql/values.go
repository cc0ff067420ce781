package arrowsql

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/extensions"
)

// Arrow types shared by the sources.
var (
	typeTimestamp   = &arrow.TimestampType{Unit: arrow.Microsecond}
	typeTimestampTZ = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	typeUUID        = extensions.NewUUIDType()
	typeJSON        = mustJSON()
)

func mustJSON() arrow.DataType {
	t, err := extensions.NewJSONType(arrow.BinaryTypes.String)
	if err != nil {
		panic(err)
	}
	return t
}

// storage returns the builder of an extension column's storage.
func storage(b array.Builder) array.Builder {
	switch t := b.(type) {
	case *extensions.UUIDBuilder:
		return t.ExtensionBuilder.Builder
	case *array.ExtensionBuilder:
		return t.Builder
	}
	return b
}

// bytesAppender returns a function appending raw bytes to a string or
// binary column.
func bytesAppender(b array.Builder) func([]byte) error {
	switch t := storage(b).(type) {
	case *array.StringBuilder:
		return func(v []byte) error { t.BinaryBuilder.Append(v); return nil }
	case *array.BinaryBuilder:
		return func(v []byte) error { t.Append(v); return nil }
	}
	panic(fmt.Sprintf("arrowsql: no byte appender for %T", b))
}

// daysFromCivil returns the days from 1970-01-01 to y-m-d in the
// proleptic Gregorian calendar.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

const usPerDay = 86400 * 1000000

var errSyntax = errors.New("malformed value")

// digits parses an unsigned decimal integer of exactly len(b) digits.
func digits(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// parseDate parses YYYY-MM-DD into days since the epoch; zero is true for
// MySQL's zero date (0000-00-00).
func parseDate(b []byte) (days int64, zero bool, err error) {
	if len(b) < 10 || b[4] != '-' || b[7] != '-' {
		return 0, false, errSyntax
	}
	y, ok1 := digits(b[0:4])
	m, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	if !ok1 || !ok2 || !ok3 {
		return 0, false, errSyntax
	}
	if y == 0 && m == 0 && d == 0 {
		return 0, true, nil
	}
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, false, errSyntax
	}
	return daysFromCivil(y, m, d), false, nil
}

// parseClock parses [-]H+:MM:SS[.ffffff] into microseconds.
func parseClock(b []byte) (int64, error) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	c1 := indexByte(b, ':')
	if c1 < 1 || len(b) < c1+6 || b[c1+3] != ':' {
		return 0, errSyntax
	}
	h, ok1 := digits(b[:c1])
	mi, ok2 := digits(b[c1+1 : c1+3])
	s, ok3 := digits(b[c1+4 : c1+6])
	if !ok1 || !ok2 || !ok3 || mi > 59 || s > 60 {
		return 0, errSyntax
	}
	us := ((h*60+mi)*60 + s) * 1000000
	rest := b[c1+6:]
	if len(rest) > 0 {
		if rest[0] != '.' || len(rest) > 7 {
			return 0, errSyntax
		}
		f, ok := digits(rest[1:])
		if !ok && len(rest) > 1 {
			return 0, errSyntax
		}
		for i := len(rest) - 1; i < 6; i++ {
			f *= 10
		}
		us += f
	}
	if neg {
		us = -us
	}
	return us, nil
}

// parseDateTime parses YYYY-MM-DD[ HH:MM:SS[.ffffff]] into microseconds
// since the epoch.
func parseDateTime(b []byte) (us int64, zero bool, err error) {
	days, zero, err := parseDate(b)
	if err != nil || zero {
		return 0, zero, err
	}
	us = days * usPerDay
	if len(b) > 10 {
		if b[10] != ' ' && b[10] != 'T' {
			return 0, false, errSyntax
		}
		c, err := parseClock(b[11:])
		if err != nil || c < 0 || c >= usPerDay {
			return 0, false, errSyntax
		}
		us += c
	}
	return us, false, nil
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

var ten = decimal128.FromU64(10)

// parseDecimal parses a decimal's text ([-]digits[.digits]) into a
// Decimal128 of the given scale; fraction digits past the scale must be
// zeros.
func parseDecimal(b []byte, prec, scale int32) (decimal128.Num, error) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg, b = b[0] == '-', b[1:]
	}
	var n decimal128.Num
	var fast uint64
	nd, frac, seenDot := 0, int32(0), false
	add := func(d byte) {
		if nd < 18 {
			fast = fast*10 + uint64(d)
		} else {
			if nd == 18 {
				n = decimal128.FromU64(fast)
			}
			n = n.Mul(ten).Add(decimal128.FromU64(uint64(d)))
		}
		nd++
	}
	if len(b) == 0 {
		return n, errSyntax
	}
	for _, c := range b {
		switch {
		case c == '.' && !seenDot:
			seenDot = true
		case c >= '0' && c <= '9':
			if seenDot {
				if frac == scale {
					if c != '0' {
						return n, errTooLarge
					}
					continue
				}
				frac++
			}
			if nd > 0 || c != '0' {
				add(c - '0')
			} else if seenDot {
				// leading zeros of the fraction still count as digits
				// of the scaled integer, which is zero so far.
				continue
			}
		default:
			return n, errSyntax
		}
	}
	for ; frac < scale; frac++ {
		add(0)
	}
	if nd <= 18 {
		n = decimal128.FromU64(fast)
	}
	if nd > 38 || !n.FitsInPrecision(prec) {
		return n, errTooLarge
	}
	if neg {
		n = n.Negate()
	}
	return n, nil
}
