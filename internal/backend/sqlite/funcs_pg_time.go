package sqlite

import (
	"database/sql/driver"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/floe-db/floe/internal/sqlerr"
)

// Time functions. Timestamps are texts 'YYYY-MM-DD HH:MM:SS[.ffffff]'
// (UTC, no time zone), dates 'YYYY-MM-DD', intervals texts in
// PostgreSQL's output format ('1 year 2 mons 3 days 04:05:06'), which
// floe_interval reads back. now() and the other clock functions read the
// clock at each call: SQLite has no transaction start time to give.

const (
	tsLayout   = "2006-01-02 15:04:05.999999"
	dateLayout = "2006-01-02"
	usPerSec   = int64(1_000_000)
	usPerDay   = 86_400 * usPerSec
)

func pgTimeScalars() []pgScalar {
	clock := func([]driver.Value) (driver.Value, error) {
		return time.Now().UTC().Format("2006-01-02 15:04:05.000000"), nil
	}
	return []pgScalar{
		{"now", 0, false, clock},
		{"clock_timestamp", 0, false, clock},
		{"statement_timestamp", 0, false, clock},
		{"transaction_timestamp", 0, false, clock},
		{"date_trunc", 2, true, fnDateTrunc},
		{"extract", 2, true, func(a []driver.Value) (driver.Value, error) { return datePart("extract", a) }},
		{"date_part", 2, true, func(a []driver.Value) (driver.Value, error) { return datePart("date_part", a) }},
		{"age", -1, false, fnAge},
		{"to_char", 2, true, fnToChar},
		{"to_timestamp", -1, true, fnToTimestamp},
		{"to_date", 2, true, fnToDate},
		{"make_date", 3, true, fnMakeDate},
		{"make_timestamp", 6, true, fnMakeTimestamp},
		{"floe_interval", 1, true, fnInterval},
		{"floe_ts_add", 2, true, func(a []driver.Value) (driver.Value, error) { return tsAddSub(a, 1) }},
		{"floe_ts_sub", 2, true, func(a []driver.Value) (driver.Value, error) { return tsAddSub(a, -1) }},
		{"floe_ts_diff", 2, true, fnTsDiff},
		{"floe_interval_add", 2, true, func(a []driver.Value) (driver.Value, error) { return intervalAddSub(a, 1) }},
		{"floe_interval_sub", 2, true, func(a []driver.Value) (driver.Value, error) { return intervalAddSub(a, -1) }},
		{"floe_interval_mul", 2, true, fnIntervalMul},
		{"floe_date_add", 2, true, fnDateAdd},
	}
}

// parseTimestamp reads a timestamp or date text (ISO forms, with 'T' or
// a space, an optional zone that is converted to UTC).
func parseTimestamp(v driver.Value) (time.Time, error) {
	s, _ := textOf(v)
	s = strings.TrimSpace(s)
	for _, layout := range []string{
		"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999Z07", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, funcError(sqlerr.InvalidDatetimeFormat, "invalid input syntax for type timestamp: %q", s)
}

func tsText(t time.Time) string { return t.Format(tsLayout) }

// ---- intervals ----

// interval is PostgreSQL's interval: months, days and microseconds, each
// with its own sign.
type interval struct {
	months, days, us int64
}

var intervalUnits = map[string]struct {
	months, days, us int64
}{
	"microsecond": {0, 0, 1}, "us": {0, 0, 1}, "usec": {0, 0, 1},
	"millisecond": {0, 0, 1000}, "ms": {0, 0, 1000}, "msec": {0, 0, 1000},
	"second": {0, 0, usPerSec}, "s": {0, 0, usPerSec}, "sec": {0, 0, usPerSec},
	"minute": {0, 0, 60 * usPerSec}, "m": {0, 0, 60 * usPerSec}, "min": {0, 0, 60 * usPerSec},
	"hour": {0, 0, 3600 * usPerSec}, "h": {0, 0, 3600 * usPerSec}, "hr": {0, 0, 3600 * usPerSec},
	"day": {0, 1, 0}, "d": {0, 1, 0},
	"week": {0, 7, 0}, "w": {0, 7, 0},
	"month": {1, 0, 0}, "mon": {1, 0, 0},
	"year": {12, 0, 0}, "y": {12, 0, 0}, "yr": {12, 0, 0},
	"decade": {120, 0, 0}, "century": {1200, 0, 0}, "centurie": {1200, 0, 0},
	"millennium": {12000, 0, 0}, "millennia": {12000, 0, 0},
}

// parseInterval reads PostgreSQL's interval input: number-unit pairs
// ('1 year 2 months', '1.5 hours', '3d'), a time ('04:05:06',
// '-02:00'), a bare number (seconds) and a trailing 'ago'.
func parseInterval(v driver.Value) (interval, error) {
	s, _ := textOf(v)
	bad := func() (interval, error) {
		return interval{}, funcError(sqlerr.InvalidDatetimeFormat, "invalid input syntax for type interval: %q", s)
	}
	in := strings.ToLower(strings.TrimSpace(s))
	in = strings.TrimPrefix(in, "@")
	var iv interval
	toks := strings.Fields(in)
	if len(toks) == 0 {
		return bad()
	}
	ago := false
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		if tok == "ago" && i == len(toks)-1 {
			ago = true
			continue
		}
		if strings.Contains(tok, ":") {
			us, err := parseClock(tok)
			if err != nil {
				return bad()
			}
			iv.us += us
			continue
		}
		// A number, with its unit attached or as the next token.
		j := 0
		for j < len(tok) && (tok[j] == '-' || tok[j] == '+' || tok[j] == '.' || (tok[j] >= '0' && tok[j] <= '9')) {
			j++
		}
		num, unit := tok[:j], tok[j:]
		if num == "" {
			return bad()
		}
		if unit == "" && i+1 < len(toks) && toks[i+1] != "ago" && !strings.ContainsAny(toks[i+1][:1], "0123456789+-.") {
			i++
			unit = toks[i]
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return bad()
		}
		if unit == "" {
			unit = "second"
		}
		u, ok := intervalUnits[unit]
		if !ok && strings.HasSuffix(unit, "s") {
			u, ok = intervalUnits[strings.TrimSuffix(unit, "s")]
		}
		if !ok {
			return bad()
		}
		iv = iv.add(unitAmount(f, u.months, u.days, u.us))
	}
	if ago {
		iv = iv.neg()
	}
	return iv, nil
}

// unitAmount is f of a unit, its fractions moved down as PostgreSQL does
// (a fraction of a month is 30 days, of a day 24 hours).
func unitAmount(f float64, months, days, us int64) interval {
	var iv interval
	switch {
	case months != 0:
		total := f * float64(months)
		whole := math.Trunc(total)
		iv.months = int64(whole)
		dfrac := (total - whole) * 30
		iv.days = int64(math.Trunc(dfrac))
		iv.us = int64(math.Round((dfrac - math.Trunc(dfrac)) * float64(usPerDay)))
	case days != 0:
		total := f * float64(days)
		whole := math.Trunc(total)
		iv.days = int64(whole)
		iv.us = int64(math.Round((total - whole) * float64(usPerDay)))
	default:
		iv.us = int64(math.Round(f * float64(us)))
	}
	return iv
}

// parseClock reads [-]hh:mm[:ss[.ffffff]] as microseconds.
func parseClock(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, fmt.Errorf("bad time")
	}
	h, err1 := strconv.ParseInt(parts[0], 10, 64)
	m, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bad time")
	}
	us := (h*3600 + m*60) * usPerSec
	if len(parts) == 3 {
		sec, err := strconv.ParseFloat(parts[2], 64)
		if err != nil {
			return 0, err
		}
		us += int64(math.Round(sec * float64(usPerSec)))
	}
	if neg {
		us = -us
	}
	return us, nil
}

func (iv interval) add(o interval) interval {
	return interval{iv.months + o.months, iv.days + o.days, iv.us + o.us}
}

func (iv interval) neg() interval { return interval{-iv.months, -iv.days, -iv.us} }

// String prints the interval as PostgreSQL does (IntervalStyle
// postgres).
func (iv interval) String() string {
	var b strings.Builder
	before, zero := false, true
	part := func(v int64, unit string) {
		if v == 0 {
			return
		}
		if !zero {
			b.WriteByte(' ')
		}
		if before && v > 0 {
			b.WriteByte('+')
		}
		fmt.Fprintf(&b, "%d %s", v, unit)
		if v != 1 {
			b.WriteByte('s')
		}
		before, zero = v < 0, false
	}
	part(iv.months/12, "year")
	part(iv.months%12, "mon")
	part(iv.days, "day")
	if zero || iv.us != 0 {
		us := iv.us
		sign := ""
		switch {
		case us < 0:
			sign, us = "-", -us
		case before:
			sign = "+"
		}
		if !zero {
			b.WriteByte(' ')
		}
		h, m := us/(3600*usPerSec), us/(60*usPerSec)%60
		sec, frac := us/usPerSec%60, us%usPerSec
		fmt.Fprintf(&b, "%s%02d:%02d:%02d", sign, h, m, sec)
		if frac != 0 {
			b.WriteString(strings.TrimRight(fmt.Sprintf(".%06d", frac), "0"))
		}
	}
	return b.String()
}

func fnInterval(args []driver.Value) (driver.Value, error) {
	if args[0] == nil {
		return nil, nil
	}
	iv, err := parseInterval(args[0])
	if err != nil {
		return nil, err
	}
	return iv.String(), nil
}

// addInterval adds iv to t as PostgreSQL does: the months first (the
// day clamped to the month's last), then the days, then the time.
func addInterval(t time.Time, iv interval) time.Time {
	if iv.months != 0 {
		y, m, d := t.Date()
		total := int64(y)*12 + int64(m-1) + iv.months
		ny, nm := int(total/12), time.Month(total%12+1)
		if total < 0 && total%12 != 0 {
			ny, nm = int(total/12)-1, time.Month(total%12+13)
		}
		if last := daysIn(ny, nm); d > last {
			d = last
		}
		h, mi, s := t.Clock()
		t = time.Date(ny, nm, d, h, mi, s, t.Nanosecond(), time.UTC)
	}
	if iv.days != 0 {
		t = t.AddDate(0, 0, int(iv.days))
	}
	return t.Add(time.Duration(iv.us) * time.Microsecond)
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// tsAddSub is floe_ts_add/floe_ts_sub(ts, interval).
func tsAddSub(args []driver.Value, sign int) (driver.Value, error) {
	if args[0] == nil || args[1] == nil {
		return nil, nil
	}
	t, err := parseTimestamp(args[0])
	if err != nil {
		return nil, err
	}
	iv, err := parseInterval(args[1])
	if err != nil {
		return nil, err
	}
	if sign < 0 {
		iv = iv.neg()
	}
	return tsText(addInterval(t, iv)), nil
}

// ---- date_trunc, extract ----

func fnDateTrunc(args []driver.Value) (driver.Value, error) {
	f, ok := textOf(args[0])
	if !ok || args[1] == nil {
		return nil, nil
	}
	t, err := parseTimestamp(args[1])
	if err != nil {
		return nil, err
	}
	y, m, d := t.Date()
	h, mi, s := t.Clock()
	ns := t.Nanosecond()
	switch strings.ToLower(f) {
	case "microseconds":
		ns = ns / 1000 * 1000
	case "milliseconds":
		ns = ns / 1_000_000 * 1_000_000
	case "second":
		ns = 0
	case "minute":
		s, ns = 0, 0
	case "hour":
		mi, s, ns = 0, 0, 0
	case "day":
		h, mi, s, ns = 0, 0, 0, 0
	case "week":
		wd := (int(t.Weekday()) + 6) % 7
		d -= wd
		h, mi, s, ns = 0, 0, 0, 0
	case "month":
		d, h, mi, s, ns = 1, 0, 0, 0, 0
	case "quarter":
		m = (m-1)/3*3 + 1
		d, h, mi, s, ns = 1, 0, 0, 0, 0
	case "year":
		m, d, h, mi, s, ns = 1, 1, 0, 0, 0, 0
	case "decade":
		y = floorDiv(y, 10) * 10
		m, d, h, mi, s, ns = 1, 1, 0, 0, 0, 0
	case "century":
		y = floorDiv(y-1, 100)*100 + 1
		m, d, h, mi, s, ns = 1, 1, 0, 0, 0, 0
	case "millennium":
		y = floorDiv(y-1, 1000)*1000 + 1
		m, d, h, mi, s, ns = 1, 1, 0, 0, 0, 0
	default:
		return nil, funcError(sqlerr.InvalidParameterValue, "unit %q not recognized for type timestamp", f)
	}
	return tsText(time.Date(y, m, d, h, mi, s, ns, time.UTC)), nil
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// datePart is extract(field, x) and date_part(field, x) of a timestamp,
// a date or an interval, as a number.
func datePart(name string, args []driver.Value) (driver.Value, error) {
	f, ok := textOf(args[0])
	if !ok || args[1] == nil {
		return nil, nil
	}
	field := strings.ToLower(strings.TrimSpace(f))
	t, err := parseTimestamp(args[1])
	if err != nil {
		iv, ierr := parseInterval(args[1])
		if ierr != nil {
			return nil, err
		}
		return intervalPart(name, field, iv)
	}
	y, m, d := t.Date()
	sec := float64(t.Second()) + float64(t.Nanosecond()/1000)/1e6
	switch strings.TrimSuffix(field, "s") {
	case "year":
		return int64(y), nil
	case "month", "mon":
		return int64(m), nil
	case "day":
		return int64(d), nil
	case "hour":
		return int64(t.Hour()), nil
	case "minute":
		return int64(t.Minute()), nil
	case "second":
		return sec, nil
	case "millisecond":
		return sec * 1000, nil
	case "microsecond":
		return int64(t.Second())*usPerSec + int64(t.Nanosecond()/1000), nil
	case "dow":
		return int64(t.Weekday()), nil
	case "isodow":
		return int64((int(t.Weekday())+6)%7 + 1), nil
	case "doy":
		return int64(t.YearDay()), nil
	case "week":
		_, w := t.ISOWeek()
		return int64(w), nil
	case "isoyear":
		iy, _ := t.ISOWeek()
		return int64(iy), nil
	case "quarter":
		return int64((m-1)/3 + 1), nil
	case "decade":
		return int64(floorDiv(y, 10)), nil
	case "century":
		if y > 0 {
			return int64((y + 99) / 100), nil
		}
		return int64(-((99 - (y - 1)) / 100)), nil
	case "millennium":
		if y > 0 {
			return int64((y + 999) / 1000), nil
		}
		return int64(-((999 - (y - 1)) / 1000)), nil
	case "epoch":
		return float64(t.UnixMicro()) / 1e6, nil
	case "julian":
		return float64(t.Unix())/86400 + 2440587.5, nil
	}
	return nil, funcError(sqlerr.InvalidParameterValue, "unit %q not recognized for type timestamp (%s)", f, name)
}

// intervalPart is extract(field, interval).
func intervalPart(name, field string, iv interval) (driver.Value, error) {
	switch strings.TrimSuffix(field, "s") {
	case "year":
		return iv.months / 12, nil
	case "month", "mon":
		return iv.months % 12, nil
	case "day":
		return iv.days, nil
	case "hour":
		return iv.us / (3600 * usPerSec), nil
	case "minute":
		return iv.us / (60 * usPerSec) % 60, nil
	case "second":
		return float64(iv.us%(60*usPerSec)) / 1e6, nil
	case "millisecond":
		return float64(iv.us%(60*usPerSec)) / 1e3, nil
	case "microsecond":
		return iv.us % (60 * usPerSec), nil
	case "epoch":
		// PostgreSQL counts a year as 365.25 days, a month as 30.
		days := float64(iv.months/12)*365.25 + float64(iv.months%12)*30 + float64(iv.days)
		return round15(days*86400 + float64(iv.us)/1e6), nil
	}
	return nil, funcError(sqlerr.InvalidParameterValue, "unit %q not recognized for type interval (%s)", field, name)
}

// ---- age ----

// fnAge is age(a, b) (a - b in years, months, days and time, as
// PostgreSQL borrows) or age(a) (from today's midnight).
func fnAge(args []driver.Value) (driver.Value, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, errArgs("age", len(args))
	}
	for _, a := range args {
		if a == nil {
			return nil, nil
		}
	}
	var t1, t2 time.Time
	var err error
	if len(args) == 1 {
		now := time.Now().UTC()
		t1 = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		t2, err = parseTimestamp(args[0])
	} else {
		t1, err = parseTimestamp(args[0])
		if err == nil {
			t2, err = parseTimestamp(args[1])
		}
	}
	if err != nil {
		return nil, err
	}
	return age(t1, t2).String(), nil
}

func age(t1, t2 time.Time) interval {
	y1, m1, d1 := t1.Date()
	y2, m2, d2 := t2.Date()
	us := int64(t1.Nanosecond()/1000 - t2.Nanosecond()/1000)
	sec := int64(t1.Second() - t2.Second())
	mi := int64(t1.Minute() - t2.Minute())
	h := int64(t1.Hour() - t2.Hour())
	d := int64(d1 - d2)
	m := int64(m1 - m2)
	y := int64(y1 - y2)
	before := t1.Before(t2)
	if before {
		us, sec, mi, h, d, m, y = -us, -sec, -mi, -h, -d, -m, -y
	}
	for us < 0 {
		us += usPerSec
		sec--
	}
	for sec < 0 {
		sec += 60
		mi--
	}
	for mi < 0 {
		mi += 60
		h--
	}
	for h < 0 {
		h += 24
		d--
	}
	for d < 0 {
		if before {
			d += int64(daysIn(y1, m1))
		} else {
			d += int64(daysIn(y2, m2))
		}
		m--
	}
	for m < 0 {
		m += 12
		y--
	}
	if before {
		us, sec, mi, h, d, m, y = -us, -sec, -mi, -h, -d, -m, -y
	}
	return interval{months: y*12 + m, days: d, us: ((h*60+mi)*60+sec)*usPerSec + us}
}

// ---- to_char, to_timestamp, to_date ----

var (
	monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	dayNames   = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

// fmtTokens are the template patterns of to_char and to_timestamp,
// longest first.
var fmtTokens = []string{
	"HH24", "HH12", "YYYY", "MONTH", "Month", "month", "A.M.", "P.M.", "a.m.", "p.m.",
	"DDD", "MON", "Mon", "mon", "DAY", "Day", "day", "YYY", "IYYY",
	"HH", "MI", "SS", "MS", "US", "YY", "MM", "DD", "DY", "Dy", "dy", "IW", "WW", "AM", "PM", "am", "pm", "TZ", "tz",
	"Y", "D", "Q", "J",
}

// casedName prints a name as the pattern's case asks (NAME, Name, name),
// padded to width unless fm.
func casedName(name, pattern string, width int, fm bool) string {
	switch {
	case pattern == strings.ToUpper(pattern):
		name = strings.ToUpper(name)
	case pattern == strings.ToLower(pattern):
		name = strings.ToLower(name)
	}
	if !fm && len(name) < width {
		name += strings.Repeat(" ", width-len(name))
	}
	return name
}

func fnToChar(args []driver.Value) (driver.Value, error) {
	if args[0] == nil || args[1] == nil {
		return nil, nil
	}
	switch args[0].(type) {
	case int64, float64:
		return nil, funcError(sqlerr.FeatureNotSupported, "to_char of a number is not supported by the embedded SQLite engine")
	}
	format, _ := textOf(args[1])
	t, err := parseTimestamp(args[0])
	if err != nil {
		return nil, err
	}
	return toChar(t, format), nil
}

func toChar(t time.Time, format string) string {
	var b strings.Builder
	num := func(v, width int, fm bool) {
		if fm {
			b.WriteString(strconv.Itoa(v))
		} else {
			fmt.Fprintf(&b, "%0*d", width, v)
		}
	}
	for i := 0; i < len(format); {
		if format[i] == '"' {
			j := strings.IndexByte(format[i+1:], '"')
			if j < 0 {
				b.WriteString(format[i+1:])
				break
			}
			b.WriteString(format[i+1 : i+1+j])
			i += j + 2
			continue
		}
		fm := false
		if strings.HasPrefix(format[i:], "FM") || strings.HasPrefix(format[i:], "fm") {
			fm = true
			i += 2
		}
		tok := ""
		for _, p := range fmtTokens {
			if strings.HasPrefix(format[i:], p) {
				tok = p
				break
			}
		}
		if tok == "" {
			if fm {
				continue
			}
			b.WriteByte(format[i])
			i++
			continue
		}
		i += len(tok)
		h12 := t.Hour() % 12
		if h12 == 0 {
			h12 = 12
		}
		switch tok {
		case "YYYY", "IYYY":
			y := t.Year()
			if tok == "IYYY" {
				y, _ = t.ISOWeek()
			}
			num(y, 4, fm)
		case "YYY":
			num(t.Year()%1000, 3, fm)
		case "YY":
			num(t.Year()%100, 2, fm)
		case "Y":
			num(t.Year()%10, 1, fm)
		case "MM":
			num(int(t.Month()), 2, fm)
		case "DD":
			num(t.Day(), 2, fm)
		case "DDD":
			num(t.YearDay(), 3, fm)
		case "D":
			num(int(t.Weekday())+1, 1, fm)
		case "HH24":
			num(t.Hour(), 2, fm)
		case "HH12", "HH":
			num(h12, 2, fm)
		case "MI":
			num(t.Minute(), 2, fm)
		case "SS":
			num(t.Second(), 2, fm)
		case "MS":
			num(t.Nanosecond()/1_000_000, 3, fm)
		case "US":
			num(t.Nanosecond()/1000, 6, fm)
		case "IW":
			_, w := t.ISOWeek()
			num(w, 2, fm)
		case "WW":
			num((t.YearDay()-1)/7+1, 2, fm)
		case "Q":
			num((int(t.Month())-1)/3+1, 1, fm)
		case "J":
			num(int(t.Unix()/86400)+2440588, 1, true)
		case "MONTH", "Month", "month":
			b.WriteString(casedName(monthNames[t.Month()-1], tok, 9, fm))
		case "MON", "Mon", "mon":
			b.WriteString(casedName(monthNames[t.Month()-1][:3], tok, 0, fm))
		case "DAY", "Day", "day":
			b.WriteString(casedName(dayNames[t.Weekday()], tok, 9, fm))
		case "DY", "Dy", "dy":
			b.WriteString(casedName(dayNames[t.Weekday()][:3], tok, 0, fm))
		case "AM", "PM", "am", "pm", "A.M.", "P.M.", "a.m.", "p.m.":
			s := "AM"
			if strings.Contains(tok, ".") {
				s = "A.M."
			}
			if t.Hour() >= 12 {
				s = strings.Replace(s, "A", "P", 1)
			}
			if tok == strings.ToLower(tok) {
				s = strings.ToLower(s)
			}
			b.WriteString(s)
		case "TZ", "tz":
			// A timestamp without time zone shows none.
		}
	}
	return b.String()
}

// parseByFormat reads s by a to_timestamp/to_date template: the numeric
// patterns, month and day names, AM/PM; other template characters skip
// one character of s each (as separators do).
func parseByFormat(s, format string) (time.Time, error) {
	bad := func(why string) (time.Time, error) {
		return time.Time{}, funcError(sqlerr.InvalidDatetimeFormat, "invalid value for %q in %q: %s", format, s, why)
	}
	y, mo, d, h, mi, sec, us := 1, 1, 1, 0, 0, 0, 0
	pm, has12 := false, false
	pos := 0
	readNum := func(maxDigits int) (int, bool) {
		for pos < len(s) && s[pos] == ' ' {
			pos++
		}
		start := pos
		if pos < len(s) && s[pos] == '-' {
			pos++
		}
		for pos < len(s) && pos-start < maxDigits && s[pos] >= '0' && s[pos] <= '9' {
			pos++
		}
		n, err := strconv.Atoi(s[start:pos])
		return n, err == nil
	}
	for i := 0; i < len(format); {
		if strings.HasPrefix(format[i:], "FM") || strings.HasPrefix(format[i:], "fm") {
			i += 2
			continue
		}
		tok := ""
		for _, p := range fmtTokens {
			if strings.HasPrefix(format[i:], p) {
				tok = p
				break
			}
		}
		if tok == "" {
			if format[i] == ' ' {
				for pos < len(s) && s[pos] == ' ' {
					pos++
				}
			} else if pos < len(s) && !unicode.IsDigit(rune(s[pos])) {
				pos++
			}
			i++
			continue
		}
		i += len(tok)
		var ok bool
		switch tok {
		case "YYYY", "IYYY":
			y, ok = readNum(4)
		case "YY":
			y, ok = readNum(2)
			if y < 70 {
				y += 2000
			} else if y < 100 {
				y += 1900
			}
		case "MM":
			mo, ok = readNum(2)
		case "DD":
			d, ok = readNum(2)
		case "HH24":
			h, ok = readNum(2)
		case "HH12", "HH":
			h, ok = readNum(2)
			has12 = true
		case "MI":
			mi, ok = readNum(2)
		case "SS":
			sec, ok = readNum(2)
		case "MS":
			var ms int
			start := pos
			ms, ok = readNum(3)
			for n := pos - start; n < 3; n++ {
				ms *= 10
			}
			us = ms * 1000
		case "US":
			start := pos
			us, ok = readNum(6)
			for n := pos - start; n < 6; n++ {
				us *= 10
			}
		case "MONTH", "Month", "month", "MON", "Mon", "mon":
			ok = false
			for k, name := range monthNames {
				for _, cand := range []string{name, name[:3]} {
					if len(s)-pos >= len(cand) && strings.EqualFold(s[pos:pos+len(cand)], cand) {
						mo, ok = k+1, true
						pos += len(cand)
						break
					}
				}
				if ok {
					break
				}
			}
		case "DAY", "Day", "day", "DY", "Dy", "dy":
			ok = false
			for _, name := range dayNames {
				for _, cand := range []string{name, name[:3]} {
					if len(s)-pos >= len(cand) && strings.EqualFold(s[pos:pos+len(cand)], cand) {
						ok = true
						pos += len(cand)
						break
					}
				}
				if ok {
					break
				}
			}
		case "AM", "PM", "am", "pm", "A.M.", "P.M.", "a.m.", "p.m.":
			w := len(tok)
			if len(s)-pos >= w {
				v := strings.ToUpper(s[pos : pos+w])
				pm, ok = strings.HasPrefix(v, "P"), strings.HasPrefix(v, "A") || strings.HasPrefix(v, "P")
				pos += w
			}
		default:
			return bad("the pattern " + tok + " is not supported by the embedded SQLite engine")
		}
		if !ok {
			return bad("no " + tok + " found")
		}
	}
	if has12 {
		if h < 1 || h > 12 {
			return bad("hour out of range for a 12-hour clock")
		}
		h %= 12
		if pm {
			h += 12
		}
	}
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(y, time.Month(mo)) || h > 23 || mi > 59 || sec > 60 {
		return time.Time{}, funcError(sqlerr.DatetimeFieldOverflow, "date/time field value out of range: %q", s)
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, us*1000, time.UTC), nil
}

// fnToTimestamp is to_timestamp(epoch seconds) or to_timestamp(text,
// template).
func fnToTimestamp(args []driver.Value) (driver.Value, error) {
	switch len(args) {
	case 1:
		if args[0] == nil {
			return nil, nil
		}
		f, err := floatOf("to_timestamp", args[0])
		if err != nil {
			return nil, err
		}
		if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e13 {
			return nil, funcError(sqlerr.DatetimeFieldOverflow, "timestamp out of range: %v", f)
		}
		sec := math.Floor(f)
		us := math.Round((f - sec) * 1e6)
		return tsText(time.Unix(int64(sec), int64(us)*1000).UTC()), nil
	case 2:
		s, ok1 := textOf(args[0])
		f, ok2 := textOf(args[1])
		if !ok1 || !ok2 {
			return nil, nil
		}
		t, err := parseByFormat(s, f)
		if err != nil {
			return nil, err
		}
		return tsText(t), nil
	}
	return nil, errArgs("to_timestamp", len(args))
}

func fnToDate(args []driver.Value) (driver.Value, error) {
	s, ok1 := textOf(args[0])
	f, ok2 := textOf(args[1])
	if !ok1 || !ok2 {
		return nil, nil
	}
	t, err := parseByFormat(s, f)
	if err != nil {
		return nil, err
	}
	return t.Format(dateLayout), nil
}

func fnMakeDate(args []driver.Value) (driver.Value, error) {
	var p [3]int64
	for i, a := range args {
		if a == nil {
			return nil, nil
		}
		n, err := intOf("make_date", a)
		if err != nil {
			return nil, err
		}
		p[i] = n
	}
	if p[1] < 1 || p[1] > 12 || p[2] < 1 || p[2] > int64(daysIn(int(p[0]), time.Month(p[1]))) || p[0] == 0 {
		return nil, funcError(sqlerr.DatetimeFieldOverflow, "date field value out of range: %d-%02d-%02d", p[0], p[1], p[2])
	}
	return time.Date(int(p[0]), time.Month(p[1]), int(p[2]), 0, 0, 0, 0, time.UTC).Format(dateLayout), nil
}

func fnMakeTimestamp(args []driver.Value) (driver.Value, error) {
	var p [5]int64
	for i, a := range args {
		if a == nil {
			return nil, nil
		}
		if i == 5 {
			break
		}
		n, err := intOf("make_timestamp", a)
		if err != nil {
			return nil, err
		}
		p[i] = n
	}
	sec, err := floatOf("make_timestamp", args[5])
	if err != nil {
		return nil, err
	}
	if p[1] < 1 || p[1] > 12 || p[2] < 1 || p[2] > int64(daysIn(int(p[0]), time.Month(p[1]))) || p[0] == 0 ||
		p[3] < 0 || p[3] > 23 || p[4] < 0 || p[4] > 59 || sec < 0 || sec > 60 {
		return nil, funcError(sqlerr.DatetimeFieldOverflow, "date/time field value out of range: %d-%02d-%02d %d:%02d:%v", p[0], p[1], p[2], p[3], p[4], sec)
	}
	us := int64(math.Round(sec * 1e6))
	t := time.Date(int(p[0]), time.Month(p[1]), int(p[2]), int(p[3]), int(p[4]), 0, 0, time.UTC).Add(time.Duration(us) * time.Microsecond)
	return tsText(t), nil
}

// fnTsDiff is floe_ts_diff(a, b), PostgreSQL's timestamp - timestamp:
// days and time, no months ('60 days 02:00:00').
func fnTsDiff(args []driver.Value) (driver.Value, error) {
	if args[0] == nil || args[1] == nil {
		return nil, nil
	}
	a, err := parseTimestamp(args[0])
	if err != nil {
		return nil, err
	}
	b, err := parseTimestamp(args[1])
	if err != nil {
		return nil, err
	}
	us := a.Sub(b).Microseconds()
	return interval{days: us / usPerDay, us: us % usPerDay}.String(), nil
}

// intervalAddSub is floe_interval_add/floe_interval_sub(a, b): each
// field added (PostgreSQL does not carry between them).
func intervalAddSub(args []driver.Value, sign int) (driver.Value, error) {
	if args[0] == nil || args[1] == nil {
		return nil, nil
	}
	a, err := parseInterval(args[0])
	if err != nil {
		return nil, err
	}
	b, err := parseInterval(args[1])
	if err != nil {
		return nil, err
	}
	if sign < 0 {
		b = b.neg()
	}
	return a.add(b).String(), nil
}

// fnIntervalMul is floe_interval_mul(interval, factor), PostgreSQL's
// interval * number: fractions of months and days moved down as
// interval input moves them.
func fnIntervalMul(args []driver.Value) (driver.Value, error) {
	if args[0] == nil || args[1] == nil {
		return nil, nil
	}
	iv, err := parseInterval(args[0])
	if err != nil {
		return nil, err
	}
	f, err := floatOf("floe_interval_mul", args[1])
	if err != nil {
		return nil, err
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, funcError(sqlerr.NumericValueOutOfRange, "interval out of range")
	}
	out := unitAmount(float64(iv.months)*f, 1, 0, 0)
	out = out.add(unitAmount(float64(iv.days)*f, 0, 1, 0))
	out.us += int64(math.Round(float64(iv.us) * f))
	return out.String(), nil
}

// fnDateAdd is floe_date_add(date, days), PostgreSQL's date + integer:
// a date.
func fnDateAdd(args []driver.Value) (driver.Value, error) {
	if args[0] == nil || args[1] == nil {
		return nil, nil
	}
	t, err := parseTimestamp(args[0])
	if err != nil {
		return nil, err
	}
	n, err := intOf("floe_date_add", args[1])
	if err != nil {
		return nil, err
	}
	return t.AddDate(0, 0, int(n)).Format(dateLayout), nil
}
