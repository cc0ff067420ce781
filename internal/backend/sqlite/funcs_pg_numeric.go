package sqlite

import (
	"database/sql/driver"
	"math"
	"math/big"
	"strconv"
	"strings"

	sqlite3 "modernc.org/sqlite"

	"github.com/floe-db/floe/internal/sqlerr"
)

// Exact NUMERIC. SQLite keeps a NUMERIC value as an INTEGER or a REAL; a
// REAL holds any decimal of up to 15 significant digits exactly enough
// that its shortest text of 15 digits is that decimal. The numeric
// functions work on that decimal (math/big), not on the binary value, so
// round(1.005, 2) is 1.01 as in PostgreSQL and floe_numeric_sum adds
// 0.1 and 0.2 to 0.3.

func pgNumericScalars() []pgScalar {
	return []pgScalar{
		{"round", -1, true, fnRound},
		{"trunc", -1, true, fnTrunc},
		{"mod", 2, true, fnMod},
		{"div", 2, true, fnDiv},
	}
}

// decimalOf is a numeric value's decimal: its digits as an integer and
// the count of digits after the point (ok false for NULL or a text that
// is no number).
func decimalOf(v driver.Value) (digits *big.Int, scale int, ok bool) {
	var s string
	switch x := v.(type) {
	case nil:
		return nil, 0, false
	case int64:
		return big.NewInt(x), 0, true
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, 0, false
		}
		s = floatText(x)
	default:
		s, _ = textOf(x)
		s = strings.TrimSpace(s)
		if f, err := strconv.ParseFloat(s, 64); err == nil && strings.ContainsAny(s, "eE") {
			s = floatText(f)
		}
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return nil, 0, false
	}
	d, good := new(big.Int).SetString(intPart+frac, 10)
	if !good {
		return nil, 0, false
	}
	if neg {
		d.Neg(d)
	}
	return d, len(frac), true
}

// decimalString prints digits with scale digits after the point.
func decimalString(digits *big.Int, scale int) string {
	s := new(big.Int).Abs(digits).String()
	neg := digits.Sign() < 0
	if scale > 0 {
		if len(s) <= scale {
			s = strings.Repeat("0", scale-len(s)+1) + s
		}
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

var bigTen = big.NewInt(10)

// rescale rounds (half away from zero) or truncates digits of scale
// digits after the point to newScale digits (newScale may be negative:
// tens, hundreds…); the result has max(newScale, 0) digits after the point.
func rescale(digits *big.Int, scale, newScale int, truncate bool) (*big.Int, int) {
	target := max(newScale, 0)
	if newScale >= scale {
		m := new(big.Int).Exp(bigTen, big.NewInt(int64(target-scale)), nil)
		return m.Mul(m, digits), target
	}
	div := new(big.Int).Exp(bigTen, big.NewInt(int64(scale-newScale)), nil)
	q, r := new(big.Int).QuoRem(digits, div, new(big.Int))
	if !truncate {
		r2 := new(big.Int).Abs(r)
		r2.Lsh(r2, 1)
		if r2.Cmp(div) >= 0 {
			if digits.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	if newScale < 0 {
		q.Mul(q, new(big.Int).Exp(bigTen, big.NewInt(int64(-newScale)), nil))
	}
	return q, target
}

// numericText is the text of a NUMERIC value: with scale digits after
// the point when scale >= 0 (a declared NUMERIC(p,s)), else its shortest
// decimal of 15 significant digits.
func numericText(v any, scale int) (string, bool) {
	d, sc, ok := decimalOf(v)
	if !ok {
		return "", false
	}
	if scale < 0 {
		if _, isInt := v.(int64); isInt {
			return d.String(), true
		}
		return decimalString(d, sc), true
	}
	d, sc = rescale(d, sc, scale, false)
	return decimalString(d, sc), true
}

// roundTrunc is round/trunc(x[, n]): an integer stays an integer (at a
// non-negative n), a real is rounded as its decimal is.
func roundTrunc(name string, args []driver.Value, truncate bool) (driver.Value, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, errArgs(name, len(args))
	}
	if args[0] == nil || (len(args) == 2 && args[1] == nil) {
		return nil, nil
	}
	n := int64(0)
	if len(args) == 2 {
		var err error
		if n, err = intOf(name, args[1]); err != nil {
			return nil, err
		}
	}
	if f, ok := args[0].(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
		return f, nil
	}
	d, sc, ok := decimalOf(args[0])
	if !ok {
		return nil, funcError(sqlerr.InvalidTextRepresentation, "invalid input syntax for type numeric: %v", args[0])
	}
	if n > 1000 || n < -1000 {
		return nil, funcError(sqlerr.NumericValueOutOfRange, "%s: scale %d is out of range", name, n)
	}
	q, qs := rescale(d, sc, int(n), truncate)
	if _, isInt := args[0].(int64); isInt && q.IsInt64() {
		if qs == 0 {
			return q.Int64(), nil
		}
		return args[0], nil
	}
	f, err := strconv.ParseFloat(decimalString(q, qs), 64)
	if err != nil {
		return nil, funcError(sqlerr.NumericValueOutOfRange, "value out of range")
	}
	return f, nil
}

func fnRound(args []driver.Value) (driver.Value, error) { return roundTrunc("round", args, false) }
func fnTrunc(args []driver.Value) (driver.Value, error) { return roundTrunc("trunc", args, true) }

// fnMod is mod(a, b): the remainder with the dividend's sign; integers
// give an integer.
func fnMod(args []driver.Value) (driver.Value, error) {
	if args[0] == nil || args[1] == nil {
		return nil, nil
	}
	ia, aInt := args[0].(int64)
	ib, bInt := args[1].(int64)
	if aInt && bInt {
		if ib == 0 {
			return nil, funcError(sqlerr.DivisionByZero, "division by zero")
		}
		if ib == -1 {
			return int64(0), nil
		}
		return ia % ib, nil
	}
	a, err := floatOf("mod", args[0])
	if err != nil {
		return nil, err
	}
	b, err := floatOf("mod", args[1])
	if err != nil {
		return nil, err
	}
	if b == 0 {
		return nil, funcError(sqlerr.DivisionByZero, "division by zero")
	}
	return round15(math.Mod(a, b)), nil
}

// fnDiv is div(a, b): the integer quotient, truncated toward zero.
func fnDiv(args []driver.Value) (driver.Value, error) {
	if args[0] == nil || args[1] == nil {
		return nil, nil
	}
	ia, aInt := args[0].(int64)
	ib, bInt := args[1].(int64)
	if aInt && bInt {
		if ib == 0 {
			return nil, funcError(sqlerr.DivisionByZero, "division by zero")
		}
		if ib == -1 {
			if ia == math.MinInt64 {
				return nil, funcError(sqlerr.NumericValueOutOfRange, "bigint out of range")
			}
			return -ia, nil
		}
		return ia / ib, nil
	}
	a, err := floatOf("div", args[0])
	if err != nil {
		return nil, err
	}
	b, err := floatOf("div", args[1])
	if err != nil {
		return nil, err
	}
	if b == 0 {
		return nil, funcError(sqlerr.DivisionByZero, "division by zero")
	}
	q := math.Trunc(round15(a / b))
	if math.Abs(q) < 1<<62 {
		return int64(q), nil
	}
	return q, nil
}

// numericSum is floe_numeric_sum(x), the sum of a NUMERIC column: each
// value's decimal added exactly; NULL over no (non-NULL) values. The sum
// is an integer when every value was, else a real (whose shortest text is
// the exact sum for up to 15 significant digits).
type numericSum struct {
	sum     big.Rat
	n       int
	allInts bool
	seen    bool
}

func (s *numericSum) add(v driver.Value, sign int) error {
	if v == nil {
		return nil
	}
	d, sc, ok := decimalOf(v)
	if !ok {
		if f, isF := v.(float64); isF {
			return funcError(sqlerr.FeatureNotSupported, "sum of the non-finite value %v is not supported by the embedded SQLite engine", f)
		}
		s2, _ := textOf(v)
		return funcError(sqlerr.InvalidTextRepresentation, "invalid input syntax for type numeric: %q", s2)
	}
	if !s.seen {
		s.seen, s.allInts = true, true
	}
	if _, isInt := v.(int64); !isInt {
		s.allInts = false
	}
	r := new(big.Rat).SetFrac(d, new(big.Int).Exp(bigTen, big.NewInt(int64(sc)), nil))
	if sign < 0 {
		s.sum.Sub(&s.sum, r)
		s.n--
	} else {
		s.sum.Add(&s.sum, r)
		s.n++
	}
	return nil
}

func (s *numericSum) Step(_ *sqlite3.FunctionContext, args []driver.Value) error {
	return s.add(args[0], 1)
}

func (s *numericSum) WindowInverse(_ *sqlite3.FunctionContext, args []driver.Value) error {
	return s.add(args[0], -1)
}

func (s *numericSum) WindowValue(*sqlite3.FunctionContext) (driver.Value, error) {
	if s.n == 0 {
		return nil, nil
	}
	if s.allInts && s.sum.IsInt() && s.sum.Num().IsInt64() {
		return s.sum.Num().Int64(), nil
	}
	f, _ := s.sum.Float64()
	return f, nil
}

func (s *numericSum) Final(*sqlite3.FunctionContext) {}
