package sqlite

import (
	"database/sql/driver"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	sqlite3 "modernc.org/sqlite"
)

// The MySQL functions SQLite lacks, under floe_my_* names the MySQL
// translation prints (translate_my.go): MySQL's names are not registered,
// so PostgreSQL-dialect texts never meet them. Values follow the engine's
// conventions: datetimes are text 'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC),
// dates 'YYYY-MM-DD'.

var registerMyOnce sync.Once

// registerMySQLFunctions registers the functions with the SQLite driver
// once per process, before the first connection opens (Open calls it).
func registerMySQLFunctions() {
	registerMyOnce.Do(func() {
		for name, f := range map[string]struct {
			n int32
			f func(args []driver.Value) (driver.Value, error)
		}{
			"floe_my_concat_ws":       {-1, myConcatWS},
			"floe_my_date_format":     {2, myDateFormat},
			"floe_my_from_unixtime":   {-1, myFromUnixtime},
			"floe_my_unix_timestamp":  {1, myUnixTimestamp},
			"floe_my_datediff":        {2, myDatediff},
			"floe_my_date_add":        {4, myDateAdd},
			"floe_my_timestampdiff":   {3, myTimestampdiff},
			"floe_my_left":            {2, myLeft},
			"floe_my_right":           {2, myRight},
			"floe_my_lpad":            {3, func(a []driver.Value) (driver.Value, error) { return myPad(a, true) }},
			"floe_my_rpad":            {3, func(a []driver.Value) (driver.Value, error) { return myPad(a, false) }},
			"floe_my_repeat":          {2, myRepeat},
			"floe_my_space":           {1, mySpace},
			"floe_my_reverse":         {1, myReverse},
			"floe_my_locate":          {-1, myLocate},
			"floe_my_substring_index": {3, mySubstringIndex},
			"floe_my_field":           {-1, myField},
			"floe_my_elt":             {-1, myElt},
			"floe_my_truncate":        {2, myTruncate},
			"floe_my_regexp":          {2, myRegexp},
		} {
			sqlite3.MustRegisterDeterministicScalarFunction(name, f.n, func(_ *sqlite3.FunctionContext, args []driver.Value) (driver.Value, error) {
				return f.f(args)
			})
		}
		sqlite3.MustRegisterScalarFunction("floe_my_rand", -1, func(_ *sqlite3.FunctionContext, args []driver.Value) (driver.Value, error) {
			return rand.Float64(), nil
		})
	})
}

// myString is MySQL's string form of a value; ok is false for NULL.
func myString(v driver.Value) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	case []byte:
		return string(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case bool:
		if x {
			return "1", true
		}
		return "0", true
	case time.Time:
		return formatMyTime(x, false), true
	}
	return fmt.Sprint(v), true
}

// myInt is MySQL's integer form of a value; ok is false for NULL.
func myInt(v driver.Value) (int64, bool) {
	switch x := v.(type) {
	case nil:
		return 0, false
	case int64:
		return x, true
	case float64:
		return int64(math.Round(x)), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	s, _ := myString(v)
	f, _ := strconv.ParseFloat(leadingNumber(strings.TrimSpace(s)), 64)
	return int64(math.Round(f)), true
}

var numberPrefix = regexp.MustCompile(`^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?`)

// leadingNumber is the numeric prefix MySQL reads from a string.
func leadingNumber(s string) string {
	if m := numberPrefix.FindString(s); m != "" {
		return m
	}
	return "0"
}

func myFloat(v driver.Value) (float64, bool) {
	switch x := v.(type) {
	case nil:
		return 0, false
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	s, _ := myString(v)
	f, _ := strconv.ParseFloat(leadingNumber(strings.TrimSpace(s)), 64)
	return f, true
}

var myTimeLayouts = []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04", "2006-01-02", "20060102150405", "20060102"}

// myTime reads a date or datetime value; dateOnly reports a value without
// a time part.
func myTime(v driver.Value) (t time.Time, dateOnly, ok bool) {
	if x, isTime := v.(time.Time); isTime {
		return x.UTC(), false, true
	}
	if n, isInt := v.(int64); isInt {
		v = strconv.FormatInt(n, 10)
	}
	s, notNull := myString(v)
	if !notNull {
		return time.Time{}, false, false
	}
	s = strings.TrimSpace(s)
	for _, l := range myTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), l == "2006-01-02" || l == "20060102", true
		}
	}
	return time.Time{}, false, false
}

func formatMyTime(t time.Time, dateOnly bool) string {
	if dateOnly {
		return t.Format("2006-01-02")
	}
	if t.Nanosecond() != 0 {
		return t.Format("2006-01-02 15:04:05.000000")
	}
	return t.Format("2006-01-02 15:04:05")
}

func myConcatWS(args []driver.Value) (driver.Value, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("Incorrect parameter count in the call to native function 'CONCAT_WS'")
	}
	sep, ok := myString(args[0])
	if !ok {
		return nil, nil
	}
	var parts []string
	for _, a := range args[1:] {
		if s, ok := myString(a); ok {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, sep), nil
}

var (
	weekdays = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	months   = []string{"", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

func ordinal(d int) string {
	suf := "th"
	if d%100 < 11 || d%100 > 13 {
		switch d % 10 {
		case 1:
			suf = "st"
		case 2:
			suf = "nd"
		case 3:
			suf = "rd"
		}
	}
	return strconv.Itoa(d) + suf
}

// dateFormat formats t with MySQL's DATE_FORMAT specifiers.
func dateFormat(t time.Time, f string) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 == len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		h12 := t.Hour() % 12
		if h12 == 0 {
			h12 = 12
		}
		switch f[i] {
		case 'Y':
			fmt.Fprintf(&b, "%04d", t.Year())
		case 'y':
			fmt.Fprintf(&b, "%02d", t.Year()%100)
		case 'm':
			fmt.Fprintf(&b, "%02d", int(t.Month()))
		case 'c':
			b.WriteString(strconv.Itoa(int(t.Month())))
		case 'M':
			b.WriteString(months[t.Month()])
		case 'b':
			b.WriteString(months[t.Month()][:3])
		case 'd':
			fmt.Fprintf(&b, "%02d", t.Day())
		case 'e':
			b.WriteString(strconv.Itoa(t.Day()))
		case 'D':
			b.WriteString(ordinal(t.Day()))
		case 'j':
			fmt.Fprintf(&b, "%03d", t.YearDay())
		case 'H':
			fmt.Fprintf(&b, "%02d", t.Hour())
		case 'k':
			b.WriteString(strconv.Itoa(t.Hour()))
		case 'h', 'I':
			fmt.Fprintf(&b, "%02d", h12)
		case 'l':
			b.WriteString(strconv.Itoa(h12))
		case 'i':
			fmt.Fprintf(&b, "%02d", t.Minute())
		case 's', 'S':
			fmt.Fprintf(&b, "%02d", t.Second())
		case 'f':
			fmt.Fprintf(&b, "%06d", t.Nanosecond()/1000)
		case 'p':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'r':
			ampm := "AM"
			if t.Hour() >= 12 {
				ampm = "PM"
			}
			fmt.Fprintf(&b, "%02d:%02d:%02d %s", h12, t.Minute(), t.Second(), ampm)
		case 'T':
			fmt.Fprintf(&b, "%02d:%02d:%02d", t.Hour(), t.Minute(), t.Second())
		case 'W':
			b.WriteString(weekdays[t.Weekday()])
		case 'a':
			b.WriteString(weekdays[t.Weekday()][:3])
		case 'w':
			b.WriteString(strconv.Itoa(int(t.Weekday())))
		default:
			b.WriteByte(f[i])
		}
	}
	return b.String()
}

func myDateFormat(args []driver.Value) (driver.Value, error) {
	t, _, ok := myTime(args[0])
	f, fok := myString(args[1])
	if !ok || !fok {
		return nil, nil
	}
	return dateFormat(t, f), nil
}

func myFromUnixtime(args []driver.Value) (driver.Value, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, fmt.Errorf("Incorrect parameter count in the call to native function 'FROM_UNIXTIME'")
	}
	f, ok := myFloat(args[0])
	if !ok || f < 0 {
		return nil, nil
	}
	sec, frac := math.Modf(f)
	t := time.Unix(int64(sec), int64(math.Round(frac*1e6))*1000).UTC()
	if len(args) == 2 {
		fs, ok := myString(args[1])
		if !ok {
			return nil, nil
		}
		return dateFormat(t, fs), nil
	}
	return formatMyTime(t, false), nil
}

func myUnixTimestamp(args []driver.Value) (driver.Value, error) {
	t, _, ok := myTime(args[0])
	if !ok {
		return nil, nil
	}
	if t.Nanosecond() != 0 {
		return float64(t.UnixMicro()) / 1e6, nil
	}
	return t.Unix(), nil
}

func myDatediff(args []driver.Value) (driver.Value, error) {
	a, _, ok1 := myTime(args[0])
	b, _, ok2 := myTime(args[1])
	if !ok1 || !ok2 {
		return nil, nil
	}
	da := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int64(da.Sub(db).Hours() / 24), nil
}

// addMonths adds n months as MySQL does: the day is clamped to the end of
// the month reached.
func addMonths(t time.Time, n int) time.Time {
	y, m := t.Year(), int(t.Month())-1+n
	y += m / 12
	m %= 12
	if m < 0 {
		m += 12
		y--
	}
	last := time.Date(y, time.Month(m+2), 0, 0, 0, 0, 0, time.UTC).Day()
	d := min(t.Day(), last)
	return time.Date(y, time.Month(m+1), d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// myDateAdd is DATE_ADD/DATE_SUB (sign -1) with a simple interval unit.
func myDateAdd(args []driver.Value) (driver.Value, error) {
	t, dateOnly, ok := myTime(args[0])
	unit, uok := myString(args[2])
	sign, _ := myInt(args[3])
	if !ok || !uok || args[1] == nil {
		return nil, nil
	}
	unit = strings.ToUpper(unit)
	if unit == "MICROSECOND" || unit == "SECOND" {
		f, _ := myFloat(args[1])
		d := time.Duration(f * float64(time.Second))
		if unit == "MICROSECOND" {
			d = time.Duration(f * float64(time.Microsecond))
		}
		return formatMyTime(t.Add(time.Duration(sign)*d), false), nil
	}
	n, _ := myInt(args[1])
	n *= sign
	switch unit {
	case "MINUTE":
		return formatMyTime(t.Add(time.Duration(n)*time.Minute), false), nil
	case "HOUR":
		return formatMyTime(t.Add(time.Duration(n)*time.Hour), false), nil
	case "DAY":
		return formatMyTime(t.AddDate(0, 0, int(n)), dateOnly), nil
	case "WEEK":
		return formatMyTime(t.AddDate(0, 0, 7*int(n)), dateOnly), nil
	case "MONTH":
		return formatMyTime(addMonths(t, int(n)), dateOnly), nil
	case "QUARTER":
		return formatMyTime(addMonths(t, 3*int(n)), dateOnly), nil
	case "YEAR":
		return formatMyTime(addMonths(t, 12*int(n)), dateOnly), nil
	}
	return nil, fmt.Errorf("INTERVAL … %s is not supported by the embedded SQLite engine", unit)
}

func myTimestampdiff(args []driver.Value) (driver.Value, error) {
	unit, uok := myString(args[0])
	a, _, ok1 := myTime(args[1])
	b, _, ok2 := myTime(args[2])
	if !uok || !ok1 || !ok2 {
		return nil, nil
	}
	months := func() int64 {
		m := int64(b.Year()-a.Year())*12 + int64(b.Month()-a.Month())
		// A month counts once the later day and time of month are reached.
		rest := func(t time.Time) time.Duration {
			return time.Duration(t.Day())*24*time.Hour + t.Sub(t.Truncate(24*time.Hour))
		}
		if m > 0 && rest(b) < rest(a) {
			m--
		} else if m < 0 && rest(b) > rest(a) {
			m++
		}
		return m
	}
	d := b.Sub(a)
	switch strings.ToUpper(unit) {
	case "MICROSECOND":
		return d.Microseconds(), nil
	case "SECOND":
		return int64(d / time.Second), nil
	case "MINUTE":
		return int64(d / time.Minute), nil
	case "HOUR":
		return int64(d / time.Hour), nil
	case "DAY":
		return int64(d / (24 * time.Hour)), nil
	case "WEEK":
		return int64(d / (7 * 24 * time.Hour)), nil
	case "MONTH":
		return months(), nil
	case "QUARTER":
		return months() / 3, nil
	case "YEAR":
		return months() / 12, nil
	}
	return nil, fmt.Errorf("TIMESTAMPDIFF(%s, …) is not supported by the embedded SQLite engine", unit)
}

func runesOf(v driver.Value) ([]rune, bool) {
	s, ok := myString(v)
	return []rune(s), ok
}

func myLeft(args []driver.Value) (driver.Value, error) {
	r, ok := runesOf(args[0])
	n, nok := myInt(args[1])
	if !ok || !nok {
		return nil, nil
	}
	return string(r[:max(0, min(int64(len(r)), n))]), nil
}

func myRight(args []driver.Value) (driver.Value, error) {
	r, ok := runesOf(args[0])
	n, nok := myInt(args[1])
	if !ok || !nok {
		return nil, nil
	}
	n = max(0, min(int64(len(r)), n))
	return string(r[int64(len(r))-n:]), nil
}

// maxMyString bounds the strings REPEAT, LPAD, SPACE build
// (max_allowed_packet: MySQL returns NULL past it).
const maxMyString = 64 << 20

func myPad(args []driver.Value, left bool) (driver.Value, error) {
	r, ok := runesOf(args[0])
	n, nok := myInt(args[1])
	pad, pok := runesOf(args[2])
	if !ok || !nok || !pok || n < 0 || n > maxMyString {
		return nil, nil
	}
	if int64(len(r)) >= n {
		return string(r[:n]), nil
	}
	if len(pad) == 0 {
		return nil, nil
	}
	fill := make([]rune, 0, n-int64(len(r)))
	for int64(len(fill)) < n-int64(len(r)) {
		fill = append(fill, pad[len(fill)%len(pad)])
	}
	if left {
		return string(fill) + string(r), nil
	}
	return string(r) + string(fill), nil
}

func myRepeat(args []driver.Value) (driver.Value, error) {
	s, ok := myString(args[0])
	n, nok := myInt(args[1])
	if !ok || !nok {
		return nil, nil
	}
	if n <= 0 {
		return "", nil
	}
	if int64(len(s))*n > maxMyString {
		return nil, nil
	}
	return strings.Repeat(s, int(n)), nil
}

func mySpace(args []driver.Value) (driver.Value, error) {
	n, ok := myInt(args[0])
	if !ok {
		return nil, nil
	}
	if n > maxMyString {
		return nil, nil
	}
	return strings.Repeat(" ", int(max(0, n))), nil
}

func myReverse(args []driver.Value) (driver.Value, error) {
	r, ok := runesOf(args[0])
	if !ok {
		return nil, nil
	}
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r), nil
}

// myLocate is LOCATE(substr, str[, pos]): the 1-based position of substr
// in str (from pos), 0 when absent; case-insensitive as MySQL's default
// collation.
func myLocate(args []driver.Value) (driver.Value, error) {
	if len(args) < 2 || len(args) > 3 {
		return nil, fmt.Errorf("Incorrect parameter count in the call to native function 'LOCATE'")
	}
	sub, ok1 := runesOf(args[0])
	str, ok2 := runesOf(args[1])
	if !ok1 || !ok2 {
		return nil, nil
	}
	pos := int64(1)
	if len(args) == 3 {
		p, ok := myInt(args[2])
		if !ok {
			return nil, nil
		}
		pos = p
	}
	if pos < 1 || pos > int64(len(str))+1 {
		return int64(0), nil
	}
	hay := strings.ToLower(string(str[pos-1:]))
	i := strings.Index(hay, strings.ToLower(string(sub)))
	if i < 0 {
		return int64(0), nil
	}
	return pos + int64(utf8.RuneCountInString(hay[:i])), nil
}

func mySubstringIndex(args []driver.Value) (driver.Value, error) {
	s, ok1 := myString(args[0])
	d, ok2 := myString(args[1])
	n, ok3 := myInt(args[2])
	if !ok1 || !ok2 || !ok3 {
		return nil, nil
	}
	if d == "" || n == 0 {
		return "", nil
	}
	parts := strings.Split(s, d)
	if n > 0 {
		if n >= int64(len(parts)) {
			return s, nil
		}
		return strings.Join(parts[:n], d), nil
	}
	if -n >= int64(len(parts)) {
		return s, nil
	}
	return strings.Join(parts[int64(len(parts))+n:], d), nil
}

func myField(args []driver.Value) (driver.Value, error) {
	if len(args) < 2 {
		return nil, fmt.Errorf("Incorrect parameter count in the call to native function 'FIELD'")
	}
	s, ok := myString(args[0])
	if !ok {
		return int64(0), nil
	}
	for i, a := range args[1:] {
		if t, ok := myString(a); ok && strings.EqualFold(s, t) {
			return int64(i + 1), nil
		}
	}
	return int64(0), nil
}

func myElt(args []driver.Value) (driver.Value, error) {
	if len(args) < 2 {
		return nil, fmt.Errorf("Incorrect parameter count in the call to native function 'ELT'")
	}
	n, ok := myInt(args[0])
	if !ok || n < 1 || n >= int64(len(args)) {
		return nil, nil
	}
	return args[n], nil
}

func myTruncate(args []driver.Value) (driver.Value, error) {
	x, ok := myFloat(args[0])
	d, dok := myInt(args[1])
	if !ok || !dok {
		return nil, nil
	}
	p := math.Pow(10, float64(d))
	v := math.Trunc(x*p) / p
	if _, isInt := args[0].(int64); isInt && d >= 0 {
		return args[0], nil
	}
	return v, nil
}

// myRegexp is REGEXP: case-insensitive as MySQL's default collation.
func myRegexp(args []driver.Value) (driver.Value, error) {
	s, ok1 := myString(args[0])
	p, ok2 := myString(args[1])
	if !ok1 || !ok2 {
		return nil, nil
	}
	re, err := regexp.Compile("(?i)" + p)
	if err != nil {
		return nil, fmt.Errorf("Got error '%s' from regexp", err.Error())
	}
	if re.MatchString(s) {
		return int64(1), nil
	}
	return int64(0), nil
}
