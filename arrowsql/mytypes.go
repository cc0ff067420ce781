package arrowsql

import (
	"errors"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/go-mysql-org/go-mysql/mysql"
)

// myColumn is how one MySQL result column is read.
type myColumn struct {
	typ  arrow.DataType
	bind func(b array.Builder) func(*mysql.FieldValue) error
}

// binaryCharset is the collation id of binary strings.
const binaryCharset = 63

// myText returns the text of a value the library did not parse.
func myText(v *mysql.FieldValue) []byte {
	if v.Type == mysql.FieldValueTypeString {
		return v.AsString()
	}
	return []byte(v.String())
}

func myInt(v *mysql.FieldValue) (int64, error) {
	switch v.Type {
	case mysql.FieldValueTypeSigned:
		return v.AsInt64(), nil
	case mysql.FieldValueTypeUnsigned:
		u := v.AsUint64()
		if u > math.MaxInt64 {
			return 0, errTooLarge
		}
		return int64(u), nil
	}
	return strconv.ParseInt(string(myText(v)), 10, 64)
}

func myUint(v *mysql.FieldValue) (uint64, error) {
	switch v.Type {
	case mysql.FieldValueTypeUnsigned:
		return v.AsUint64(), nil
	case mysql.FieldValueTypeSigned:
		i := v.AsInt64()
		if i < 0 {
			return 0, errTooLarge
		}
		return uint64(i), nil
	}
	return strconv.ParseUint(string(myText(v)), 10, 64)
}

func myFloat(v *mysql.FieldValue) (float64, error) {
	switch v.Type {
	case mysql.FieldValueTypeFloat:
		return v.AsFloat64(), nil
	case mysql.FieldValueTypeSigned:
		return float64(v.AsInt64()), nil
	case mysql.FieldValueTypeUnsigned:
		return float64(v.AsUint64()), nil
	}
	return strconv.ParseFloat(string(myText(v)), 64)
}

// myColumnFor returns the reading of a column as the server describes it.
func myColumnFor(f *mysql.Field, num Numeric) myColumn {
	unsigned := f.Flag&mysql.UNSIGNED_FLAG != 0
	ints := func(signed, uns arrow.DataType, bits int) myColumn {
		if unsigned {
			return myColumn{typ: uns, bind: func(b array.Builder) func(*mysql.FieldValue) error {
				return uintAppender(b, bits)
			}}
		}
		return myColumn{typ: signed, bind: func(b array.Builder) func(*mysql.FieldValue) error {
			return intAppender(b, bits)
		}}
	}
	text := myColumn{typ: arrow.BinaryTypes.String, bind: func(b array.Builder) func(*mysql.FieldValue) error {
		add := bytesAppender(b)
		return func(v *mysql.FieldValue) error { return add(myText(v)) }
	}}
	switch f.Type {
	case mysql.MYSQL_TYPE_TINY:
		return ints(arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Uint8, 8)
	case mysql.MYSQL_TYPE_SHORT:
		return ints(arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Uint16, 16)
	case mysql.MYSQL_TYPE_YEAR:
		unsigned = false
		return ints(arrow.PrimitiveTypes.Int16, nil, 16)
	case mysql.MYSQL_TYPE_INT24, mysql.MYSQL_TYPE_LONG:
		return ints(arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Uint32, 32)
	case mysql.MYSQL_TYPE_LONGLONG:
		return ints(arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Uint64, 64)
	case mysql.MYSQL_TYPE_FLOAT:
		return myColumn{typ: arrow.PrimitiveTypes.Float32, bind: func(b array.Builder) func(*mysql.FieldValue) error {
			fb := b.(*array.Float32Builder)
			return func(v *mysql.FieldValue) error {
				x, err := myFloat(v)
				fb.Append(float32(x))
				return err
			}
		}}
	case mysql.MYSQL_TYPE_DOUBLE:
		return myColumn{typ: arrow.PrimitiveTypes.Float64, bind: func(b array.Builder) func(*mysql.FieldValue) error {
			fb := b.(*array.Float64Builder)
			return func(v *mysql.FieldValue) error {
				x, err := myFloat(v)
				fb.Append(x)
				return err
			}
		}}
	case mysql.MYSQL_TYPE_DECIMAL, mysql.MYSQL_TYPE_NEWDECIMAL:
		scale := int32(f.Decimal)
		prec := int32(f.ColumnLength)
		if scale > 0 {
			prec--
		}
		if !unsigned {
			prec--
		}
		if num == NumericString || prec > 38 || prec < 1 || scale > prec {
			return text
		}
		return myColumn{typ: &arrow.Decimal128Type{Precision: prec, Scale: scale}, bind: func(b array.Builder) func(*mysql.FieldValue) error {
			db := b.(*array.Decimal128Builder)
			return func(v *mysql.FieldValue) error {
				n, err := parseDecimal(myText(v), prec, scale)
				if err != nil {
					return err
				}
				db.Append(n)
				return nil
			}
		}}
	case mysql.MYSQL_TYPE_DATE, mysql.MYSQL_TYPE_NEWDATE:
		return myColumn{typ: arrow.FixedWidthTypes.Date32, bind: func(b array.Builder) func(*mysql.FieldValue) error {
			db := b.(*array.Date32Builder)
			return func(v *mysql.FieldValue) error {
				d, zero, err := parseDate(myText(v))
				switch {
				case err != nil:
					return err
				case zero:
					db.AppendNull()
				default:
					db.Append(arrow.Date32(d))
				}
				return nil
			}
		}}
	case mysql.MYSQL_TYPE_DATETIME, mysql.MYSQL_TYPE_TIMESTAMP:
		t := typeTimestamp
		if f.Type == mysql.MYSQL_TYPE_TIMESTAMP {
			t = typeTimestampTZ
		}
		return myColumn{typ: t, bind: func(b array.Builder) func(*mysql.FieldValue) error {
			tb := b.(*array.TimestampBuilder)
			return func(v *mysql.FieldValue) error {
				us, zero, err := parseDateTime(myText(v))
				switch {
				case err != nil:
					return err
				case zero:
					tb.AppendNull()
				default:
					tb.Append(arrow.Timestamp(us))
				}
				return nil
			}
		}}
	case mysql.MYSQL_TYPE_TIME:
		return myColumn{typ: arrow.FixedWidthTypes.Time64us, bind: func(b array.Builder) func(*mysql.FieldValue) error {
			tb := b.(*array.Time64Builder)
			return func(v *mysql.FieldValue) error {
				us, err := parseClock(myText(v))
				if err != nil {
					return err
				}
				if us < 0 || us >= usPerDay {
					return errTimeOfDay
				}
				tb.Append(arrow.Time64(us))
				return nil
			}
		}}
	case mysql.MYSQL_TYPE_BIT:
		return myColumn{typ: arrow.PrimitiveTypes.Uint64, bind: func(b array.Builder) func(*mysql.FieldValue) error {
			ub := b.(*array.Uint64Builder)
			return func(v *mysql.FieldValue) error {
				raw := myText(v)
				if len(raw) > 8 {
					return errSyntax
				}
				var x uint64
				for _, c := range raw {
					x = x<<8 | uint64(c)
				}
				ub.Append(x)
				return nil
			}
		}}
	case mysql.MYSQL_TYPE_JSON:
		return myColumn{typ: typeJSON, bind: text.bind}
	case mysql.MYSQL_TYPE_NULL:
		return myColumn{typ: arrow.Null, bind: func(b array.Builder) func(*mysql.FieldValue) error {
			return func(*mysql.FieldValue) error { b.AppendNull(); return nil }
		}}
	case mysql.MYSQL_TYPE_TINY_BLOB, mysql.MYSQL_TYPE_MEDIUM_BLOB, mysql.MYSQL_TYPE_LONG_BLOB, mysql.MYSQL_TYPE_BLOB,
		mysql.MYSQL_TYPE_VAR_STRING, mysql.MYSQL_TYPE_STRING, mysql.MYSQL_TYPE_VARCHAR, mysql.MYSQL_TYPE_GEOMETRY:
		if f.Charset == binaryCharset {
			return myColumn{typ: arrow.BinaryTypes.Binary, bind: text.bind}
		}
	}
	return text
}

var errTimeOfDay = errors.New("TIME value outside 00:00:00-23:59:59 has no Arrow time-of-day representation")

func intAppender(b array.Builder, bits int) func(*mysql.FieldValue) error {
	lim := int64(1)<<(bits-1) - 1
	check := func(v *mysql.FieldValue) (int64, error) {
		x, err := myInt(v)
		if err == nil && bits < 64 && (x > lim || x < -lim-1) {
			err = errTooLarge
		}
		return x, err
	}
	switch t := b.(type) {
	case *array.Int8Builder:
		return func(v *mysql.FieldValue) error { x, err := check(v); t.Append(int8(x)); return err }
	case *array.Int16Builder:
		return func(v *mysql.FieldValue) error { x, err := check(v); t.Append(int16(x)); return err }
	case *array.Int32Builder:
		return func(v *mysql.FieldValue) error { x, err := check(v); t.Append(int32(x)); return err }
	}
	ib := b.(*array.Int64Builder)
	return func(v *mysql.FieldValue) error { x, err := check(v); ib.Append(x); return err }
}

func uintAppender(b array.Builder, bits int) func(*mysql.FieldValue) error {
	lim := uint64(math.MaxUint64)
	if bits < 64 {
		lim = uint64(1)<<bits - 1
	}
	check := func(v *mysql.FieldValue) (uint64, error) {
		x, err := myUint(v)
		if err == nil && x > lim {
			err = errTooLarge
		}
		return x, err
	}
	switch t := b.(type) {
	case *array.Uint8Builder:
		return func(v *mysql.FieldValue) error { x, err := check(v); t.Append(uint8(x)); return err }
	case *array.Uint16Builder:
		return func(v *mysql.FieldValue) error { x, err := check(v); t.Append(uint16(x)); return err }
	case *array.Uint32Builder:
		return func(v *mysql.FieldValue) error { x, err := check(v); t.Append(uint32(x)); return err }
	}
	ub := b.(*array.Uint64Builder)
	return func(v *mysql.FieldValue) error { x, err := check(v); ub.Append(x); return err }
}

// myMasked replaces a column's reading by its masked text (or NULL).
func myMasked(m Masker, c myColumn) myColumn {
	if m.Null() {
		return myColumn{typ: c.typ, bind: func(b array.Builder) func(*mysql.FieldValue) error {
			return func(*mysql.FieldValue) error { b.AppendNull(); return nil }
		}}
	}
	return myColumn{typ: arrow.BinaryTypes.String, bind: func(b array.Builder) func(*mysql.FieldValue) error {
		add := bytesAppender(b)
		var buf []byte
		return func(v *mysql.FieldValue) error {
			buf = m.Apply(buf[:0], myText(v))
			return add(buf)
		}
	}}
}
